"""Attention mechanisms: score a query against an encoder memory.

Each mechanism maps a query `q` of shape `(batch, query_dim)` and a memory `m`
of shape `(batch, time, mem_dim)` with its padding mask to a context vector
`c = Σ_t α_t m_t` of shape `(batch, mem_dim)` and the alignment weights
`α = masked_softmax(score(q, m), mask)` of shape `(batch, time)`. The score
functions, their weight names and their initialisers follow TensorFlow
Addons' `BahdanauAttention` and `LuongAttention`, so weights trained there give
the same scores here.
"""

import math

import keras
import numpy as np
from keras import constraints, initializers, ops, regularizers

from seqsuite.shared.checks import check_argument


def masked_softmax(scores, mask=None):
    """Softmax over the last axis in which padded positions get exactly zero weight.

    ```
    α_t = mask_t · exp(s_t) / Σ_u mask_u · exp(s_u)
    ```

    A row without a single valid position gets all-zero weights rather than
    NaN, so a fully padded sequence contributes a zero context vector. Float16
    and bfloat16 scores are normalised in float32 and cast back.

    Args:
        scores: Tensor of shape `(..., time)`.
        mask: Optional boolean tensor broadcastable to `scores`; `False` marks
            padding. Default: `None` (every position is valid).

    Returns:
        The weights, with the dtype and shape of `scores`.
    """
    dtype = keras.backend.standardize_dtype(scores.dtype)
    x = ops.cast(scores, "float32") if dtype in ("float16", "bfloat16") else scores
    if mask is None:
        return ops.cast(ops.softmax(x, axis=-1), dtype)
    mask = ops.cast(mask, "bool")
    # The lowest finite value rather than -inf: with -inf a fully padded row
    # would be 0 / 0.
    lowest = float(np.finfo(keras.backend.standardize_dtype(x.dtype)).min)
    weights = ops.softmax(ops.where(mask, x, lowest), axis=-1)
    # exp(lowest - max) is already 0 unless a whole row is padded; the
    # `where` makes padded weights exactly 0 in that case too.
    return ops.cast(ops.where(mask, weights, ops.zeros_like(weights)), dtype)


class AttentionMechanism(keras.layers.Layer):
    """Base class: memory keys, a score function, masked softmax, context.

    Subclasses implement `build(query_shape, memory_shape)`,
    `compute_keys(memory)` (the memory's projection, computed once per
    sequence rather than once per decoder step) and `score(query, keys)`.

    Call arguments:
        query: Tensor of shape `(batch, query_dim)`, e.g. the decoder output.
        memory: Tensor of shape `(batch, time, mem_dim)`, e.g. the encoder
            outputs.
        memory_mask: Optional boolean tensor `(batch, time)`, `False` at
            padding. Default: the Keras mask of `memory`, if it carries one.
        keys: Optional result of `compute_keys(memory)`, to reuse across the
            steps of a decoder. Default: computed from `memory`.

    Returns:
        `(context, alignments)`: `(batch, mem_dim)` and `(batch, time)`.
    """

    def call(self, query, memory, memory_mask=None, keys=None):
        if keys is None:
            keys = self.compute_keys(memory)
        alignments = masked_softmax(self.score(query, keys), memory_mask)
        # (batch, 1, time) @ (batch, time, mem_dim) -> (batch, mem_dim)
        context = ops.squeeze(ops.matmul(ops.expand_dims(alignments, 1), memory), 1)
        return context, alignments

    def compute_keys(self, memory):
        raise NotImplementedError

    def score(self, query, keys):
        raise NotImplementedError

    def compute_output_shape(self, query_shape, memory_shape):
        return (query_shape[0], memory_shape[-1]), tuple(memory_shape[:2])




def _additive_scores(processed_query, keys, v):
    """`v^T tanh(keys + processed_query)`: `(batch, units)`, `(batch, time, units)` -> `(batch, time)`."""
    hidden = ops.tanh(keys + ops.expand_dims(processed_query, 1))
    # A sum, not `hidden @ v`: TensorFlow's 3D-by-2D matmul is a tensordot whose
    # gradient XLA cannot compile inside a decoder's loop.
    return ops.sum(hidden * v, axis=-1)


class _KernelArgs:
    """Resolves the kernel initializer, regularizer and constraint arguments."""

    def _set_kernel_args(self, initializer, regularizer, constraint):
        self.kernel_initializer = initializers.get(initializer)
        self.kernel_regularizer = regularizers.get(regularizer)
        self.kernel_constraint = constraints.get(constraint)

    def _add_kernel(self, name, shape, initializer=None):
        return self.add_weight(
            name=name,
            shape=shape,
            initializer=initializer or self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )

    def _kernel_config(self):
        return {
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
        }


