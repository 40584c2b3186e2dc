"""Reservoir model: an echo state network (`shared.layers.reservoir.ESN`), and the LSTM
trained by backpropagation through time that the suite reports beside it.

The ESN works on standardised series (statistics of the training part, kept
in the config); the serving function standardises raw input and returns
predictions in original units.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from seqsuite.shared.errors import ConfigError
from seqsuite.shared.layers.encoders import recurrent_stack
from seqsuite.shared.layers.reservoir import ESN
from seqsuite.shared.run.suite import Serving
from seqsuite.shared.run.training import compile_model
from seqsuite.suites.reservoir.config import Config


def build_model(config: Config) -> ESN:
    """The echo state network for `config` (its readout is fitted in closed form)."""
    return ESN(
        units=config.units, spectral_radius=config.spectral_radius, leak_rate=config.leak_rate,
        input_scaling=config.input_scaling, connectivity=config.connectivity,
        input_connectivity=config.input_connectivity, bias_scaling=config.bias_scaling,
        ridge=config.ridge, seed=config.seed, name="esn",
    )


def build_lstm(config: Config, n_in: int, n_out: int) -> keras.Model:
    """Sequence-to-sequence LSTM baseline, trained by BPTT on `lstm_window` windows."""
    x = keras.Input((None, n_in), name="series")
    h = recurrent_stack(x, cell="lstm", units=config.lstm_units, seed=config.seed,
                        return_sequences=True, name="lstm")
    model = keras.Model(x, keras.layers.Dense(n_out, name="head")(h), name="lstm_baseline")
    return compile_model(model, config, loss="mse")


def _scaling(config: Config):
    if config.input_mean is None:
        raise ConfigError("the scaling fields are filled from the data; train through "
                          "`seqsuite train reservoir`")
    return tuple(np.asarray(v, "float32") for v in
                 (config.input_mean, config.input_std, config.target_mean, config.target_std))


def serving(model: ESN, config: Config) -> Serving:
    """Serving function: a raw series (batch, time, features) -> predictions in original
    units (batch, time, outputs), running the reservoir from a zero state."""
    mean_in, std_in, mean_out, std_out = _scaling(config)

    def serve(series):
        y = model((series - mean_in) / std_in)
        return {"prediction": tf.cast(y, tf.float32) * std_out + mean_out}

    return Serving(serve, [tf.TensorSpec([None, None, len(mean_in)], tf.float32, name="series")])
