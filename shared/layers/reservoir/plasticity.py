"""Intrinsic plasticity: an unsupervised pre-fit of each reservoir unit's gain and bias.

Each tanh unit computes y = tanh(g u + c) from its net input u (every term inside f in
`Reservoir`'s update). Intrinsic plasticity (Triesch 2005; for tanh units Schrauwen et al.
2008, "Improving reservoirs using intrinsic plasticity") moves the gain g and the bias c
a step at a time so that the distribution of y approaches a Gaussian N(μ, σ²), by descending
the Kullback-Leibler divergence between the two:

    Δc = -η ( -μ/σ² + (y/σ²) (2σ² + 1 - y² + μ y) )
    Δg =  η / g + Δc u

(the rule of ReservoirPy's `IPReservoir`). Units that saturate get a smaller gain, units
that stay near zero a larger one, so the reservoir spreads its activity over the tanh's
useful range. Here g and c start at 1 and 0 for the reservoir as it is, and once the
steps are done they are folded into its weights, column by column:

    W_in <- W_in g,   W <- W g,   W_fb <- W_fb g,   b <- b g + c

so the adapted reservoir is an ordinary `Reservoir` (same variables, same loop, streams,
saves and exports as before), and a second call adapts further from there.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from seqsuite.shared.checks import check_argument
from seqsuite.shared.layers.reservoir.cell import recurrent_product


@tf.function(jit_compile=True, reduce_retracing=True)
def _adapt(drive, recurrent, leak_rate, mu, sigma, learning_rate, epochs, warmup):
    """Gain and bias `(units,)` after `epochs` passes of the rule over `drive` (time first)."""
    steps, units = tf.shape(drive)[0], tf.shape(drive)[-1]
    variance = sigma**2

    def step(t, h, gain, bias):
        u = drive[t] + recurrent_product(h, recurrent)
        y = tf.tanh(gain * u + bias)
        delta_bias = -learning_rate * (-mu / variance
                                       + y / variance * (2 * variance + 1 - y**2 + mu * y))
        delta_gain = learning_rate / gain + delta_bias * u
        learn = tf.cast(t >= warmup, drive.dtype)  # the first steps only settle the state
        gain = gain + learn * tf.reduce_mean(delta_gain, axis=0)
        bias = bias + learn * tf.reduce_mean(delta_bias, axis=0)
        return t + 1, (1 - leak_rate) * h + leak_rate * y, gain, bias

    def epoch(count, gain, bias):
        h = tf.zeros_like(drive[0])  # every pass starts from rest
        _, _, gain, bias = tf.while_loop(lambda t, *_: t < steps, step, (0, h, gain, bias))
        return count + 1, gain, bias

    start = (0, tf.ones([units], drive.dtype), tf.zeros([units], drive.dtype))
    _, gain, bias = tf.while_loop(lambda e, *_: e < epochs, epoch, start)
    return gain, bias


def intrinsic_plasticity(reservoir, x, epochs=1, mu=0.0, sigma=0.2, learning_rate=5e-4,
                         warmup=0):
    """Adapts a `Reservoir`'s gains and biases by intrinsic plasticity (module docstring).

    Runs the rule over every step of `x` (the mean over the batch at each step), `epochs`
    times, then folds the gains and biases into the reservoir's weights in place. Fit the
    readout afterwards: the states change.

    Args:
        reservoir: A `Reservoir` with `activation="tanh"` and a bias
            (`bias_scaling > 0`; the rule learns the bias from there).
        x: Inputs `(batch, time, features)` (with the feedback features, if any).
        epochs: Positive integer, passes over `x`. Default: `1`.
        mu: Mean μ of the target Gaussian. Default: `0.0`.
        sigma: Standard deviation σ of the target Gaussian, positive. Default: `0.2`.
        learning_rate: Step size η, positive. Default: `5e-4`.
        warmup: Non-negative integer, steps at the start of each pass that only
            settle the state. Default: `0`.

    Returns:
        `(gain, bias)`: the NumPy arrays `(units,)` that were folded in.

    Example:

    >>> reservoir = Reservoir(100, input_scaling=3.0, bias_scaling=0.1, seed=0)
    >>> u = np.random.default_rng(0).uniform(-1, 1, (1, 2000, 1)).astype("float32")
    >>> gain, bias = intrinsic_plasticity(reservoir, u, epochs=2)
    """
    check_argument("epochs", epochs, low=1, integer=True)
    check_argument("sigma", sigma, low=0, low_open=True)
    check_argument("learning_rate", learning_rate, low=0, low_open=True)
    check_argument("warmup", warmup, low=0, integer=True)
    check_argument("mu", mu, -1, 1, low_open=True, high_open=True,
                   kind="a mean inside tanh's range (-1, 1)")
    if reservoir.cell.activation is not keras.activations.tanh:
        raise ValueError(
            "Intrinsic plasticity's rule here is for tanh units (Schrauwen et al. 2008); "
            "build the reservoir with activation='tanh'. Received: activation="
            f"{keras.activations.serialize(reservoir.cell.activation)!r}"
        )
    x = ops.convert_to_tensor(x, dtype=reservoir.compute_dtype)
    if len(x.shape) != 3 or x.shape[1] <= warmup:
        raise ValueError(
            "Intrinsic plasticity needs inputs (batch, time, features) longer than the "
            f"warmup. Received: shape={tuple(x.shape)}, warmup={warmup}"
        )
    if not reservoir.built:
        reservoir.build(x.shape)
    cell = reservoir.cell
    if cell.bias is None:
        raise ValueError(
            "Intrinsic plasticity learns a bias per unit, and this reservoir has none: "
            "build it with bias_scaling > 0 (1e-3 starts near zero). Received: bias_scaling="
            f"{reservoir.bias_scaling}"
        )
    drive = tf.transpose(cell.input_drive(x), [1, 0, 2])
    dtype = drive.dtype
    gain, bias = _adapt(
        drive, reservoir.recurrent_operand(), tf.constant(reservoir.leak_rate, dtype),
        tf.constant(mu, dtype), tf.constant(sigma, dtype), tf.constant(learning_rate, dtype),
        tf.constant(epochs), tf.constant(warmup))
    gain, bias = ops.convert_to_numpy(gain), ops.convert_to_numpy(bias)
    # A step too large overshoots: gains cross zero (a unit flips sign) or blow up.
    if not (np.all(np.isfinite(gain)) and np.all(np.isfinite(bias)) and np.all(gain > 0)):
        raise ValueError(
            "Intrinsic plasticity diverged (gains at or below zero, or not finite), and the "
            f"reservoir was left as it was; lower the learning_rate. Received: "
            f"learning_rate={learning_rate}"
        )
    for weight in (cell.kernel, cell.recurrent_kernel, cell.feedback_kernel):
        if weight is not None:
            weight.assign(ops.convert_to_numpy(weight) * gain[None, :])
    cell.bias.assign(ops.convert_to_numpy(cell.bias) * gain + bias)
    return gain, bias
