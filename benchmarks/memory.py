"""Memory benchmark: which models learn long dependencies, and how gradients flow.

    python -m benchmarks.memory                      # the reduced table (about 25 min, 2 cores)
    python -m benchmarks.memory --sections timing flow
    python -m benchmarks.memory --adding-lengths 50 100 200 400 --adding-steps 10000   # fuller

Sections (each written, when it ends, as its own section of
benchmarks/results/memory.json):

- `adding`, `copy`: every model against T. Each model trains (Adam, learning
  rate 3e-3, global clipping at 1, batch 64, 64 units) until its validation
  loss falls below 10% of the no-memory baseline, or a budget of training
  steps runs out; the table gives the test loss at that point over the
  baseline's, and the step at which it was solved (checked after every epoch
  of 110 steps) or "not solved". Expectation: LSTM and GRU solve adding at
  T=200, the tanh RNN does not, the IRNN solves longer T than the tanh RNN.
- `digits`: test accuracy on sequential and permuted digits for every model
  after a fixed number of epochs.
- `timing`: time per training step at T=200 (adding), as a ratio to the LSTM
  model, which is `keras.layers.LSTM`; steps interleaved in shuffled order; the median
  with its range over the timed steps.
- `flow`: for every untrained model at T=200 (adding, one batch of 32), the
  step t at which ||dL/dh_t|| has fallen by 10^3 from its value at the last
  step (`shared.evaluation.diagnostics.vanishing_step`), and the mean step-Jacobian norm.
- `exploding`: the exploding-gradient demonstration
  (`suites/memory/exploding.py`): no clipping, clip_norm, clip_value.

Every model is the suite's `build_model(config)`, trained with Keras's `fit`
on its compiled optimizer (the runner's per-epoch checkpoints are left out:
they would cost more than the short epochs here).
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
from pathlib import Path

from benchmarks import record

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
SUITE = "memory"

TABLE_MODELS = {  # name -> overrides
    "tanh RNN": ["cell=simple"],
    "IRNN": ["cell=simple", "recurrent_init=identity"],
    "LSTM": ["cell=lstm"],
    "LSTM, chrono bias": ["cell=lstm", "forget_bias=chrono"],
    "GRU": ["cell=gru"],
    "ESN (256 units)": ["cell=esn"],
}
MORE_CELLS = {
    "layer-norm LSTM": ["cell=layernorm_lstm"],
    "peephole LSTM": ["cell=peephole_lstm"],
    "zoneout LSTM": ["cell=zoneout_lstm", "zoneout_h=0.1", "zoneout_c=0.05"],
}
ALL_MODELS = {**TABLE_MODELS, **MORE_CELLS}
# The flow table also shows what the orthogonal default buys the tanh RNN.
FLOW_MODELS = {**ALL_MODELS, "tanh RNN, glorot": ["cell=simple", "recurrent_init=glorot"]}
COMMON = ["units=64", "batch_size=64", "learning_rate=3e-3", "clip_norm=1.0", "samples=10000",
          "val_fraction=0.1", "test_fraction=0.2", "patience=0", "verbose=0"]
REFERENCE = "LSTM"  # keras.layers.LSTM: recurrent_stack's fused path for cell=lstm


def _suite():
    from seqsuite import registry

    return registry.get("memory")


def _prepared(overrides):
    from seqsuite.shared.run import runner

    suite = _suite()
    config = runner.resolve_config(suite, "quick", [*COMMON, *overrides])
    return runner.prepare(suite, config)


def train_until_solved(overrides, max_steps: int) -> dict:
    """Train until the validation loss is below 10% of the baseline or `max_steps` pass."""
    import keras

    from seqsuite.suites.memory.train import SOLVED_FRACTION, score_test_split

    data, config, model = _prepared(overrides)
    target = SOLVED_FRACTION * data.baseline_loss
    steps_per_epoch = math.ceil(len(data.arrays["train"][0]) / config.batch_size)
    solved = []

    class Watch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if logs["val_loss"] < target:
                solved.append(int(self.model.optimizer.iterations.numpy()))
                self.model.stop_training = True

    start = time.perf_counter()
    history = model.fit(data.train, validation_data=data.val,
                        epochs=math.ceil(max_steps / steps_per_epoch),
                        callbacks=[Watch(), keras.callbacks.TerminateOnNaN()], verbose=0)
    seconds = time.perf_counter() - start
    steps = int(model.optimizer.iterations.numpy())
    if not math.isfinite(history.history["loss"][-1]):
        return {"ratio": math.nan, "solved_at": None, "diverged_at": steps, "steps": steps,
                "seconds": seconds}
    scores = score_test_split(model, data, config)
    return {"ratio": scores["model"]["loss"] / scores["baseline"]["loss"],
            "solved_at": solved[0] if solved else None, "diverged_at": None, "steps": steps,
            "seconds": seconds, "scores": scores}


def memory_table(task: str, lengths, max_steps: int) -> tuple[dict, list]:
    results = {}
    for name, overrides in TABLE_MODELS.items():
        for length in lengths:
            result = train_until_solved([f"task={task}", f"length={length}", *overrides],
                                        max_steps)
            results[name, length] = result
            print(f"  {task} T={length} {name}: loss/baseline {result['ratio']:.3f}, "
                  f"solved at {result['solved_at']}, {result['seconds']:.0f} s", flush=True)
    columns, rows = [record.column("model", "model")], []
    for length in lengths:
        columns += [record.column(f"T{length}_ratio", f"T={length} loss / baseline", ".3f"),
                    record.column(f"T{length}_solved", f"T={length} solved at step")]
    for name in TABLE_MODELS:
        row = {"model": name}
        for length in lengths:
            r = results[name, length]
            row[f"T{length}_ratio"] = None if r["diverged_at"] else r["ratio"]
            row[f"T{length}_solved"] = (
                f"diverged (NaN loss at step {r['diverged_at']})" if r["diverged_at"]
                else r["solved_at"] or "not solved")
        rows.append(row)
    seconds = sum(r["seconds"] for r in results.values())
    longest = max(lengths)
    solved = [n for n in TABLE_MODELS if results[n, longest]["solved_at"]]
    table = record.table(
        f"{task}: test loss over the no-memory baseline's at the end of training", columns,
        rows, notes=[f"Budget {max_steps} steps; {seconds:.0f} s of training in all."])
    return table, [record.headline(f"{task} solved at T={longest}",
                                   ", ".join(solved) or "none")]


def digits_table(epochs: int) -> tuple[dict, list]:
    from seqsuite.suites.memory.train import score_test_split

    chance, rows = None, []
    for name, overrides in ALL_MODELS.items():
        accuracies = []
        for task in ("digits", "permuted_digits"):
            data, config, model = _prepared([f"task={task}", f"epochs={epochs}", *overrides])
            model.fit(data.train, validation_data=data.val, epochs=epochs, verbose=0)
            scores = score_test_split(model, data, config)
            accuracies.append(scores["model"]["accuracy"])
            chance = scores["baseline"]["accuracy"]
        print(f"  digits {name}: {accuracies}", flush=True)
        rows.append({"model": name, "sequential": accuracies[0], "permuted": accuracies[1]})
    table = record.table(
        f"Test accuracy after {epochs} epochs",
        [record.column("model", "model"), record.column("sequential", "sequential digits", ".3f"),
         record.column("permuted", "permuted digits", ".3f")], rows,
        notes=[f"360 test images; the most frequent class scores {chance:.3f}."])
    best = max(rows, key=lambda r: r["permuted"])
    return table, [record.headline(f"best permuted digits ({best['model']})",
                                   best["permuted"], ".3f")]


def timing_table(length: int, steps: int) -> tuple[dict, list]:
    import numpy as np

    rng = np.random.default_rng(0)
    models = {}
    for name, overrides in ALL_MODELS.items():
        _, config, model = _prepared(["task=adding", f"length={length}", "samples=100",
                                      *overrides])
        models[name] = model
    from seqsuite.suites.memory.data import adding_problem

    x, y = adding_problem(64, length, rng)
    for model in models.values():
        for _ in range(3):
            model.train_on_batch(x, y)
    times = {name: [] for name in models}
    for _ in range(steps):
        for name in rng.permutation(list(models)):
            start = time.perf_counter()
            models[name].train_on_batch(x, y)
            times[name].append(time.perf_counter() - start)
    spreads = {name: record.scaled(record.median_spread(t), 1e3) for name, t in times.items()}
    rows = [{"model": name, "step_ms": spread,
             "ratio": record.ratio(spread, spreads[REFERENCE])}
            for name, spread in spreads.items()]
    table = record.table(
        f"Time per training step at T={length} (adding, batch 64)",
        [record.column("model", "model"), record.column("step_ms", "ms / step", ".1f"),
         record.column("ratio", "× keras.layers.LSTM (medians)", ".2f", "×")], rows)
    return table, []


def flow_table(length: int, plot: Path | None) -> tuple[dict, list]:
    from seqsuite.shared.evaluation.diagnostics import (
        gradient_flow,
        plot_gradient_flow,
        vanishing_step,
    )

    curves, rows = {}, []
    for name, overrides in FLOW_MODELS.items():
        data, config, model = _prepared(["task=adding", f"length={length}", "samples=200",
                                         *overrides])
        x, y = data.arrays["test"]
        flow = gradient_flow(model, x[:32], y[:32], jacobian_examples=4)
        curves[name] = flow.grad_norms
        step = vanishing_step(flow.grad_norms)
        rows.append({"model": name, "step": step if step else "never",
                     "back": length - step if step else f"> {length - 1}",
                     "jacobian": float(flow.jacobian_norms.mean())})
    if plot is not None:
        plot_gradient_flow(curves, plot, title=f"untrained models, adding problem, T={length}")
    table = record.table(
        f"Gradient flow of the untrained models (adding, T={length}, one batch of 32)",
        [record.column("model", "untrained model"),
         record.column("step", "step t where ‖dL/dh_t‖ ≤ ‖dL/dh_T‖ / 10³"),
         record.column("back", "steps back (T − t)"),
         record.column("jacobian", "mean ‖dh_t/dh_{t−1}‖₂", ".3f")], rows)
    return table, []


def exploding_table(epochs: int) -> tuple[dict, list]:
    from seqsuite.suites.memory import exploding

    with tempfile.TemporaryDirectory() as out:
        summary = exploding.run("quick", Path(out) / "demo", [f"epochs={epochs}", "verbose=0"])
    rows = [{"setting": name, "result": s["result"], "steps": s["steps"],
             "max_grad_norm": s["max_grad_norm"], "median_grad_norm": s["median_grad_norm"],
             "clipped": s["clipped_fraction"]} for name, s in summary.items()]
    table = record.table(
        f"Exploding gradients ({epochs} epochs)",
        [record.column("setting", "setting"), record.column("result", "result"),
         record.column("steps", "steps"), record.column("max_grad_norm", "largest ‖g‖", ".3g"),
         record.column("median_grad_norm", "median ‖g‖", ".3g"),
         record.column("clipped", "steps clipped", ".2f")], rows)
    return table, []


TITLES = {"adding": "Adding problem", "copy": "Copy task",
          "digits": "Sequential and permuted digits", "timing": "Training-step time",
          "flow": "Gradient flow", "exploding": "Exploding gradients"}
SECTIONS = ("flow", "timing", "exploding", "digits", "adding", "copy")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", nargs="+", default=list(SECTIONS), choices=SECTIONS)
    parser.add_argument("--adding-lengths", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--adding-steps", type=int, default=1650, help="step budget per run")
    parser.add_argument("--copy-lengths", type=int, nargs="+", default=[50, 100])
    parser.add_argument("--copy-steps", type=int, default=880)
    parser.add_argument("--digits-epochs", type=int, default=30)
    parser.add_argument("--timing-steps", type=int, default=10)
    parser.add_argument("--flow-length", type=int, default=200)
    parser.add_argument("--flow-plot", type=Path, default=None, help="PNG of the flow curves")
    parser.add_argument("--exploding-epochs", type=int, default=4)
    args = parser.parse_args(argv)

    import tensorflow as tf

    from seqsuite.shared.run import runner

    tf.get_logger().setLevel("ERROR")
    command = record.command_line("memory", argv)
    start = time.perf_counter()
    for section in args.sections:
        print(f"\n### {section}\n", flush=True)
        if section == "adding":
            settings = {"lengths": args.adding_lengths, "max_steps": args.adding_steps}
        elif section == "copy":
            settings = {"lengths": args.copy_lengths, "max_steps": args.copy_steps}
        elif section == "digits":
            settings = {"epochs": args.digits_epochs}
        elif section == "timing":
            settings = {"length": 200, "steps": args.timing_steps, "warmup": 3}
        elif section == "flow":
            settings = {"length": args.flow_length}
        else:
            settings = {"epochs": args.exploding_epochs}
        seed = runner.resolve_config(_suite(), "quick", COMMON).seed
        prov = record.provenance(command, seeds=[seed], preset="quick", common=" ".join(COMMON),
                                 **settings)
        if section in ("adding", "copy"):
            table, headline = memory_table(section, settings["lengths"], settings["max_steps"])
        elif section == "digits":
            table, headline = digits_table(args.digits_epochs)
        elif section == "timing":
            table, headline = timing_table(200, args.timing_steps)
        elif section == "flow":
            table, headline = flow_table(args.flow_length, args.flow_plot)
        else:
            table, headline = exploding_table(args.exploding_epochs)
        record.write_result("memory", suite=SUITE, title=__doc__, provenance=prov,
                            section=section, section_title=TITLES[section], tables=[table],
                            headline=headline)
    print(f"\nwhole benchmark: {time.perf_counter() - start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
