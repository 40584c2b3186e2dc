"""Training-step time of seqsuite's cells relative to `keras.layers.LSTM`.

Every layer is trained in the same process on the same random batch, one step
at a time, with the steps of the different layers interleaved (in a shuffled
order each round) so that a slow spell of the machine slows all of them alike. Each model is compiled with the
Keras default `jit_compile="auto"`. On a GPU, `keras.layers.LSTM` runs cuDNN's
fused kernel, which no cell in a generic `keras.layers.RNN` loop can match;
the targets are meant for the generic loop, as on CPU.

    python -m benchmarks.cells            # 20 timed steps per layer
    python -m benchmarks.cells --steps 5  # quicker, noisier

Writes benchmarks/results/cells.json: per layer the median ms per step with its range over
the timed steps, and the ratio of medians to `keras.layers.LSTM`.
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from benchmarks import record  # noqa: E402
from seqsuite.shared.layers.cells import (  # noqa: E402
    LayerNormLSTMCell,
    LayerNormSimpleRNNCell,
    PeepholeLSTMCell,
    ZoneoutCell,
)

SUITE = "layers"
BASELINE = "keras.layers.LSTM"

# name -> (layer factory, target ratio to the baseline or None).
LAYERS = {
    BASELINE: (lambda units: keras.layers.LSTM(units), None),
    "RNN(LSTMCell)": (lambda units: keras.layers.RNN(keras.layers.LSTMCell(units)), None),
    "RNN(ZoneoutCell(LSTMCell))": (
        lambda units: keras.layers.RNN(ZoneoutCell(keras.layers.LSTMCell(units), 0.1, seed=0)),
        1.15,
    ),
    "RNN(PeepholeLSTMCell)": (lambda units: keras.layers.RNN(PeepholeLSTMCell(units)), 1.2),
    "RNN(LayerNormLSTMCell)": (lambda units: keras.layers.RNN(LayerNormLSTMCell(units)), 1.6),
    "RNN(LayerNormSimpleRNNCell)": (
        lambda units: keras.layers.RNN(LayerNormSimpleRNNCell(units)),
        None,
    ),
}


def build_model(make_layer, args):
    model = keras.Sequential(
        [
            keras.Input((args.timesteps, args.features)),
            make_layer(args.units),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    return model


def time_training_steps(args):
    """Returns {name: [seconds per step]} over `args.steps` interleaved steps."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.batch, args.timesteps, args.features)).astype("float32")
    y = rng.normal(size=(args.batch, 1)).astype("float32")
    models = {name: build_model(make, args) for name, (make, _) in LAYERS.items()}
    for model in models.values():
        for _ in range(args.warmup):
            model.train_on_batch(x, y)
    times = {name: [] for name in models}
    names = list(models)
    for _ in range(args.steps):
        # A fresh order every round, so no layer always follows the same one.
        for name in rng.permutation(names):
            start = time.perf_counter()
            models[name].train_on_batch(x, y)
            times[name].append(time.perf_counter() - start)
    return times


def training_table(times) -> dict:
    steps = {name: record.scaled(record.median_spread(t), 1e3) for name, t in times.items()}
    rows = []
    for name, (_, target) in LAYERS.items():
        ratio = record.ratio(steps[name], steps[BASELINE])
        rows.append({"layer": f"`{name}`", "step_ms": steps[name], "ratio": ratio,
                     "target": target, "result": None if target is None else ratio <= target})
    return record.table(
        "Training step",
        [record.column("layer", "Layer"), record.column("step_ms", "ms / step", ".1f"),
         record.column("ratio", "× LSTM (medians)", ".2f", "×"),
         record.column("target", "Target ≤", ".2f", "×"), record.column("result", "Result")],
        rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="timed steps per layer")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps per layer first")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--timesteps", type=int, default=100)
    parser.add_argument("--features", type=int, default=128)
    parser.add_argument("--units", type=int, default=128)
    args = parser.parse_args(argv)
    # Six models trace six train functions in a row, which TensorFlow reports
    # as excessive retracing; it is not.
    tf.get_logger().setLevel("ERROR")
    if args.steps < 1 or args.warmup < 1:
        parser.error(f"--steps and --warmup must be >= 1. Received: {args.steps}, {args.warmup}")

    prov = record.provenance(
        record.command_line("cells", argv), seeds=[0], batch=args.batch, timesteps=args.timesteps,
        features=args.features, units=args.units, steps=args.steps, warmup=args.warmup,
        backend=keras.backend.backend(),
        devices=", ".join(d.device_type for d in tf.config.list_physical_devices()))
    table = training_table(time_training_steps(args))
    record.write_result(
        "cells", suite=SUITE, title=__doc__, provenance=prov, tables=[table],
        section_title=(f"Training step, batch {args.batch}, {args.timesteps} steps, "
                       f"{args.features} inputs, {args.units} units"),
        headline=[record.headline(f"{row['layer']} × LSTM", row["ratio"], ".2f", "×")
                  for row in table["rows"] if row["target"] is not None])
    return 0


if __name__ == "__main__":
    sys.exit(main())
