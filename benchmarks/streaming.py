"""Streaming serving: the cost of one new step, streaming against re-running the whole window.

A served recurrent model that takes whole windows must re-run the window for every new
observation, so the cost of a step grows with the window; its streaming twin
(`shared.layers.streaming.Streaming`, the same weights) takes the new step and the state
the previous one left, so the cost of a step should not depend on the window at all
(issue 23's target). Measured, both compiled with `tf.function` as a SavedModel serves
them, for two models with untrained weights (the cost does not depend on training):

- `lstm`: two stacked LSTM layers of 128 units and a dense output, 8 input features
  (the shape of the language model and forecasting encoders);
- `reservoir`: a 500-unit `Reservoir` and a dense readout, 1 input feature (the anomaly
  suite's `esn` detector).

For windows of 64 to 8,192 steps: the latency of one new step at batch 1 (median of
`--repeats` calls after a warm-up) and the throughput at batch 64 (steps per second over
the batch), streaming against the whole window; the largest difference between the
streamed outputs (the window fed one step at a time) and the whole-window outputs, per
model. Target: the streaming cost of a step independent of the window (at the largest
window under 1.5x its cost at the smallest: the step is the same computation, so the ratio
is noise around 1), the whole-window cost growing with it.

Not measured here yet: the speech model (its streaming preset does not exist yet), the
SavedModels' `stream` signatures from a fresh process, TensorFlow Lite.

    python -m benchmarks.streaming                 # about 5 minutes on 2 cores
    python -m benchmarks.streaming --quick         # windows up to 1,024, fewer repeats

Writes benchmarks/results/streaming.json and a PNG of cost against window
(benchmarks/results/streaming_cost.png, or `--plot`).
"""

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from benchmarks import record  # noqa: E402
from seqsuite.shared.layers.reservoir import Reservoir  # noqa: E402
from seqsuite.shared.layers.streaming import Streaming  # noqa: E402

SUITE = "streaming"
WINDOWS = (64, 256, 1024, 4096, 8192)
BATCH = 64


def lstm_model():
    inputs = keras.Input((None, 8))
    h = keras.layers.LSTM(128, return_sequences=True, seed=0)(inputs)
    h = keras.layers.LSTM(128, return_sequences=True, seed=1)(h)
    return keras.Model(inputs, keras.layers.Dense(1)(h), name="lstm")


def reservoir_model():
    inputs = keras.Input((None, 1))
    h = Reservoir(500, spectral_radius=0.9, leak_rate=0.5, seed=0)(inputs)
    return keras.Model(inputs, keras.layers.Dense(1)(h), name="reservoir")


MODELS = {"lstm": lstm_model, "reservoir": reservoir_model}


def median_seconds(function, repeats):
    function()  # warm-up: tracing and compilation
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return record.median_spread(times)


def measure(name, windows, repeats):
    """Rows for one model: per window, latency at batch 1 and throughput at batch 64."""
    model = MODELS[name]()
    features = model.inputs[0].shape[-1]
    stream = Streaming(model)
    whole = tf.function(lambda x: model(x), reduce_retracing=True)
    step = tf.function(lambda x, state: stream(x, state), reduce_retracing=True)
    rng = np.random.default_rng(0)

    # Equality: the longest window fed one step at a time against the whole window.
    x = rng.uniform(-1, 1, (1, min(windows[-1], 512), features)).astype("float32")
    state, streamed = stream.initial_state(1), []
    for t in range(x.shape[1]):
        out, state = step(x[:, t : t + 1], state)
        streamed.append(np.asarray(out))
    difference = float(np.abs(np.concatenate(streamed, axis=1) - np.asarray(whole(x))).max())

    rows = []
    for window in windows:
        per = {}
        for batch in (1, BATCH):
            x = rng.uniform(-1, 1, (batch, window, features)).astype("float32")
            one = x[:, -1:]
            state = stream.initial_state(batch)
            per[batch] = {
                "whole": median_seconds(lambda x=x: whole(x).numpy(), repeats),
                "stream": median_seconds(
                    lambda one=one, state=state: step(one, state)[0].numpy(), repeats),
            }
        ms = {k: record.scaled(v, 1e3) for k, v in per[1].items()}
        rate = {k: record.median_spread([BATCH / s for s in v["values"]])
                for k, v in per[BATCH].items()}
        rows.append({"model": name, "window": window,
                     "whole_ms": ms["whole"], "stream_ms": ms["stream"],
                     "latency_ratio": record.ratio(per[1]["whole"], per[1]["stream"]),
                     "whole_rate": rate["whole"], "stream_rate": rate["stream"]})
    return rows, difference


