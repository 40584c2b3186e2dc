"""Anomaly detectors: what each point should have been, from its frame, and the score of
how far it is.

A frame is the `window + 1` scaled rows ending at a point (`data.frames`). Each detector
maps frames (batch, window + 1, channels) to its estimate x_hat of the frame's last row:

    forecast     x_hat_t = x_{t-1} + W [RNN(x_{t-W..t-1}), x_{t-1}] + b   (trained, MSE)
    autoencoder  the last row of RNN_dec(repeat(RNN_enc(x_{t-W..t})))       (trained, MSE on
                 every row of the frame)
    esn          x_hat_t = ridge readout of [reservoir state after x_{t-W..t-1}, x_{t-1}]
                 (closed form, no epochs)

The score of point t is the root mean square over channels of the residuals' robust z,
with the residuals' median and MAD measured on the held-out clean points:

    s_t = sqrt(mean_c ((x_tc - x_hat_tc - m_c) / d_c)^2);

the first `window` points, with no full frame, score 0. The threshold rule then flags
(`threshold`): "telemanom" the exponentially smoothed score above ε, Telemanom's dynamic
threshold of the smoothed held-out scores; "clean_max" the smoothed score above the
largest smoothed held-out score; "robust_z" the raw score above the held-out scores'
median + z_threshold * 1.4826 MAD. ε is one number in the config in every case.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from seqsuite.shared.errors import ConfigError
from seqsuite.shared.layers.encoders import recurrent_encoder, recurrent_stack
from seqsuite.shared.layers.reservoir import Reservoir, RidgeReadout
from seqsuite.shared.run.suite import Serving
from seqsuite.shared.run.training import compile_model
from seqsuite.suites.anomaly.config import Config


def build_model(config: Config) -> keras.Model:
    """The detector `config.detector` names, for `config.n_channels` channels (compiled;
    the esn's readout is fitted in closed form by `train.fit_esn`)."""
    channels, window = config.n_channels, config.window
    frames = keras.Input((window + 1, channels), name="frames")
    if config.detector == "autoencoder":
        code = recurrent_encoder(frames, config, seed=config.seed, name="encoder")
        repeated = keras.layers.RepeatVector(window + 1, name="repeat")(code)
        decoded = recurrent_stack(repeated, cell=config.cell, units=config.units,
                                  seed=config.seed + 1, return_sequences=True, name="decoder")
        output = keras.layers.Dense(channels, name="reconstruction")(decoded)
        model = keras.Model(frames, output, name="autoencoder")
        return compile_model(model, config, loss="mse")
    past = keras.layers.Cropping1D((0, 1), name="past")(frames)  # the point itself unseen
    last = keras.layers.Flatten(name="last")(
        keras.layers.Cropping1D((window - 1, 1), name="last_row")(frames))
    if config.detector == "esn":
        state = Reservoir(config.reservoir_units, spectral_radius=config.spectral_radius,
                          leak_rate=config.leak_rate, return_sequences=False, seed=config.seed,
                          name="reservoir")(past)
        features = keras.layers.Concatenate(name="features")([state, last])
        output = RidgeReadout(channels, ridge=config.ridge, name="readout")(features)
        model = keras.Model(frames, output, name="esn")
        return compile_model(model, config, loss="mse")
    state = recurrent_encoder(past, config, seed=config.seed, name="encoder")
    change = keras.layers.Dense(channels, name="change")(
        keras.layers.Concatenate(name="features")([state, last]))
    output = keras.layers.Add(name="forecast")([last, change])
    return compile_model(keras.Model(frames, output, name="forecast"), config, loss="mse")


def estimates(outputs, config: Config):
    """The detector's estimate of each frame's last row (batch, channels)."""
    return outputs[:, -1] if config.detector == "autoencoder" else outputs


def estimate(model: keras.Model, frames: np.ndarray, config: Config,
             batch_size: int = 1024) -> np.ndarray:
    """(points, channels) estimates for an array of frames, batch by batch."""
    out = [np.asarray(estimates(model(frames[i : i + batch_size], training=False), config))
           for i in range(0, len(frames), batch_size)]
    return np.concatenate(out) if out else np.zeros((0, config.n_channels), "float32")


def residual_scores(residuals, centre, scale):
    """s = sqrt(mean_c ((r_c - centre_c) / scale_c)^2) per point (keras.ops: NumPy arrays or
    tensors alike, the same formula in evaluation and in the SavedModel)."""
    z = (residuals - centre) / scale
    return ops.sqrt(ops.mean(ops.square(z), axis=-1))


def smooth(scores, span: int):
    """Telemanom's exponentially weighted mean of the scores in TensorFlow, the recurrence of
    `shared.evaluation.anomaly.smooth_errors` (pandas' adjusted `ewm(span).mean()`)."""
    totals, weights = tf.scan(lambda carry, value: smoothing_step(carry, value, span),
                              tf.abs(scores), initializer=(0.0, 0.0))
    return totals / weights


def smoothing_step(carry, value, span: int):
    """One step of `smooth`'s recurrence: (total, weight) after |value|; the smoothed score
    is total / weight (the stream signature carries the two)."""
    keep = 1.0 - 2.0 / (span + 1.0)
    total, weight = carry
    return tf.abs(value) + keep * total, 1.0 + keep * weight


def _calibrated(config: Config):
    if config.residual_centre is None or config.epsilon is None:
        raise ConfigError("the residual scaling and threshold are measured after the fit; "
                          "train through `seqsuite train anomaly`")
    return tuple(np.asarray(v, "float32") for v in
                 (config.centre, config.scale, config.residual_centre, config.residual_scale))


def serving(model: keras.Model, config: Config) -> Serving:
    """Serving function: a raw recording (rows, channels) -> per row `score`, `smoothed`
    (the exponentially smoothed score) and `flag` (the run's threshold rule); rows before
    the first full frame score 0 and are never flagged.

    Streaming, for a live monitor: `initial_state(batch_size)`, then `stream(values,
    state_...)` with one new row per recording (batch, channels) returns that row's
    `score`, `smoothed` and `flag` and the state for the next row (the last `window` rows
    and the smoothing's sums): the same figures as `serving_default` on the whole
    recording, at a cost per row that does not grow with the recording."""
    centre, scale, residual_centre, residual_scale = _calibrated(config)
    window, epsilon = config.window, float(config.epsilon)

    channels = len(centre)

    def flagged(scores, smoothed):
        return (scores if config.threshold == "robust_z" else smoothed) > epsilon

    def serve(values):
        scaled = (values - centre) / scale
        framed = tf.signal.frame(scaled, window + 1, 1, axis=0)
        predicted = tf.cast(estimates(model(framed, training=False), config), tf.float32)
        scores = residual_scores(scaled[window:] - predicted, residual_centre, residual_scale)
        scores = tf.concat([tf.zeros([tf.shape(values)[0] - tf.shape(scores)[0]]), scores], 0)
        smoothed = smooth(scores, config.span)
        return {"score": scores, "smoothed": smoothed, "flag": flagged(scores, smoothed)}

    # Streaming: one new row per recording (batch, channels) at a time. The state is the
    # last `window` scaled rows (a ring buffer, oldest first), how many rows have been
    # seen (up to `window`) and the smoothing's two running sums, so each row costs one
    # frame whatever the recording's length, and the outputs are `serve`'s row for row.
    def initial_state(batch_size):
        return {"state_rows": tf.zeros([batch_size, window, channels]),
                "state_seen": tf.zeros([batch_size]),
                "state_total": tf.zeros([batch_size]), "state_weight": tf.zeros([batch_size])}

    def stream(values, state_rows, state_seen, state_total, state_weight):
        scaled = (values - centre) / scale
        frame = tf.concat([state_rows, scaled[:, None]], axis=1)
        predicted = tf.cast(estimates(model(frame, training=False), config), tf.float32)
        scores = residual_scores(scaled - predicted, residual_centre, residual_scale)
        scores = tf.where(state_seen >= window, scores, 0.0)
        total, weight = smoothing_step((state_total, state_weight), scores, config.span)
        smoothed = total / weight
        return {"score": scores, "smoothed": smoothed, "flag": flagged(scores, smoothed),
                "state_rows": frame[:, 1:], "state_seen": tf.minimum(state_seen + 1, window),
                "state_total": total, "state_weight": weight}

    row = tf.TensorSpec([None, channels], tf.float32, name="values")
    states = [tf.TensorSpec([None, window, channels], tf.float32, name="state_rows")] + [
        tf.TensorSpec([None], tf.float32, name=n)
        for n in ("state_seen", "state_total", "state_weight")]
    return Serving(serve, [tf.TensorSpec([None, channels], tf.float32, name="values")],
                   endpoints={"initial_state": (initial_state, [tf.TensorSpec(
                       [], tf.int32, name="batch_size")]),
                              "stream": (stream, [row, *states])})
