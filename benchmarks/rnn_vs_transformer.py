"""RNN or Transformer: quality, time and memory of the same suites and layers with a
recurrent, a Transformer and a hybrid encoder, measured side by side.

Two sections:

- `length`: one layer of each (an LSTM, a causal pre-norm Transformer block from
  `shared.layers.encoders`, and the hybrid: the LSTM under that block), 64 wide, on
  random sequences from 64 to 8,192 steps: the time of one training step (batch 2), of
  inference at batch 1, and of one new step when the sequence arrives a step at a time
  (the LSTM streams, `shared.layers.streaming`; attention has to read the window again,
  as the language model's windowed stream does), and the peak memory of the process
  around the training step. Each (model, length) runs in a process of its own, so a
  peak is that cell's alone. A PNG shows the curves.
- `quality --suite NAME`: the suite's preset (`quick` by default) trained with
  `encoder=rnn`, `transformer` and `hybrid` for each seed, the
  attention encoders' `units` chosen so their parameter counts come closest to the
  recurrent model's: test quality (the suite's headline metric), training time, the
  time each took to reach the validation loss all three reached, inference latency at
  batch 1 and the training process's peak memory. Medians over seeds, with their range.

    python -m benchmarks.rnn_vs_transformer length
    python -m benchmarks.rnn_vs_transformer quality --suite tagging --seeds 0 1 2
    python -m benchmarks.rnn_vs_transformer quality --suite classification --set data=my.ts

Writes benchmarks/results/rnn_vs_transformer.json (a section per suite and one for
the sweep) and rnn_vs_transformer_length.png.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from benchmarks import record  # noqa: E402

NAME = "rnn_vs_transformer"
SUITE = "rnn_vs_transformer"
LENGTHS = (64, 256, 1024, 4096, 8192)
MODELS = ("lstm", "transformer", "hybrid")
WIDTH, FEATURES, BATCH, HEADS = 64, 16, 2, 4

# The suites with an `encoder=` field, what each needs beside it, and its headline test
# metric: (path in metrics.json, label, higher is better).
SUITES = {
    "tagging": ([], ("test", "crf", "f1"), "entity F1", True),
    "sentiment": ([], ("test", "model", "accuracy"), "accuracy", True),
    "classification": (["model=rnn"], ("test", "rnn", "accuracy"), "accuracy", True),
    # The statistical baselines are refitted by every run and change no network's figure.
    "forecasting": (["baselines=[]"], ("test", "model", "mase"), "MASE", False),
    "language_model": ([], ("test", "model", "bits_per_char"), "bits per character", False),
    "translation": ([], ("test", "beam", "per"), "phoneme error rate (beam)", False),
    "speech": ([], ("test", "beam", "cer"), "CER (beam)", False),
    "vision": ([], ("test", "beam", "cer"), "CER (beam)", False),
}


# -- the length sweep ---------------------------------------------------------------------


def _layer_model(kind: str, steps: int):
    """(batch, steps, FEATURES) -> (batch, steps, 1) through one layer of `kind`."""
    import keras

    from seqsuite.shared.layers.encoders import sequence_encoder
    from seqsuite.shared.layers.options import SequenceEncoderConfig

    keras.utils.set_random_seed(0)
    inputs = keras.Input((None, FEATURES))
    if kind == "lstm":
        h = keras.layers.LSTM(WIDTH, return_sequences=True)(inputs)
    else:
        config = SequenceEncoderConfig(encoder=kind, units=WIDTH, heads=HEADS, layers=1)
        h = sequence_encoder(inputs, config, return_sequences=True, causal=True)
    model = keras.Model(inputs, keras.layers.Dense(1)(h), name=kind)
    model.compile(optimizer="adam", loss="mse")
    return model


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _median(function, repeats: int) -> dict:
    """Milliseconds of `function` after a warm-up call: `benchmarks.streaming`'s timer."""
    from benchmarks.streaming import median_seconds

    return record.scaled(median_seconds(function, repeats), 1e3)


