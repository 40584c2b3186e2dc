"""Online readouts: a linear readout updated one step at a time, by recursive least squares
(RLS; FORCE learning, Sussillo and Abbott 2009) or by least mean squares (LMS), as
ReservoirPy's `RLS` and `LMS` nodes are.

With x_t the features (a 1 appended for the bias), W the weights (features + 1, outputs),
e_t = x_t W - y_t the error before the update:

    RLS:  k_t = P x_t^T / (λ + x_t P x_t^T)
          W  <- W - k_t e_t
          P  <- (P - k_t x_t P) / λ                 P_0 = I / α,  λ the forgetting factor
    LMS:  W  <- W - η x_t^T e_t

RLS after n steps with λ = 1 is the ridge solution with penalty α on the first n rows, so
it converges in one pass; LMS is a stochastic gradient step on the squared error. P lives
in the layer as a (non-trainable) weight: a model saved after online fitting resumes where
it stopped, and `update` can run inside a SavedModel to adapt while serving.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from seqsuite.shared.checks import check_argument

METHODS = ("rls", "lms")


@keras.saving.register_keras_serializable(package="seqsuite")
class OnlineReadout(keras.layers.Layer):
    """A linear readout `y = x W + b` learnt online (module docstring).

    Args:
        units: Positive integer, the number of outputs.
        method: `"rls"` (recursive least squares, FORCE) or `"lms"`. Default: `"rls"`.
        alpha: RLS: the initial `P = I / alpha` (a ridge penalty); LMS: the learning rate
            η. Default: `1.0`.
        forgetting: RLS forgetting factor λ in (0, 1] (1: remember every step).
            Default: `1.0`.
        **kwargs: Base layer arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: A tensor `(..., features)`.

    Example:

    >>> x = np.random.random((500, 8)).astype("float32")
    >>> readout = OnlineReadout(2, alpha=1e-3)
    >>> readout.update(x, x[:, :2] * 3.0)  # one pass, a step at a time
    >>> readout(x[:4]).shape
    (4, 2)
    """

    def __init__(self, units, method="rls", alpha=1.0, forgetting=1.0, **kwargs):
        check_argument("units", units, low=1, integer=True)
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}; received "
                             f"method={method!r}")
        check_argument("alpha", alpha, low=0, low_open=True)
        check_argument("forgetting", forgetting, 0, 1, low_open=True)
        super().__init__(**kwargs)
        self.units, self.method = int(units), method
        self.alpha, self.forgetting = float(alpha), float(forgetting)

    def build(self, input_shape):
        features = int(input_shape[-1]) + 1  # the bias's constant 1
        self.weights_with_bias = self.add_weight(
            name="kernel", shape=(features, self.units), initializer="zeros")
        if self.method == "rls":
            self.inverse_correlation = self.add_weight(
                name="inverse_correlation", shape=(features, features), trainable=False,
                initializer=keras.initializers.Identity(1.0 / self.alpha))

    def call(self, inputs):
        return (ops.matmul(inputs, self.weights_with_bias[:-1])
                + self.weights_with_bias[-1])

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def update(self, x, y):
        """One online step per row of `x` (rows, features) towards `y` (rows, units), in
        order, in one compiled loop; returns the errors before each step (rows, units)."""
        x = tf.convert_to_tensor(x, self.compute_dtype)
        y = tf.convert_to_tensor(y, self.compute_dtype)
        if not self.built:
            self.build(x.shape)
        rows = tf.concat([x, tf.ones_like(x[:, :1])], axis=1)
        if self.method == "rls":
            weights, p, errors = _rls(rows, y, self.weights_with_bias.value,
                                      self.inverse_correlation.value, self.forgetting)
            self.inverse_correlation.assign(p)
        else:
            weights, errors = _lms(rows, y, self.weights_with_bias.value, self.alpha)
        self.weights_with_bias.assign(weights)
        return errors

    def get_config(self):
        return {**super().get_config(), "units": self.units, "method": self.method,
                "alpha": self.alpha, "forgetting": self.forgetting}


@tf.function(jit_compile=True, reduce_retracing=True)
def _rls(rows, targets, weights, p, forgetting):
    def step(carry, row_target):
        w, p = carry
        x, y = row_target[0][None], row_target[1][None]  # (1, features), (1, units)
        error = x @ w - y
        px = p @ tf.transpose(x)  # (features, 1)
        gain = px / (forgetting + x @ px)
        w = w - gain @ error
        p = (p - gain @ tf.transpose(px)) / forgetting  # P symmetric: x P = (P x^T)^T
        return (w, p), error[0]

    (weights, p), errors = _scan(step, (weights, p), (rows, targets))
    return weights, p, errors


@tf.function(jit_compile=True, reduce_retracing=True)
def _lms(rows, targets, weights, rate):
    def step(w, row_target):
        x, y = row_target[0][None], row_target[1][None]
        error = x @ w - y
        return w - rate * tf.transpose(x) @ error, error[0]

    weights, errors = _scan(step, weights, (rows, targets))
    return weights, errors


def _scan(step, initial, sequence):
    """(final carry, stacked outputs) of `step(carry, item) -> (carry, output)` over the rows
    of `sequence`, keeping only the last carry (a scan would keep P at every step)."""
    rows = tf.shape(sequence[0])[0]
    outputs = tf.TensorArray(sequence[1].dtype, size=rows)

    def body(t, carry, outputs):
        new, out = step(carry, (sequence[0][t], sequence[1][t]))
        # Targets traced with an unknown width would blur the carry's known shape.
        new = tf.nest.map_structure(lambda n, c: tf.ensure_shape(n, c.shape), new, carry)
        return t + 1, new, outputs.write(t, out)

    _, carry, outputs = tf.while_loop(lambda t, *_: t < rows, body, (0, initial, outputs))
    return carry, outputs.stack()
