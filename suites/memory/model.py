"""Memory-task models: one recurrent layer (or stack) and a task head.

    adding:           sequence (T, 2)   -> recurrent -> h_T -> Dense(1)              (MSE)
    copy:             sequence (T+20, 10) -> recurrent -> h_t -> Dense(10) softmax, every t
    digits:           pixels (64k, 1)   -> recurrent -> h_T -> Dense(10) softmax

The recurrent part is `shared.layers.encoders.recurrent_stack` for the cells (with the
config's `recurrent_init`, `forget_bias` and `recurrent_gain`: `cell=simple
recurrent_init=identity` is the IRNN), or for `cell=esn` a fixed
`shared.layers.reservoir.Reservoir` whose readout (the head) alone is trained, by the
same loop as every other model. The head reads the recurrent layer only, so
`shared.evaluation.diagnostics.gradient_flow` can unroll it step by step.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from seqsuite.shared.layers.encoders import recurrent_encoder
from seqsuite.shared.layers.reservoir import Reservoir
from seqsuite.shared.run.suite import Serving
from seqsuite.shared.run.training import compile_model
from seqsuite.suites.memory.config import Config


def build_model(config: Config) -> keras.Model:
    """Compiled model for `config` (input length free, so longer sequences can be tested)."""
    sequence = keras.Input((None, config.features), name="sequence")  # (batch, time, features)
    many_to_many = config.task == "copy"
    if config.cell == "esn":
        h = Reservoir(config.reservoir_units, spectral_radius=config.spectral_radius,
                      leak_rate=config.leak_rate, input_scaling=config.input_scaling,
                      input_connectivity=1.0, return_sequences=many_to_many,
                      seed=config.seed, name="reservoir")(sequence)
    else:
        h = recurrent_encoder(
            sequence, config, seed=config.seed, return_sequences=many_to_many,
            recurrent_init=config.recurrent_init, forget_bias=config.forget_bias,
            chrono_max=config.chrono_max or config.steps, recurrent_gain=config.recurrent_gain,
            name="recurrent",
        )
    if config.task == "adding":
        out = keras.layers.Dense(1, name="head")(h)
        model = keras.Model(sequence, out, name=f"adding_{config.cell}")
        return compile_model(model, config, loss="mse")
    out = keras.layers.Dense(config.classes, activation="softmax", name="head")(h)
    model = keras.Model(sequence, out, name=f"{config.task}_{config.cell}")
    return compile_model(model, config, loss="sparse_categorical_crossentropy",
                         metrics=["accuracy"])


def serving(model: keras.Model, config: Config) -> Serving:
    """Serving function: sequences (batch, steps, features) -> the task's answer.

    adding: `sum` (batch,); copy: `symbols` (batch, steps) and `probabilities`;
    digits: `digit` (batch,) and `probabilities` (batch, 10).
    """

    def serve(sequence):
        out = model(sequence, training=False)
        if config.task == "adding":
            return {"sum": out[:, 0]}
        name = "symbols" if config.task == "copy" else "digit"
        return {name: ops.cast(ops.argmax(out, axis=-1), "int32"), "probabilities": out}

    spec = tf.TensorSpec([None, config.steps, config.features], tf.float32, name="sequence")
    return Serving(serve, [spec])