def measure_cell(kind: str, steps: int, repeats: int) -> dict:
    """One (model, length) cell, in this process (the sweep gives each its own)."""
    import numpy as np
    import tensorflow as tf

    from seqsuite.shared.layers.streaming import Streaming

    model = _layer_model(kind, steps)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCH, steps, FEATURES)).astype("float32")
    y = rng.normal(size=(BATCH, steps, 1)).astype("float32")
    one = x[:1]
    before = _peak_mib()
    train_ms = _median(lambda: model.train_on_batch(x, y), repeats)
    memory = _peak_mib()
    whole = tf.function(lambda v: model(v), reduce_retracing=True)
    infer_ms = _median(lambda: whole(one).numpy(), repeats)
    if kind == "lstm":
        stream = Streaming(model)
        state = stream.initial_state(1)
        step = tf.function(lambda v, s: stream(v, s), reduce_retracing=True)
        stream_ms = _median(lambda: step(one[:, -1:], state)[0].numpy(), repeats)
        how = "streamed step"
    else:  # the newest step's output needs the whole window read again
        stream_ms, how = infer_ms, "window read again"
    return {"model": kind, "steps": steps, "train_ms": train_ms, "infer_ms": infer_ms,
            "new_step_ms": stream_ms, "new_step": how, "peak_mib": memory,
            "step_mib": memory - before, "parameters": int(model.count_params())}


def length(argv, lengths, repeats: int, plot_path: Path) -> int:
    prov = record.provenance(record.command_line(NAME, argv), repeats=repeats,
                             lengths=list(lengths), batch=BATCH, width=WIDTH,
                             features=FEATURES, heads=HEADS)
    rows = []
    for kind in MODELS:
        for steps in lengths:
            print(f"{kind}, {steps:,} steps ...", flush=True)
            out = subprocess.run(
                [sys.executable, "-m", f"benchmarks.{NAME}", "_cell", kind, str(steps),
                 str(repeats)], capture_output=True, text=True, cwd=record.ROOT)
            if out.returncode:
                print(out.stderr[-2000:], file=sys.stderr)
                rows.append({"model": kind, "steps": steps, "failed": out.stderr.strip()
                             .splitlines()[-1][:200] if out.stderr.strip() else "failed"})
                continue
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    done = [r for r in rows if "failed" not in r]
    table = record.table(
        f"One layer, {WIDTH} wide, as the sequence grows (batch {BATCH} for training, 1 for "
        "inference)",
        [record.column("model", "Layer"), record.column("steps", "Steps", ",d"),
         record.column("parameters", "Parameters", ",d"),
         record.column("train_ms", "training step, ms", ",.1f"),
         record.column("infer_ms", "inference, ms", ",.1f"),
         record.column("new_step_ms", "one new step, ms", ",.2f"),
         record.column("new_step", "how"),
         record.column("peak_mib", "peak memory, MiB", ",.0f"),
         record.column("step_mib", "training step's growth, MiB", ",.0f")], done,
        notes=["Medians of the timed calls with their range. Peak memory: the process's "
               "resident peak after the training steps (TensorFlow's own start-up "
               "included); its growth: over the peak before the first step.",
               "The attention layers are causal; their new step reads the whole window "
               "again (a key-value cache would make it linear in the window, not constant)."])
    failed = [r for r in rows if "failed" in r]
    tables = [table]
    if failed:
        tables.append(record.table("Cells that did not finish",
                                   [record.column("model", "Layer"),
                                    record.column("steps", "Steps", ",d"),
                                    record.column("failed", "What happened")], failed))
    picture = _plot(done, plot_path)
    print(f"plot: {picture}")
    longest = max(r["steps"] for r in done)

    def at(kind, key):
        return next(r[key]["median"] for r in done if r["model"] == kind and
                    r["steps"] == longest)

    record.write_result(
        NAME, suite=SUITE, title=__doc__, provenance=prov, tables=tables, section="length",
        section_title="Cost against sequence length",
        headline=[record.headline(f"training step at {longest:,} steps, Transformer / LSTM",
                                  at("transformer", "train_ms") / at("lstm", "train_ms"),
                                  ".2f", "×"),
                  record.headline(f"new step at {longest:,} steps, Transformer / LSTM",
                                  at("transformer", "new_step_ms") / at("lstm", "new_step_ms"),
                                  ".0f", "×")])
    return 0


