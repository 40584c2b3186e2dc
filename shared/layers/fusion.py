"""Late fusion of several predictors' logits, with weights chosen on held-out data.

A model with a second path that is fitted in closed form (a linear n-gram model beside a
recurrent network, a feature tagger beside a tagger) predicts

    p = softmax(sum_k w_k z_k)          z_k: the logits of path k, (..., classes)
                                        w_k >= 0: one scale per path

`LogitFusion` applies it inside the model, so one SavedModel serves the combination.
The weights are not trained by gradient descent: the model trains with `initial`
(by default the last path alone, `w = (0, ..., 0, 1)`, so training sees that path's
loss and nothing else), and `fit_fusion_weights` then chooses `w` by the negative
log-likelihood of held-out labels. The NLL is convex in `w` (the logits are linear in
it), so projected Newton steps find the optimum; a path that does not help gets a
weight near 0, which bounds how much worse the fusion can be than its best path on
the data it was chosen on.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops


@keras.saving.register_keras_serializable(package="seqsuite")
class LogitFusion(keras.layers.Layer):
    """`softmax(sum_k w_k z_k)` of a list of K logit tensors of one shape.

    Args:
        initial: the K starting weights (default None: 0 for every path but the last,
            which gets 1). They are non-trainable; set them with `set_fusion_weights`.
    """

    def __init__(self, initial=None, **kwargs):
        super().__init__(**kwargs)
        self.initial = None if initial is None else [float(w) for w in initial]

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or not input_shape or \
                not isinstance(input_shape[0], (list, tuple)):
            raise ValueError("LogitFusion takes a list of logit tensors")
        paths = len(input_shape)
        shapes = {tuple(shape[1:]) for shape in input_shape}
        if len(shapes) != 1:
            raise ValueError(f"LogitFusion: the logits must have one shape, got {input_shape}")
        initial = self.initial if self.initial is not None else [0.0] * (paths - 1) + [1.0]
        if len(initial) != paths:
            raise ValueError(f"LogitFusion: {len(initial)} initial weights for {paths} paths")
        self.scales = self.add_weight(shape=(paths,), name="scales", trainable=False,
                                      initializer=keras.initializers.Constant(initial))

    def call(self, inputs):
        fused = sum(self.scales[k] * ops.cast(z, self.compute_dtype)
                    for k, z in enumerate(inputs))
        return ops.softmax(fused, axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def set_fusion_weights(self, weights) -> None:
        self.scales.assign(np.asarray(weights, dtype=self.scales.dtype))

    def get_config(self):
        return {**super().get_config(), "initial": self.initial}


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def fusion_nll(weights, logits: list, labels) -> float:
    """Mean negative log-likelihood of `labels` (n,) under `softmax(sum_k w_k z_k)`."""
    z = np.tensordot(np.asarray(weights, dtype="float64"),
                     np.stack([np.asarray(x, dtype="float64") for x in logits]), axes=1)
    z = z - z.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return float(-np.mean(log_p[np.arange(len(labels)), np.asarray(labels)]))


def fit_fusion_weights(logits: list, labels, start=None, ridge: float = 1e-6,
                       steps: int = 50) -> np.ndarray:
    """The weights w >= 0 (K,) minimising `fusion_nll` over held-out examples.

    Args:
        logits: K arrays (n, classes), each path's logits for the same n examples.
        labels: (n,) class ids.
        start: the starting weights (default: the last path alone).
        ridge: added to the Hessian's diagonal, so a path whose logits are all equal
            (no information) keeps a finite step.
        steps: at most this many projected Newton steps (each with backtracking).
    """
    z = np.stack([np.asarray(x, dtype="float64") for x in logits])  # (K, n, classes)
    y = np.asarray(labels)
    k, n = z.shape[0], z.shape[1]
    one_hot = np.zeros(z.shape[1:])
    one_hot[np.arange(n), y] = 1.0
    w = np.zeros(k) if start is None else np.asarray(start, dtype="float64").copy()
    if start is None:
        w[-1] = 1.0
    loss = fusion_nll(w, logits, y)
    for _ in range(steps):
        p = _softmax(np.tensordot(w, z, axes=1))  # (n, classes)
        expected = np.einsum("nc,knc->kn", p, z)  # E_p[z_k] per example
        gradient = np.einsum("nc,knc->k", p - one_hot, z) / n
        hessian = (np.einsum("nc,knc,lnc->kl", p, z, z) / n
                   - np.einsum("kn,ln->kl", expected, expected) / n + ridge * np.eye(k))
        step = np.linalg.solve(hessian, gradient)
        scale, improved = 1.0, False
        while scale > 1e-6:
            candidate = np.maximum(w - scale * step, 0.0)
            candidate_loss = fusion_nll(candidate, logits, y)
            if candidate_loss < loss - 1e-12:
                w, loss, improved = candidate, candidate_loss, True
                break
            scale /= 2
        if not improved:
            break
    return w