@keras.saving.register_keras_serializable(package="seqsuite")
class BahdanauAttention(_KernelArgs, AttentionMechanism):
    """Additive attention (Bahdanau et al., 2015), optionally weight-normalised.

    With `W_q` the `query_kernel`, `W_m` the `memory_kernel` and `v` the
    `attention_v`:

    ```
    keys_t = m_t W_m                                     (computed once per memory)
    s_t    = v^T tanh(keys_t + q W_q)                    normalize=False
    s_t    = (g v / ||v||)^T tanh(keys_t + q W_q + b)    normalize=True
    α      = masked_softmax(s, mask);   c = Σ_t α_t m_t
    ```

    `normalize=True` is the weight-normalised form of Salimans & Kingma
    (2016): the scalar gain `g` (`attention_g`, initialised to
    `sqrt(1 / units)`) and the bias `b` (`attention_b`, zeros) are then
    trained too. Same weights and arithmetic as `tfa.seq2seq.BahdanauAttention`.

    Args:
        units: Positive integer, the width of the hidden layer of the score.
        normalize: Whether to weight-normalise `v` and add `b`.
            Default: `False`.
        kernel_initializer: Initializer for `query_kernel`, `memory_kernel`
            and `attention_v`. Default: `"glorot_uniform"`.
        kernel_regularizer: Regularizer for the same three. Default: `None`.
        kernel_constraint: Constraint for the same three. Default: `None`.
        **kwargs: Base layer arguments, such as `name` and `dtype`.

    Call arguments:
        See `AttentionMechanism`: `query`, `memory`, `memory_mask`, `keys`.

    Example:

    >>> query = np.random.random((2, 8)).astype("float32")
    >>> memory = np.random.random((2, 5, 6)).astype("float32")
    >>> mask = np.array([[True] * 5, [True] * 3 + [False] * 2])
    >>> context, alignments = BahdanauAttention(4)(query, memory, memory_mask=mask)
    >>> tuple(context.shape), tuple(alignments.shape)
    ((2, 6), (2, 5))
    """

    def __init__(
        self,
        units,
        normalize=False,
        kernel_initializer="glorot_uniform",
        kernel_regularizer=None,
        kernel_constraint=None,
        **kwargs,
    ):
        check_argument("units", units, low=1, integer=True)
        super().__init__(**kwargs)
        self.units = units
        self.normalize = normalize
        self._set_kernel_args(kernel_initializer, kernel_regularizer, kernel_constraint)

    def build(self, query_shape, memory_shape):
        self.query_kernel = self._add_kernel("query_kernel", (query_shape[-1], self.units))
        self.memory_kernel = self._add_kernel("memory_kernel", (memory_shape[-1], self.units))
        self.attention_v = self._add_kernel("attention_v", (self.units,))
        if self.normalize:
            self.attention_g = self.add_weight(
                name="attention_g",
                shape=(),
                initializer=initializers.Constant(math.sqrt(1.0 / self.units)),
            )
            self.attention_b = self.add_weight(
                name="attention_b", shape=(self.units,), initializer="zeros"
            )

    def compute_keys(self, memory):
        return ops.matmul(memory, self.memory_kernel)  # (batch, time, units)

    def score(self, query, keys):
        processed_query = ops.matmul(query, self.query_kernel)
        if not self.normalize:
            return _additive_scores(processed_query, keys, self.attention_v)
        v = self.attention_g * self.attention_v * ops.rsqrt(ops.sum(ops.square(self.attention_v)))
        return _additive_scores(processed_query + self.attention_b, keys, v)

    def get_config(self):
        config = {"units": self.units, "normalize": self.normalize, **self._kernel_config()}
        base_config = super().get_config()
        return {**base_config, **config}


LUONG_SCORE_MODES = ("dot", "general", "concat")


