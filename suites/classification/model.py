"""Sequence classifiers: raw (sequence, length) in, class probabilities out.

Both models standardise the channels with statistics adapted on the training
frames (`normalize`), so they take raw values, and both take each sequence's
length beside the zero-padded batch:

    rnn: normalize -> LengthMask -> bidirectional recurrent encoder
         -> AttentionPooling -> softmax                   (trained by epochs)
    esn: normalize -> Reservoir -> TimePooling over the valid steps
         -> RidgeReadout -> TemperatureSoftmax             (fitted in closed form)

The recurrent encoder skips padded steps through the Keras mask that
`LengthMask` attaches. The reservoir runs over the padding too, but it is
causal, so the states of the valid steps, the only ones pooled, are those of
the sequence alone.

A sequence of length 0 gets the uniform distribution: there is no evidence.
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf
from keras import ops

from seqsuite.shared.errors import ConfigError
from seqsuite.shared.layers.attention import AttentionPooling
from seqsuite.shared.layers.encoders import recurrent_encoder
from seqsuite.shared.layers.masking import LengthMask
from seqsuite.shared.layers.reservoir import Reservoir, RidgeReadout
from seqsuite.shared.run.suite import Serving
from seqsuite.shared.run.training import compile_model
from seqsuite.suites.classification.config import POOLING, Config


def _valid_steps(length, sequence):
    """(batch, time) boolean mask of `sequence` (batch, time, ...), True at the first
    `length` steps of each row."""
    # The step count from a cumulative sum, not ops.shape: a symbolic time axis is None.
    steps = ops.cumsum(ops.ones_like(sequence[:, :, 0], dtype="int32"), axis=1)  # 1, 2, ...
    return steps <= ops.cast(length, "int32")[:, None]


@keras.saving.register_keras_serializable(package="seqsuite")
class TimePooling(keras.layers.Layer):
    """Pools each sequence's valid steps into one vector.

    With `h_1 .. h_L` the first `L = length` rows of `states`:

    ```
    mean:       (1/L) Σ_t h_t
    last:       h_L
    mean_last:  [mean, last]
    ```

    A linear readout of the mean state is the mean of the per-step readouts,
    the class evidence Jaeger et al. (2007) average over an utterance.

    Args:
        mode: `"mean"`, `"last"` or `"mean_last"`. Default: `"mean_last"`.
        **kwargs: Base layer arguments.

    Call arguments:
        inputs: `[states, length]`, states `(batch, time, units)` and length
            `(batch,)`; a length of 0 pools to zeros.
    """

    def __init__(self, mode="mean_last", **kwargs):
        if mode not in POOLING:
            raise ValueError(f"Argument `mode` must be one of {POOLING}. Received: mode={mode!r}")
        super().__init__(**kwargs)
        self.mode = mode

    def call(self, inputs):
        states, length = inputs
        length = ops.cast(length, "int32")
        weights = ops.cast(_valid_steps(length, states), states.dtype)
        pooled = []
        if self.mode in ("mean", "mean_last"):
            total = ops.sum(states * weights[..., None], axis=1)  # (batch, units)
            count = ops.maximum(ops.sum(weights, axis=1, keepdims=True), 1.0)
            pooled.append(total / count)
        if self.mode in ("last", "mean_last"):
            last = ops.take_along_axis(states, ops.maximum(length - 1, 0)[:, None, None], axis=1)
            pooled.append(ops.squeeze(last, 1) * ops.cast(length > 0, states.dtype)[:, None])
        return pooled[0] if len(pooled) == 1 else ops.concatenate(pooled, axis=-1)

    def compute_output_shape(self, input_shapes):
        states = input_shapes[0]
        return (states[0], states[-1] * (2 if self.mode == "mean_last" else 1))

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


@keras.saving.register_keras_serializable(package="seqsuite")
class TemperatureSoftmax(keras.layers.Layer):
    """Class probabilities from scores: `softmax(scores / T)`.

    `T`, the non-trainable weight `temperature` (initially 1), is set after a
    closed-form fit so that the probabilities of a ridge readout, whose
    scores regress one-hot targets, are calibrated (temperature scaling,
    Guo et al. 2017).

    Call arguments:
        inputs: Scores `(batch, classes)`.
    """

    def build(self, input_shape):
        self.temperature = self.add_weight(name="temperature", shape=(),
                                           initializer="ones", trainable=False)

    def call(self, inputs):
        return ops.softmax(inputs / self.temperature, axis=-1)

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="seqsuite")
class UniformWhenEmpty(keras.layers.Layer):
    """Replaces the probabilities of a zero-length sequence by the uniform distribution.

    Call arguments:
        inputs: `[probabilities, length]`, `(batch, classes)` and `(batch,)`.
    """

    def call(self, inputs):
        probabilities, length = inputs
        classes = ops.shape(probabilities)[-1]
        empty = ops.cast(length, "int32")[:, None] <= 0
        return ops.where(empty, ops.ones_like(probabilities) / classes, probabilities)

    def compute_output_shape(self, input_shapes):
        return input_shapes[0]


def input_weight_scale(config: Config) -> float:
    """The scale of the reservoir's ±1 input weights that gives each unit an input drive
    of standard deviation `input_scaling` from standardised, uncorrelated channels: a unit
    sums about `input_connectivity * n_channels` of them."""
    return config.input_scaling / math.sqrt(config.input_connectivity * config.n_channels)


def _check_learned(config: Config) -> None:
    if (config.classes is None or config.n_channels is None
            or (config.model == "esn" and config.leak_rate is None and not config.median_length)):
        raise ConfigError("classes, n_channels and median_length are filled from the data; "
                          "train through `seqsuite train classification`")


def build_model(config: Config) -> keras.Model:
    """The classifier `config.model` names: [(batch, time, channels), (batch,)] ->
    (batch, classes) probabilities. The rnn comes compiled; the esn is fitted in
    closed form (`train.fit_esn`)."""
    _check_learned(config)
    sequence = keras.Input((None, config.n_channels), name="sequence")
    length = keras.Input((), dtype="int32", name="length")
    x = keras.layers.Normalization(axis=-1, name="normalize")(sequence)
    n_classes = len(config.classes)
    if config.model == "esn":
        states = Reservoir(
            config.reservoir_units, spectral_radius=config.spectral_radius,
            leak_rate=config.reservoir_leak_rate(),
            input_scaling=input_weight_scale(config),
            connectivity=config.connectivity, input_connectivity=config.input_connectivity,
            bias_scaling=config.bias_scaling, seed=config.seed, name="reservoir",
        )(x)  # (batch, time, reservoir_units)
        features = TimePooling(config.pooling, name="pooling")([states, length])
        # A ridge of None is chosen when the readout is fitted (train.fit_esn).
        scores = RidgeReadout(n_classes, ridge=config.ridge or 0.0, name="readout")(features)
        probabilities = TemperatureSoftmax(name="calibration")(scores)
        probabilities = UniformWhenEmpty(name="probabilities")([probabilities, length])
        return keras.Model([sequence, length], probabilities, name="esn_classifier")
    if config.input_noise:
        # Augmentation for small sets of recordings: jitter every frame, in training only.
        x = keras.layers.GaussianNoise(config.input_noise, seed=config.seed, name="noise")(x)
    x = LengthMask(name="mask")([x, length])
    h = recurrent_encoder(x, config, seed=config.seed,
                          return_sequences=True)  # (batch, time, 2 * units)
    pooled, _ = AttentionPooling(config.attention_units, name="attention")(h)
    if config.dropout:
        pooled = keras.layers.Dropout(config.dropout, seed=config.seed, name="dropout")(pooled)
    probabilities = keras.layers.Dense(n_classes, activation="softmax", name="classifier")(pooled)
    probabilities = UniformWhenEmpty(name="probabilities")([probabilities, length])
    model = keras.Model([sequence, length], probabilities, name="rnn_classifier")
    return compile_model(model, config, loss="sparse_categorical_crossentropy",
                         metrics=["accuracy"])


def serving(model: keras.Model, config: Config) -> Serving:
    """Serving function: raw `sequence` (batch, time, channels) float32 and its `length`
    (batch,) int32 -> `probabilities` (batch, classes) in the order of `classes`, and
    `label`, the most likely class name ("" for a zero-length sequence).

    Lengths are clipped to [0, time]."""
    _check_learned(config)
    names = tf.constant(list(config.classes))

    def serve(sequence, length):
        length = tf.clip_by_value(length, 0, tf.shape(sequence)[1])
        probabilities = model([sequence, length], training=False)
        label = tf.where(length > 0, tf.gather(names, tf.argmax(probabilities, -1)), "")
        return {"probabilities": probabilities, "label": label}

    return Serving(serve, [tf.TensorSpec([None, None, config.n_channels], tf.float32,
                                         name="sequence"),
                           tf.TensorSpec([None], tf.int32, name="length")])