def plot(rows, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name in dict.fromkeys(r["model"] for r in rows):
        mine = [r for r in rows if r["model"] == name]
        windows = [r["window"] for r in mine]
        for key, style, label in (("whole_ms", "-", "whole window"),
                                  ("stream_ms", "--", "streaming, one step")):
            ax.plot(windows, [r[key]["median"] for r in mine], style, marker="o",
                    label=f"{name}: {label}")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("window (steps)")
    ax.set_ylabel("milliseconds per new step, batch 1 (median)")
    ax.set_title("the cost of a new observation: whole window against streaming")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="windows up to 1,024, 3 repeats")
    parser.add_argument("--repeats", type=int, default=None, help="timed calls per cell")
    parser.add_argument("--plot", type=Path, default=record.results_dir() / "streaming_cost.png",
                        help="where the PNG goes")
    args = parser.parse_args(argv)
    windows = WINDOWS[:3] if args.quick else WINDOWS
    repeats = args.repeats or (3 if args.quick else 7)
    tf.get_logger().setLevel("ERROR")
    prov = record.provenance(record.command_line("streaming", argv), repeats=repeats,
                             windows=list(windows), batch=BATCH)
    rows, checks = [], []
    for name in MODELS:
        print(f"{name} ...", flush=True)
        model_rows, difference = measure(name, windows, repeats)
        rows += model_rows
        stream_ms = [r["stream_ms"]["median"] for r in model_rows]
        whole_ms = [r["whole_ms"]["median"] for r in model_rows]
        # The streamed step is the same computation whatever the window: its ratio
        # between the largest and smallest window is noise around 1.
        stream_growth = stream_ms[-1] / stream_ms[0]
        growth = whole_ms[-1] / whole_ms[0]
        checks.append({"model": name, "difference": difference,
                       "stream_growth": stream_growth, "whole_growth": growth,
                       "result": bool(stream_growth < 1.5 and growth > 4
                                      and difference < 1e-5)})
    table = record.table(
        "The cost of one new step: re-running the whole window against streaming",
        [record.column("model", "Model"), record.column("window", "Window", ",d"),
         record.column("whole_ms", "whole window, ms (batch 1)", ".2f"),
         record.column("stream_ms", "streaming, ms (batch 1)", ".3f"),
         record.column("latency_ratio", "whole / streaming", ".0f", "×"),
         record.column("whole_rate", "whole window, steps/s (batch 64)", ",.0f"),
         record.column("stream_rate", "streaming, steps/s (batch 64)", ",.0f")], rows)
    verdict = record.table(
        "Target: a step's streaming cost independent of the window",
        [record.column("model", "Model"),
         record.column("difference", "largest |streamed - whole| output", ".1e"),
         record.column("stream_growth", "streaming cost, largest / smallest window", ".2f",
                       "×"),
         record.column("whole_growth", "whole-window cost, largest / smallest window",
                       ".0f", "×"),
         record.column("result", "Result")], checks,
        notes=["PASS: streaming outputs equal to 1e-5, the streaming cost at the largest "
               "window under 1.5× that at the smallest while the whole-window cost grows "
               "more than 4×."])
    picture = plot(rows, args.plot)
    print(f"plot: {picture}")
    record.write_result(
        "streaming", suite=SUITE, title=__doc__, provenance=prov, tables=[verdict, table],
        section_title="Streaming against whole windows",
        headline=[record.headline(
            f"{c['model']}: whole / streaming at {windows[-1]:,} steps",
            next(r["latency_ratio"] for r in rows
                 if r["model"] == c["model"] and r["window"] == windows[-1]), ".0f", "×")
            for c in checks])
    return 0


if __name__ == "__main__":
    sys.exit(main())