def _plot(rows, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    for ax, key, label in zip(axes, ("train_ms", "new_step_ms", "peak_mib"),
                              ("training step, ms (batch 2)", "one new step, ms (batch 1)",
                               "peak memory, MiB")):
        for kind in MODELS:
            mine = [r for r in rows if r["model"] == kind]
            values = [r[key]["median"] if isinstance(r[key], dict) else r[key] for r in mine]
            ax.plot([r["steps"] for r in mine], values, marker="o", label=kind)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("sequence length (steps)")
        ax.set_title(label)
        ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# -- suite quality ------------------------------------------------------------------------


def encoders(suite: str) -> tuple[str, ...]:
    return ("rnn", "transformer", "hybrid")


def _parameters(suite_name: str, preset: str, overrides: list[str]) -> int:
    """Trainable and other weights of the suite's model for `overrides`, built on its data."""
    import keras

    from seqsuite import registry
    from seqsuite.shared.run.runner import prepare

    suite = registry.get(suite_name)
    _, _, model = prepare(suite, registry.resolve_config(suite_name, preset, overrides))
    count = int(model.count_params())
    keras.backend.clear_session()
    return count


def matched_units(suite: str, preset: str, base: list[str], encoder: str, target: int,
                  heads: int) -> tuple[int, int]:
    """(units, parameters) of `encoder` whose count comes closest to `target`: a bisection
    over multiples of `heads` (the count grows with the width)."""
    low, high = 1, 64  # in units of `heads`
    count = {}

    def params(k):
        if k not in count:
            count[k] = _parameters(suite, preset, [*base, f"encoder={encoder}",
                                                   f"heads={heads}", f"units={k * heads}"])
        return count[k]

    while params(high) < target and high < 1024:
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if params(middle) < target else (low, middle)
    best = min((low, high), key=lambda k: abs(params(k) - target))
    return best * heads, params(best)


def _metric(metrics: dict, path) -> float:
    value = metrics
    for key in path:
        value = value[key]
    return float(value)


def _history(run: Path) -> list[dict]:
    with (run / "history.csv").open() as handle:
        return [{"val_loss": float(r["val_loss"]), "seconds": float(r["seconds"])}
                for r in csv.DictReader(handle) if r.get("val_loss")]


def _train(suite: str, preset: str, overrides: list[str], out: Path) -> dict:
    """Train in a process of its own; its peak memory, wall time, and the run."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{NAME}", "_train", suite, preset, str(out),
         *overrides], capture_output=True, text=True, cwd=record.ROOT)
    if proc.returncode:
        raise RuntimeError(f"{suite} {overrides} failed: {proc.stderr[-3000:]}")
    child = json.loads(proc.stdout.strip().splitlines()[-1])
    return {**child, "wall_s": time.perf_counter() - start}


def quality(argv, suite: str, seeds, preset: str, overrides=()) -> int:
    base, path, label, higher = SUITES[suite]
    base = [*base, *overrides]
    heads = HEADS
    prov = record.provenance(record.command_line(NAME, argv), seeds=list(seeds),
                             preset=preset, heads=heads, overrides=list(overrides))
    rnn_params = _parameters(suite, preset, base)
    widths = {"rnn": (None, rnn_params)}
    for encoder in encoders(suite)[1:]:
        widths[encoder] = matched_units(suite, preset, base, encoder, rnn_params, heads)
        print(f"{encoder}: units={widths[encoder][0]} for {widths[encoder][1]:,} parameters "
              f"(rnn: {rnn_params:,})", flush=True)
    runs = {}
    with tempfile.TemporaryDirectory() as scratch:
        for seed in seeds:
            for encoder in encoders(suite):
                units, _ = widths[encoder]
                overrides = [*base, f"seed={seed}", f"encoder={encoder}"]
                if units is not None:
                    overrides += [f"heads={heads}", f"units={units}"]
                out = Path(scratch) / f"{encoder}-{seed}"
                print(f"{suite} {encoder} seed {seed} ...", flush=True)
                result = _train(suite, preset, overrides, out)
                metrics = json.loads((out / "metrics.json").read_text())
                runs[encoder, seed] = {**result, "quality": _metric(metrics, path),
                                       "history": _history(out)}
    rows = []
    reach = {}
    for seed in seeds:  # the validation loss every encoder reached, per seed
        target = max(min(h["val_loss"] for h in runs[e, seed]["history"])
                     for e in encoders(suite))
        for encoder in encoders(suite):
            elapsed = 0.0
            for epoch in runs[encoder, seed]["history"]:
                elapsed += epoch["seconds"]
                if epoch["val_loss"] <= target:
                    break
            reach[encoder, seed] = elapsed
    for encoder in encoders(suite):
        mine = [runs[encoder, s] for s in seeds]
        rows.append({
            "encoder": encoder, "units": widths[encoder][0] or "suite's",
            "parameters": widths[encoder][1],
            "quality": record.median_spread([m["quality"] for m in mine]),
            "train_s": record.median_spread([sum(e["seconds"] for e in m["history"])
                                             for m in mine]),
            "reach_s": record.median_spread([reach[encoder, s] for s in seeds]),
            "latency_ms": record.median_spread([m["latency_ms"] for m in mine]),
            "peak_mib": record.median_spread([m["peak_mib"] for m in mine])})
    best = (max if higher else min)(rows, key=lambda r: r["quality"]["median"])
    table = record.table(
        f"{suite} ({preset} preset): {label} on the test split, "
        f"{'higher' if higher else 'lower'} is better",
        [record.column("encoder", "Encoder"), record.column("units", "units"),
         record.column("parameters", "Parameters", ",d"),
         record.column("quality", label, ".4f"),
         record.column("train_s", "training epochs, s", ",.0f"),
         record.column("reach_s", "to the shared validation loss, s", ",.0f"),
         record.column("latency_ms", "inference at batch 1, ms", ",.1f"),
         record.column("peak_mib", "peak memory, MiB", ",.0f")], rows,
        notes=[f"Medians over seeds {', '.join(map(str, seeds))} with their range. The "
               "attention encoders' units are chosen so their parameter count comes "
               "closest to the recurrent model's; every other setting is the preset's. "
               "Training: the epochs' wall time with their validation (history.csv), "
               "not the baselines fitted beside them.",
               "To the shared validation loss: training time until the validation loss "
               "first reached the best loss of the encoder that did worst (per seed). "
               "Inference: the trained model on one test example, in the training "
               "process. Peak memory: that process's resident peak."])
    record.write_result(
        NAME, suite=SUITE, title=__doc__, provenance=prov, tables=[table],
        section=f"quality {suite}", section_title=f"Quality: {suite}",
        headline=[record.headline(f"{suite}: best {label}", f"{best['encoder']}")])
    return 0


# -- child processes ----------------------------------------------------------------------


def _child_train(suite_name: str, preset: str, out: str, overrides: list[str]) -> None:
    """Train one run, then time the trained model on one test example; print JSON."""
    import numpy as np
    import tensorflow as tf

    from seqsuite import registry
    from seqsuite.shared.run import runner

    suite = registry.get(suite_name)
    config = runner.resolve_config(suite, preset, [*overrides, "verbose=0"])
    start = time.perf_counter()
    runner.train(suite, config, Path(out), preset, overwrite=True)
    train_s = time.perf_counter() - start
    peak = _peak_mib()
    config, model = runner.load_run(suite, Path(out))
    data = suite.load_data(config)
    batch = next(iter(data.test))
    inputs = tf.nest.map_structure(lambda t: t[:1], batch[0])
    if suite_name == "language_model":  # a stateful model takes whole batches
        from seqsuite.suites.language_model.model import token_model

        ids = model.get_layer("vectorizer")(inputs)
        model, inputs = token_model(model, config), tf.cast(ids, tf.int32)
    call = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
    latency = _median(lambda: tf.nest.map_structure(np.asarray, call(inputs)), 20)
    print(json.dumps({"train_s": train_s, "peak_mib": peak,
                      "latency_ms": latency["median"]}))


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_cell":
        print(json.dumps(record._plain(measure_cell(argv[1], int(argv[2]), int(argv[3])))))
        return 0
    if argv and argv[0] == "_train":
        _child_train(argv[1], argv[2], argv[3], argv[4:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("section", choices=("length", "quality"))
    parser.add_argument("--suite", choices=sorted(SUITES), help="quality: the suite")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--preset", default="quick", help="quality: the suite's preset")
    parser.add_argument("--set", dest="overrides", nargs="+", default=[], metavar="KEY=VALUE",
                        help="quality: the suite's settings for every encoder, e.g. "
                        "data=my.csv (your own data)")
    parser.add_argument("--lengths", type=int, nargs="+", default=list(LENGTHS))
    parser.add_argument("--repeats", type=int, default=5, help="length: timed calls per cell")
    parser.add_argument("--plot", type=Path,
                        default=record.results_dir() / f"{NAME}_length.png")
    args = parser.parse_args(argv)
    if args.section == "length":
        return length(argv, args.lengths, args.repeats, args.plot)
    if args.suite is None:
        parser.error("quality needs --suite NAME")
    return quality(argv, args.suite, args.seeds, args.preset, args.overrides)


if __name__ == "__main__":
    sys.exit(main())
