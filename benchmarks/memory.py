"""Memory benchmark: which models learn long dependencies, and how gradients flow.

    python -m benchmarks.memory                      # the reduced table (about 25 min, 2 cores)
    python -m benchmarks.memory --sections timing flow
    python -m benchmarks.memory --adding-lengths 50 100 200 400 --adding-steps 10000   # fuller

Sections (each prints a markdown table for BENCHMARKS.md):

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
  model, which is `keras.layers.LSTM`; steps interleaved in shuffled order.
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
import platform
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

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


def memory_table(task: str, lengths, max_steps: int) -> list[str]:
    results = {}
    for name, overrides in TABLE_MODELS.items():
        for length in lengths:
            result = train_until_solved([f"task={task}", f"length={length}", *overrides],
                                        max_steps)
            results[name, length] = result
            print(f"  {task} T={length} {name}: loss/baseline {result['ratio']:.3f}, "
                  f"solved at {result['solved_at']}, {result['seconds']:.0f} s", flush=True)
    header = "| model | " + " | ".join(f"T={t}" for t in lengths) + " |"
    rows = [header, "|---|" + "---|" * len(lengths)]
    for name in TABLE_MODELS:
        cells = []
        for length in lengths:
            r = results[name, length]
            if r["diverged_at"]:
                cells.append(f"diverged (NaN loss at step {r['diverged_at']})")
                continue
            when = f"solved at step {r['solved_at']}" if r["solved_at"] else "not solved"
            cells.append(f"{r['ratio']:.3f} ({when})")
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    seconds = sum(r["seconds"] for r in results.values())
    rows.append("")
    rows.append(f"Cells: test loss over the no-memory baseline's at the end of training; budget "
                f"{max_steps} steps; {seconds:.0f} s of training in all.")
    return rows


def digits_table(epochs: int) -> list[str]:
    rows = ["| model | sequential digits | permuted digits |", "|---|---|---|"]
    from seqsuite.suites.memory.train import score_test_split

    chance = None
    for name, overrides in ALL_MODELS.items():
        accuracies = []
        for task in ("digits", "permuted_digits"):
            data, config, model = _prepared([f"task={task}", f"epochs={epochs}", *overrides])
            model.fit(data.train, validation_data=data.val, epochs=epochs, verbose=0)
            scores = score_test_split(model, data, config)
            accuracies.append(scores["model"]["accuracy"])
            chance = scores["baseline"]["accuracy"]
        print(f"  digits {name}: {accuracies}", flush=True)
        rows.append(f"| {name} | {accuracies[0]:.3f} | {accuracies[1]:.3f} |")
    rows.append("")
    rows.append(f"Test accuracy after {epochs} epochs (360 test images; the most frequent "
                f"class scores {chance:.3f}).")
    return rows


def timing_table(length: int, steps: int) -> list[str]:
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
    medians = {name: statistics.median(t) for name, t in times.items()}
    rows = [f"| model | ms / step (median of {steps}) | × keras.layers.LSTM |", "|---|---:|---:|"]
    for name, median in medians.items():
        rows.append(f"| {name} | {1e3 * median:.1f} | {median / medians[REFERENCE]:.2f}× |")
    return rows


def flow_table(length: int, plot: Path | None) -> list[str]:
    from seqsuite.shared.evaluation.diagnostics import (
        gradient_flow,
        plot_gradient_flow,
        vanishing_step,
    )

    curves, rows = {}, []
    rows += ["| untrained model | step t where ‖dL/dh_t‖ ≤ ‖dL/dh_T‖ / 10³ | steps back (T − t) "
             "| mean ‖dh_t/dh_{t−1}‖₂ |", "|---|---:|---:|---:|"]
    for name, overrides in FLOW_MODELS.items():
        data, config, model = _prepared(["task=adding", f"length={length}", "samples=200",
                                         *overrides])
        x, y = data.arrays["test"]
        flow = gradient_flow(model, x[:32], y[:32], jacobian_examples=4)
        curves[name] = flow.grad_norms
        step = vanishing_step(flow.grad_norms)
        rows.append(f"| {name} | {step if step else 'never'} | "
                    f"{length - step if step else f'> {length - 1}'} | "
                    f"{float(flow.jacobian_norms.mean()):.3f} |")
    if plot is not None:
        plot_gradient_flow(curves, plot, title=f"untrained models, adding problem, T={length}")
    return rows


def exploding_table(epochs: int) -> list[str]:
    from seqsuite.suites.memory import exploding

    with tempfile.TemporaryDirectory() as out:
        summary = exploding.run("quick", Path(out) / "demo", [f"epochs={epochs}", "verbose=0"])
    rows = ["| setting | result | steps | largest ‖g‖ | median ‖g‖ | steps clipped |",
            "|---|---|---:|---:|---:|---:|"]
    for name, s in summary.items():
        rows.append(f"| {name} | {s['result']} | {s['steps']} | {s['max_grad_norm']:.3g} | "
                    f"{s['median_grad_norm']:.3g} | {s['clipped_fraction']:.2f} |")
    return rows


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

    import keras
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    print(f"memory benchmark: TensorFlow {tf.__version__}, Keras {keras.__version__}, "
          f"{platform.machine()}, {os.cpu_count()} cores", flush=True)
    start = time.perf_counter()
    for section in args.sections:
        began = time.perf_counter()
        print(f"\n### {section}\n", flush=True)
        if section == "adding":
            rows = memory_table("adding", args.adding_lengths, args.adding_steps)
        elif section == "copy":
            rows = memory_table("copy", args.copy_lengths, args.copy_steps)
        elif section == "digits":
            rows = digits_table(args.digits_epochs)
        elif section == "timing":
            rows = timing_table(200, args.timing_steps)
        elif section == "flow":
            rows = flow_table(args.flow_length, args.flow_plot)
        else:
            rows = exploding_table(args.exploding_epochs)
        print("\n".join(rows), flush=True)
        print(f"\n({section}: {time.perf_counter() - began:.0f} s)", flush=True)
    print(f"\nwhole benchmark: {time.perf_counter() - start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