@keras.saving.register_keras_serializable(package="seqsuite")
class LuongAttention(_KernelArgs, AttentionMechanism):
    """Multiplicative attention (Luong et al., 2015), optionally scaled.

    The three score functions of the paper, for a query `q` (Luong's `h_t`)
    and memory rows `m_t` (his `h̄_s`):

    ```
    dot:      s_t = q · m_t                          (query_dim == mem_dim)
    general:  s_t = q · (m_t W_m)                    W_m: memory_kernel (mem_dim, query_dim)
    concat:   s_t = v^T tanh(q W_q + m_t W_m)        W_q: query_kernel (query_dim, units),
                                                     W_m: memory_kernel (mem_dim, units),
                                                     v: attention_v (units,)
    scale=True:  s_t <- g s_t                        g: attention_g, a scalar initialised to 1
    α = masked_softmax(s, mask);   c = Σ_t α_t m_t
    ```

    The projections of the memory (`m_t W_m`) are its keys, computed once per
    memory. `score_mode="general"` is `tfa.seq2seq.LuongAttention(units)`,
    whose `units` had to equal the query width; `concat` is Luong's `W_a [h_t; h̄_s]`
    with `W_a` split into its query and memory halves.

    Args:
        units: Width of the hidden layer of the `concat` score. For `general`
            it must be the query width, for `dot` it must be `None`.
            Default: `None` (the query width).
        score_mode: One of `"dot"`, `"general"`, `"concat"`.
            Default: `"general"`.
        scale: Whether to multiply the score by a trained scalar `g`.
            Default: `False`.
        kernel_initializer: Initializer for the kernels and `attention_v`.
            Default: `"glorot_uniform"`.
        kernel_regularizer: Regularizer for the same. Default: `None`.
        kernel_constraint: Constraint for the same. Default: `None`.
        **kwargs: Base layer arguments, such as `name` and `dtype`.

    Call arguments:
        See `AttentionMechanism`: `query`, `memory`, `memory_mask`, `keys`.

    Example:

    >>> query = np.random.random((2, 8)).astype("float32")
    >>> memory = np.random.random((2, 5, 6)).astype("float32")
    >>> layer = LuongAttention(score_mode="general", scale=True)
    >>> context, alignments = layer(query, memory)
    >>> tuple(context.shape), tuple(alignments.shape)
    ((2, 6), (2, 5))
    """

    def __init__(
        self,
        units=None,
        score_mode="general",
        scale=False,
        kernel_initializer="glorot_uniform",
        kernel_regularizer=None,
        kernel_constraint=None,
        **kwargs,
    ):
        if score_mode not in LUONG_SCORE_MODES:
            raise ValueError(
                f"Argument `score_mode` must be one of {LUONG_SCORE_MODES}. "
                f"Received: score_mode={score_mode}"
            )
        if score_mode == "dot" and units is not None:
            raise ValueError(
                f"The `dot` score has no weights, so `units` must be None. Received: units={units}"
            )
        if units is not None:
            check_argument("units", units, low=1, integer=True)
        super().__init__(**kwargs)
        self.units = units
        self.score_mode = score_mode
        self.scale = scale
        self._set_kernel_args(kernel_initializer, kernel_regularizer, kernel_constraint)

    def build(self, query_shape, memory_shape):
        query_dim, memory_dim = query_shape[-1], memory_shape[-1]
        if self.score_mode == "dot" and query_dim != memory_dim:
            raise ValueError(
                "The `dot` score needs a query as wide as the memory. Received: "
                f"query_shape={query_shape}, memory_shape={memory_shape}"
            )
        if self.score_mode == "general":
            if self.units is not None and self.units != query_dim:
                raise ValueError(
                    "The `general` score projects the memory to the query width, "
                    f"so `units` must be None or {query_dim}. Received: units={self.units}"
                )
            self.memory_kernel = self._add_kernel("memory_kernel", (memory_dim, query_dim))
        if self.score_mode == "concat":
            units = self.units or query_dim
            self.query_kernel = self._add_kernel("query_kernel", (query_dim, units))
            self.memory_kernel = self._add_kernel("memory_kernel", (memory_dim, units))
            self.attention_v = self._add_kernel("attention_v", (units,))
        if self.scale:
            self.attention_g = self.add_weight(name="attention_g", shape=(), initializer="ones")

    def compute_keys(self, memory):
        if self.score_mode == "dot":
            return memory
        return ops.matmul(memory, self.memory_kernel)

    def score(self, query, keys):
        if self.score_mode == "concat":
            scores = _additive_scores(ops.matmul(query, self.query_kernel), keys, self.attention_v)
        else:
            # (batch, time, query_dim) @ (batch, query_dim, 1) -> (batch, time)
            scores = ops.squeeze(ops.matmul(keys, ops.expand_dims(query, -1)), -1)
        if self.scale:
            scores = self.attention_g * scores
        return scores

    def get_config(self):
        config = {
            "units": self.units,
            "score_mode": self.score_mode,
            "scale": self.scale,
            **self._kernel_config(),
        }
        base_config = super().get_config()
        return {**base_config, **config}
