"""Forecasting model: raw window -> normalise -> recurrent encoder -> horizon.

The encoder sees the window relative to its last step and predicts the change
from the last observed (scaled) target value,
    y_hat[t + k] = x[t - 1, target] + dense(encoder(x - x[t - 1]))[k],   k = 1..horizon,
so a level the training data never reached (CO2 keeps rising) is neither fed
into nor extrapolated by the recurrent layers. Inputs are normalised inside the model
with statistics adapted on the training split, so the model takes raw windows.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from seqsuite.shared.encoders import recurrent_stack
from seqsuite.shared.training import compile_model
from seqsuite.suites.forecasting.config import Config


@keras.saving.register_keras_serializable(package="seqsuite")
class LastValueResidual(keras.layers.Layer):
    """Adds the last time step of feature `index` to a predicted change.

    Call arguments:
        inputs: `[x, delta]`, x of shape (batch, time, features) and delta of
            shape (batch, horizon).

    Returns:
        (batch, horizon): `x[:, -1, index:index+1] + delta`.
    """

    def __init__(self, index: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.index = index

    def call(self, inputs):
        x, delta = inputs
        return x[:, -1, self.index : self.index + 1] + delta

    def compute_output_shape(self, input_shapes):
        return input_shapes[1]

    def get_config(self):
        return {**super().get_config(), "index": self.index}


@keras.saving.register_keras_serializable(package="seqsuite")
class SubtractLast(keras.layers.Layer):
    """Expresses a window relative to its last step: `x - x[:, -1:, :]`.

    Call arguments:
        inputs: (batch, time, features).
    """

    def call(self, inputs):
        return inputs - inputs[:, -1:, :]

    def compute_output_shape(self, input_shape):
        return input_shape


def build_model(config: Config) -> keras.Model:
    """Compiled forecaster for `config` (the normalisation is adapted by the runner)."""
    window = keras.Input((None, config.n_features), name="window")  # (batch, time, features)
    x = keras.layers.Normalization(axis=-1, name="normalize")(window)
    h = recurrent_stack(
        SubtractLast(name="relative")(x), cell=config.cell, units=config.units, layers=config.layers,
        bidirectional=config.bidirectional, dropout=config.dropout,
        zoneout_h=config.zoneout_h, zoneout_c=config.zoneout_c, seed=config.seed,
    )
    delta = keras.layers.Dense(config.horizon, name="head")(h)
    out = LastValueResidual(0, name="forecast")([x, delta])
    model = keras.Model(window, out, name=f"forecaster_{config.cell}")
    return compile_model(model, config, loss="mse", metrics=["mae"])


def target_scale(model: keras.Model) -> tuple[float, float]:
    """(mean, std) of the target as adapted by the model's normalisation layer."""
    mean, variance = model.get_layer("normalize").get_weights()[:2]
    return float(np.ravel(mean)[0]), float(np.sqrt(np.ravel(variance)[0]))


def predict(model: keras.Model, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Forecasts in original units for raw windows x (batch, window, features)."""
    mean, std = target_scale(model)
    return model.predict(x, batch_size=batch_size, verbose=0) * std + mean


def serving(model: keras.Model, config: Config):
    """Serving function: raw window (batch, window, features) -> forecast in original units."""
    mean, std = target_scale(model)

    def serve(window):
        return {"forecast": ops.add(ops.multiply(model(window, training=False), std), mean)}

    spec = tf.TensorSpec([None, config.window, config.n_features], tf.float32, name="window")
    return serve, [spec]
