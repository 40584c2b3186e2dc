"""Sequence classifiers: raw (sequence, length) in, class probabilities out.

Both models standardise the channels with statistics adapted on the training
frames (`normalize`), so they take raw values, and both take each sequence's
length beside the zero-padded batch:

    rnn: normalize -> LengthMask -> bidirectional recurrent encoder
         -> AttentionPooling -> softmax                   (trained by epochs)
    esn: views (normalize, SeriesStandardize, FirstDifference) -> Reservoirs at `timescales` leak rates
         -> TimePooling statistics over the valid steps -> FeatureStandardize
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
import numpy as np
import tensorflow as tf
from keras import ops

from seqsuite.shared.errors import ConfigError
from seqsuite.shared.layers.attention import AttentionPooling
from seqsuite.shared.layers.encoders import sequence_encoder
from seqsuite.shared.layers.masking import LengthMask
from seqsuite.shared.layers.reservoir import Reservoir, RidgeReadout
from seqsuite.shared.run.suite import Serving
from seqsuite.shared.run.training import compile_model
from seqsuite.suites.classification.config import STATISTICS, Config


def _step_numbers(sequence):
    """(batch, time) int32: 1, 2, ... along the time axis of `sequence` (batch, time, ...)."""
    # From a cumulative sum, not ops.shape: a symbolic time axis is None.
    return ops.cumsum(ops.ones_like(sequence[:, :, 0], dtype="int32"), axis=1)


def _valid_steps(length, sequence):
    """(batch, time) boolean mask of `sequence` (batch, time, ...), True at the first
    `length` steps of each row."""
    return _step_numbers(sequence) <= ops.cast(length, "int32")[:, None]


@keras.saving.register_keras_serializable(package="seqsuite")
class TimePooling(keras.layers.Layer):
    """Pools each sequence's valid steps into one vector of statistics per unit.

    With `h_1 .. h_L` the first `L = length` rows of `states`, per unit:

    ```
    mean:  (1/L) Σ_t h_t                   max:  max_t h_t       min:  min_t h_t
    ppv:   (1/L) Σ_t [h_t > 0]             std:  sqrt(mean(h²) - mean(h)²)
    last:  h_L
    ```

    `mode` joins the statistics wanted with "_", concatenated in that order
    (`"mean_last"` = `[mean, last]`). With `segments = S > 1` the means over each of
    `S` equal parts of the valid steps follow (step `t` in part `floor(t S / L)`), a
    temporal pyramid: where in the sequence a unit was high, which the whole-sequence
    statistics do not tell (a part with no step pools to zeros). A linear readout of
    the mean state is the mean of the per-step readouts, the class evidence Jaeger et al. (2007)
    average over an utterance; max, min and the proportion of positive values
    (ppv, as ROCKET pools its convolutions, Dempster et al. 2020) tell where in
    a sequence a pattern occurred at all, which a mean dilutes in a long one.

    Args:
        mode: Statistics joined with `"_"`, from `mean`, `max`, `min`, `ppv`,
            `std`, `last`. Default: `"mean_last"`.
        segments: Parts of the sequence pooled by their means as well (1: none).
            Default: `1`.
        **kwargs: Base layer arguments.

    Call arguments:
        inputs: `[states, length]`, states `(batch, time, units)` and length
            `(batch,)`; a length of 0 pools to zeros.
    """

    def __init__(self, mode="mean_last", segments=1, **kwargs):
        statistics = mode.split("_") if isinstance(mode, str) else []
        if not statistics or set(statistics) - set(STATISTICS) or \
                len(set(statistics)) < len(statistics):
            raise ValueError(f"Argument `mode` must join distinct statistics of {STATISTICS} "
                             f"with '_'. Received: mode={mode!r}")
        if not isinstance(segments, int) or segments < 1:
            raise ValueError(f"Argument `segments` must be an integer >= 1. Received: "
                             f"segments={segments!r}")
        super().__init__(**kwargs)
        self.mode = mode
        self.segments = segments
        self.statistics = statistics

    def call(self, inputs):
        states, length = inputs
        length = ops.cast(length, "int32")
        valid = _valid_steps(length, states)[..., None]  # (batch, time, 1)
        weights = ops.cast(valid, states.dtype)
        count = ops.maximum(ops.sum(weights, axis=1), 1.0)  # (batch, 1)
        some = ops.cast(length > 0, states.dtype)[:, None]  # zeros for an empty sequence
        mean = ops.sum(states * weights, axis=1) / count
        pooled = []
        for statistic in self.statistics:
            if statistic == "mean":
                pooled.append(mean)
            elif statistic == "max":
                pooled.append(ops.max(ops.where(valid, states, -1e9), axis=1) * some)
            elif statistic == "min":
                pooled.append(ops.min(ops.where(valid, states, 1e9), axis=1) * some)
            elif statistic == "ppv":
                positive = ops.cast(states > 0, states.dtype) * weights
                pooled.append(ops.sum(positive, axis=1) / count)
            elif statistic == "std":
                square = ops.sum(ops.square(states) * weights, axis=1) / count
                pooled.append(ops.sqrt(ops.maximum(square - ops.square(mean), 0.0)))
            else:  # last
                last = ops.take_along_axis(states, ops.maximum(length - 1, 0)[:, None, None],
                                           axis=1)
                pooled.append(ops.squeeze(last, 1) * some)
        if self.segments > 1:
            steps = _step_numbers(states) - 1  # 0, 1, ...
            part = (steps * self.segments) // ops.maximum(length, 1)[:, None]  # (batch, time)
            # one contraction over time (batch, parts, units): no copy of the states per part
            inside = ops.one_hot(part, self.segments, dtype=states.dtype) * weights
            sums = ops.einsum("btp,btu->bpu", inside, states)
            means = sums / ops.maximum(ops.sum(inside, axis=1), 1.0)[..., None]
            pooled.append(ops.reshape(means, (-1, self.segments * ops.shape(states)[-1])))
        return pooled[0] if len(pooled) == 1 else ops.concatenate(pooled, axis=-1)

    def compute_output_shape(self, input_shapes):
        states = input_shapes[0]
        parts = self.segments if self.segments > 1 else 0
        return (states[0], states[-1] * (len(self.statistics) + parts))

    def get_config(self):
        return {**super().get_config(), "mode": self.mode, "segments": self.segments}


@keras.saving.register_keras_serializable(package="seqsuite")
class SeriesStandardize(keras.layers.Layer):
    """Z-normalises each sequence on its own, channel by channel, over its valid steps:

    ```
    x̃_t = (x_t - mean_t x) / (std_t x + epsilon),   padded steps -> 0
    ```

    so that what follows sees a recording's shape, not its level or amplitude
    (the UCR archive's own preprocessing). A constant channel maps to zeros.

    Args:
        epsilon: Added to the standard deviation. Default: `1e-6`.
        **kwargs: Base layer arguments.

    Call arguments:
        inputs: `[sequence, length]`, `(batch, time, channels)` and `(batch,)`.
    """

    def __init__(self, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def call(self, inputs):
        sequence, length = inputs
        weights = ops.cast(_valid_steps(length, sequence), sequence.dtype)[..., None]
        count = ops.maximum(ops.sum(weights, axis=1, keepdims=True), 1.0)
        mean = ops.sum(sequence * weights, axis=1, keepdims=True) / count
        centred = (sequence - mean) * weights
        std = ops.sqrt(ops.sum(ops.square(centred), axis=1, keepdims=True) / count)
        return centred / (std + self.epsilon)

    def compute_output_shape(self, input_shapes):
        return input_shapes[0]

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="seqsuite")
class FirstDifference(keras.layers.Layer):
    """`d_t = x_t - x_{t-1}`, with `d_0 = 0`: where a recording rises and falls (the
    first-order difference MultiRocket adds to ROCKET's view, Tan et al. 2022).

    Call arguments:
        inputs: `(batch, time, channels)`.
    """

    def call(self, inputs):
        previous = ops.concatenate([inputs[:, :1], inputs[:, :-1]], axis=1)
        return inputs - previous

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="seqsuite")
class FeatureStandardize(keras.layers.Layer):
    """`(x - mean) / scale` per feature, with `mean` and `scale` set by `fit` (a closed-form
    fit, like the ridge readout after it: one penalty then weighs every pooled statistic
    alike, whatever its units). A feature constant over the fitting rows keeps scale 1,
    so a new value of it is not blown up by a near-zero spread.

    Call arguments:
        inputs: `(batch, features)`.
    """

    def build(self, input_shape):
        features = input_shape[-1]
        self.mean = self.add_weight(name="mean", shape=(features,), initializer="zeros",
                                    trainable=False)
        self.scale = self.add_weight(name="scale", shape=(features,), initializer="ones",
                                     trainable=False)

    def fit(self, features) -> np.ndarray:
        """Sets `mean` and `scale` from `features` (rows, features); returns them scaled."""
        features = np.asarray(features, dtype="float64")
        std = features.std(axis=0)
        scale = np.where(std > 1e-6, std, 1.0)
        self.mean.assign(features.mean(axis=0).astype("float32"))
        self.scale.assign(scale.astype("float32"))
        return (features - features.mean(axis=0)) / scale

    def call(self, inputs):
        return (inputs - self.mean) / self.scale

    def compute_output_shape(self, input_shape):
        return input_shape


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
        # (z-normalising the standardised channels is z-normalising the raw ones)
        views = {
            "global": lambda: x,
            "series": lambda: SeriesStandardize(name="series_norm")([x, length]),
            "difference": lambda: SeriesStandardize(name="difference_norm")(
                [FirstDifference(name="difference")(x), length]),
        }
        inputs = [views[view]() for view in config.views]
        leaks = config.reservoir_leak_rates()
        total = len(inputs) * len(leaks)
        units = config.reservoir_units // total
        pooled = []
        for v, view in enumerate(inputs):
            for k, leak in enumerate(leaks):
                index = v * len(leaks) + k
                states = Reservoir(
                    units, spectral_radius=config.spectral_radius, leak_rate=leak,
                    input_scaling=input_weight_scale(config),
                    connectivity=config.connectivity,
                    input_connectivity=config.input_connectivity,
                    bias_scaling=config.bias_scaling,
                    seed=None if config.seed is None else config.seed * 100 + index,
                    name=f"reservoir_{index}",
                )(view)  # (batch, time, units)
                pooled.append(TimePooling(
                    config.pooling, config.segments,
                    name="pooling" if total == 1 else f"pooling_{index}")(
                    [states, length]))
        features = (pooled[0] if len(pooled) == 1
                    else keras.layers.Concatenate(name="pooling")(pooled))
        features = FeatureStandardize(name="standardize")(features)
        # A ridge of None is chosen when the readout is fitted (train.fit_esn).
        scores = RidgeReadout(n_classes, ridge=config.ridge or 0.0, name="readout")(features)
        probabilities = TemperatureSoftmax(name="calibration")(scores)
        probabilities = UniformWhenEmpty(name="probabilities")([probabilities, length])
        return keras.Model([sequence, length], probabilities, name="esn_classifier")
    if config.input_noise:
        # Augmentation for small sets of recordings: jitter every frame, in training only.
        x = keras.layers.GaussianNoise(config.input_noise, seed=config.seed, name="noise")(x)
    x = LengthMask(name="mask")([x, length])
    h = sequence_encoder(x, config, seed=config.seed,
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
