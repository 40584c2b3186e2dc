"""Probabilistic forecast heads, their losses, and window scaling.

A forecaster outputs, for every step k of the horizon, the `P` parameters of
its predictive distribution in the scaled units of its input window:

    head        parameters (P)                 loss (per target, NaN targets skipped)
    point       mu                             |y - mu|                      (median-optimal)
    quantile    q_1 <= ... <= q_Q at levels    mean_j pinball_{tau_j}(y, q_j),
                tau_1 < ... < tau_Q            pinball_tau(y, q) = max(tau (y - q), (tau - 1)(y - q))
    gaussian    mu, sigma > 0                  log sigma + (y - mu)^2 / (2 sigma^2) + log(2 pi) / 2
    student_t   mu, sigma > 0, nu > 2          the negative log density of a location-scale t

`DistributionHead` maps features to those parameters with the constraints
built in: quantiles cannot cross (the level nearest 0.5 is free, the others
are reached by adding or subtracting softplus steps), scales are
softplus + 1e-3, and nu = 2.01 + softplus, so the variance stays finite.
`ForecastLoss` is the loss of the table, averaged over the targets that are
not NaN (a target beyond a series' end or its own horizon is NaN), and over
ensemble members when the parameters carry a member axis.

`head_quantiles` turns parameters into quantiles at any levels (the Gaussian's
through the inverse error function, Student's t by bisection on its CDF, which
TensorFlow computes with the regularised incomplete beta function), and
`head_point` gives the point forecast (the median level, or mu).

Window scaling (`location_scale`): a window is expressed relative to its last
value and in units of its mean absolute step,

    loc = x_T,    scale = mean_t |x_t - x_{t-1}|  over observed neighbours,

falling back to mean |x_t|, then 1, for a flat window. Series of any level
and size then look alike to one global network, and the forecast
loc + scale * z is back in the series' own units. Missing (padded) steps are
NaN and left out.
"""

from __future__ import annotations

import math

import keras
from keras import ops

HEADS = ("quantile", "gaussian", "student_t", "point")


def n_params(head: str, levels=()) -> int:
    """How many parameters per horizon step `head` outputs."""
    if head not in HEADS:
        raise ValueError(f"head must be one of {', '.join(HEADS)}. Received: head={head}")
    return {"quantile": len(levels), "gaussian": 2, "student_t": 3, "point": 1}[head]


def _anchor(levels) -> int:
    """Index of the level nearest 0.5: the quantile the others are built around."""
    return min(range(len(levels)), key=lambda i: abs(levels[i] - 0.5))


@keras.saving.register_keras_serializable(package="seqsuite")
class DistributionHead(keras.layers.Layer):
    """Features -> constrained distribution parameters for every horizon step.

    Args:
        head: "quantile", "gaussian", "student_t" or "point" (see the module).
        horizon: steps forecast at once.
        levels: increasing quantile levels in (0, 1) for the quantile head
            (default: 0.025, 0.1, 0.5, 0.9, 0.975: the median and the 80% and
            95% central intervals).
        kernel_initializer: of the dense projection (default "glorot_uniform").

    Call arguments:
        inputs: (batch, features).

    Returns:
        (batch, horizon, P) with P = `n_params(head, levels)`.
    """

    def __init__(self, head: str = "quantile", horizon: int = 1,
                 levels=(0.025, 0.1, 0.5, 0.9, 0.975), kernel_initializer="glorot_uniform",
                 **kwargs):
        super().__init__(**kwargs)
        levels = [float(v) for v in levels]
        if head == "quantile" and (not levels or any(not 0 < v < 1 for v in levels)
                                   or sorted(set(levels)) != levels):
            raise ValueError("levels must be distinct, increasing and inside (0, 1). "
                             f"Received: levels={levels}")
        if horizon < 1:
            raise ValueError(f"horizon must be >= 1. Received: horizon={horizon}")
        self.head, self.horizon, self.levels = head, int(horizon), levels
        self.params = n_params(head, levels)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.dense = keras.layers.Dense(self.horizon * self.params, name="dense",
                                        kernel_initializer=self.kernel_initializer,
                                        dtype=self.dtype_policy)

    def build(self, input_shape):
        self.dense.build(input_shape)

    def call(self, inputs):
        raw = ops.reshape(self.dense(inputs), (-1, self.horizon, self.params))
        if self.head == "point":
            return raw
        if self.head == "quantile":
            a = _anchor(self.levels)
            middle = raw[..., a : a + 1]
            steps = ops.softplus(raw) + 1e-4
            below = middle - ops.flip(ops.cumsum(ops.flip(steps[..., :a], -1), -1), -1)
            above = middle + ops.cumsum(steps[..., a + 1 :], -1)
            return ops.concatenate([below, middle, above], axis=-1)
        mu = raw[..., :1]
        sigma = ops.softplus(raw[..., 1:2]) + 1e-3
        if self.head == "gaussian":
            return ops.concatenate([mu, sigma], axis=-1)
        return ops.concatenate([mu, sigma, 2.01 + ops.softplus(raw[..., 2:3])], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.horizon, self.params)

    def get_config(self):
        return {**super().get_config(), "head": self.head, "horizon": self.horizon,
                "levels": self.levels,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}


def _student_t_log_density(y, mu, sigma, nu):
    from tensorflow.math import lgamma  # keras.ops has no log-gamma

    z = (y - mu) / sigma
    return (lgamma((nu + 1) / 2) - lgamma(nu / 2) - 0.5 * ops.log(nu * math.pi)
            - ops.log(sigma) - (nu + 1) / 2 * ops.log1p(z * z / nu))


def elementwise_loss(head: str, levels, y, params):
    """The head's loss for each target: y (...,), params (..., P) -> (...,)."""
    if head == "point":
        return ops.abs(y - params[..., 0])
    if head == "quantile":
        tau = ops.convert_to_tensor(levels, dtype=params.dtype)
        diff = y[..., None] - params
        return ops.mean(ops.maximum(tau * diff, (tau - 1) * diff), axis=-1)
    mu, sigma = params[..., 0], params[..., 1]
    if head == "gaussian":
        z = (y - mu) / sigma
        return ops.log(sigma) + 0.5 * z * z + 0.5 * math.log(2 * math.pi)
    return -_student_t_log_density(y, mu, sigma, params[..., 2])


@keras.saving.register_keras_serializable(package="seqsuite")
class ForecastLoss(keras.losses.Loss):
    """The head's loss averaged over the targets that are not NaN.

    Args:
        head: as `DistributionHead`.
        levels: the quantile head's levels.

    Call arguments:
        y_true: (batch, horizon), NaN where there is no target.
        y_pred: (batch, horizon, P), or (batch, members, horizon, P) for an
            ensemble whose members are each scored on every target.

    Returns per example the mean over its targets (0 for an example without any).
    """

    def __init__(self, head: str = "quantile", levels=(0.025, 0.1, 0.5, 0.9, 0.975),
                 name="forecast_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        n_params(head, levels)
        self.head, self.levels = head, [float(v) for v in levels]

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        if len(y_pred.shape) == 4:
            y_true = ops.repeat(y_true[:, None, :], ops.shape(y_pred)[1], axis=1)
        valid = ops.logical_not(ops.isnan(y_true))
        safe = ops.where(valid, y_true, ops.zeros_like(y_true))
        loss = elementwise_loss(self.head, self.levels, safe, y_pred)
        weight = ops.cast(valid, loss.dtype)
        axes = tuple(range(1, len(loss.shape)))
        return ops.sum(loss * weight, axis=axes) / ops.maximum(ops.sum(weight, axis=axes), 1.0)

    def get_config(self):
        return {**super().get_config(), "head": self.head, "levels": self.levels}


def normal_quantile(levels):
    """Phi^-1(p) = sqrt(2) erfinv(2p - 1)."""
    return math.sqrt(2.0) * ops.erfinv(2.0 * levels - 1.0)


def student_t_quantile(levels, nu, iterations: int = 64):
    """Standard Student-t quantiles, broadcast over `levels` and `nu`, by bisection.

    The CDF is F(t) = 1 - I_x(nu/2, 1/2) / 2 for t >= 0 (mirrored below),
    x = nu / (nu + t^2), with I the regularised incomplete beta function.
    """
    import tensorflow as tf

    dtype = nu.dtype
    # float64: near the median x = nu / (nu + t^2) is close to 1, where float32 loses I_x.
    levels, nu = tf.cast(levels, tf.float64), tf.cast(nu, tf.float64)
    levels, nu = tf.broadcast_to(levels, tf.shape(nu + levels)), tf.broadcast_to(
        nu, tf.shape(nu + levels))
    low = tf.fill(tf.shape(nu), tf.constant(-1e3, tf.float64))
    high = -low
    half = tf.fill(tf.shape(nu), tf.constant(0.5, tf.float64))
    for _ in range(iterations):
        mid = (low + high) / 2
        tail = 0.5 * tf.math.betainc(nu / 2, half, nu / (nu + mid * mid))
        cdf = tf.where(mid >= 0, 1 - tail, tail)
        below = cdf < levels
        low, high = tf.where(below, mid, low), tf.where(below, high, mid)
    return tf.cast((low + high) / 2, dtype)


def head_quantiles(head: str, head_levels, params, levels):
    """Quantiles (..., Q) at `levels` from parameters (..., P).

    The quantile head answers only at the levels it was trained on.
    """
    levels = [float(v) for v in levels]
    if head == "quantile":
        missing = [v for v in levels if v not in head_levels]
        if missing:
            raise ValueError(f"the quantile head was trained at levels {head_levels}; "
                             f"Received: levels={levels}")
        return ops.stack([params[..., head_levels.index(v)] for v in levels], axis=-1)
    if head == "point":
        return ops.repeat(params[..., :1], len(levels), axis=-1)
    tau = ops.convert_to_tensor(levels, dtype=params.dtype)
    mu, sigma = params[..., :1], params[..., 1:2]
    if head == "gaussian":
        return mu + sigma * normal_quantile(tau)
    return mu + sigma * student_t_quantile(tau, params[..., 2:3])


def head_point(head: str, head_levels, params):
    """The point forecast: the median level of a quantile head, else mu."""
    if head == "quantile":
        return params[..., _anchor(head_levels)]
    return params[..., 0]


def location_scale(values):
    """(loc, scale) of windows `values` (batch, time), NaN where not observed.

    loc is the last value; scale the mean absolute step between observed
    neighbours, else the mean absolute value, else 1 (see the module).
    """
    values = ops.convert_to_tensor(values, dtype="float32")
    observed = ops.logical_not(ops.isnan(values))
    filled = ops.where(observed, values, ops.zeros_like(values))
    pairs = ops.cast(ops.logical_and(observed[:, 1:], observed[:, :-1]), "float32")
    steps = ops.sum(ops.abs(filled[:, 1:] - filled[:, :-1]) * pairs, axis=1) / ops.maximum(
        ops.sum(pairs, axis=1), 1.0)
    count = ops.maximum(ops.sum(ops.cast(observed, "float32"), axis=1), 1.0)
    level = ops.sum(ops.abs(filled), axis=1) / count
    scale = ops.where(steps > 0, steps, ops.where(level > 0, level, ops.ones_like(level)))
    return filled[:, -1], scale
