"""Train, evaluate and export the memory suite.

    seqsuite train memory --preset quick --set task=adding length=200 cell=gru
    seqsuite train memory --set cell=simple recurrent_init=identity clip_norm=1.0   # IRNN
    seqsuite evaluate --run runs/memory-quick --set length=400   # longer than it was trained on
"""

from __future__ import annotations

import csv
from pathlib import Path

import keras
import numpy as np

from seqsuite.shared.evaluation.diagnostics import gradient_flow, plot_gradient_flow, vanishing_step
from seqsuite.shared.evaluation.plots import _save, plt
from seqsuite.shared.run.suite import Evaluation
from seqsuite.suites.memory.config import Config
from seqsuite.suites.memory.data import MemoryData
from seqsuite.suites.memory.model import build_model

SOLVED_FRACTION = 0.1  # "solved": the error falls below 10% of the trivial baseline's
FLOW_FACTOR = 1e3  # gradient flow: how far ||dL/dh_t|| falls before we call it vanished


def _losses(config: Config, x, y, probabilities) -> np.ndarray:
    """Per-example loss: squared error (adding) or cross-entropy per step."""
    if config.task == "adding":
        return ((probabilities - y) ** 2).reshape(len(y), -1).mean(axis=1)
    picked = np.take_along_axis(probabilities, y[..., None].astype(int), axis=-1)[..., 0]
    return -np.log(np.clip(picked, 1e-12, None)).reshape(len(y), -1).mean(axis=1)


def score_test_split(model, data: MemoryData, config: Config) -> dict:
    """The model and the trivial baseline on the test split: loss, and accuracy for the
    classification tasks (copy: on the symbols to recall)."""
    x, y = data.arrays["test"]
    predicted = model.predict(x, batch_size=256, verbose=0)
    model_row = {"loss": float(_losses(config, x, y, predicted).mean())}
    if config.task == "adding":
        baseline_row = {"loss": float(((1.0 - y) ** 2).mean())}
    elif config.task == "copy":
        recall = slice(-config.copy_length, None)
        model_row["accuracy"] = float((predicted[:, recall].argmax(-1) == y[:, recall]).mean())
        baseline_row = {"loss": data.baseline_loss, "accuracy": 1.0 / config.copy_symbols}
    else:
        model_row["accuracy"] = float((predicted.argmax(-1) == y).mean())
        majority = np.bincount(data.arrays["train"][1], minlength=10).argmax()
        baseline_row = {"loss": data.baseline_loss, "accuracy": float((y == majority).mean())}
    return {"model": model_row, "baseline": baseline_row}


def untrained_model(config: Config) -> keras.Model:
    """The model as training started: the same seed gives the same initial weights."""
    keras.utils.set_random_seed(config.seed)
    return build_model(config)


def _log10(value: float) -> float:
    return float(np.log10(max(value, 1e-300)))  # a gradient can underflow to 0


def flow_summary(flow) -> dict:
    step = vanishing_step(flow.grad_norms, FLOW_FACTOR)
    summary = {"log10_grad_norm_first": _log10(flow.grad_norms[0]),
               "log10_grad_norm_last": _log10(flow.grad_norms[-1]),
               "vanishing_step": step if step is not None else "none",
               "steps_back": len(flow.grad_norms) - step if step is not None else "none"}
    if flow.jacobian_norms is not None:
        summary["jacobian_norm_mean"] = float(np.mean(flow.jacobian_norms))
    return summary


def evaluate(model, data: MemoryData, config: Config, where: Evaluation) -> dict:
    """Test loss (and accuracy) against the trivial baseline, the learning curve (from
    the run's `history.csv`), and the gradient flow through time of the trained and the
    untrained model; plots in `where.out`."""
    scores = score_test_split(model, data, config)
    ratio = scores["model"]["loss"] / scores["baseline"]["loss"]
    x, y = data.arrays["test"]
    batch = (x[: config.diagnostic_batch], y[: config.diagnostic_batch])
    flows = {"untrained": gradient_flow(untrained_model(config), *batch,
                                        jacobian_examples=config.jacobian_examples),
             "trained": gradient_flow(model, *batch, jacobian_examples=config.jacobian_examples)}
    plot_gradient_flow(
        {name: f.grad_norms for name, f in flows.items()}, where.out / "gradient_flow.png",
        title=f"{config.task}, T={config.length}: {config.cell}",
        jacobians=({name: f.jacobian_norms for name, f in flows.items()}
                   if config.jacobian_examples else None))
    history = where.run / "history.csv"
    if history.exists():
        plot_learning_curve(history, scores["baseline"]["loss"], where.out / "learning_curve.png",
                            title=f"{config.task}, T={config.length}: {config.cell}")
    memory = {"loss_over_baseline": ratio}
    if config.task in ("adding", "copy"):
        memory["solved"] = "yes" if ratio < SOLVED_FRACTION else "no"
    return {
        "test": scores,
        "memory": memory,
        "gradient_flow": {name: flow_summary(f) for name, f in flows.items()},
        "data": {"task": config.task, "length": config.length, "steps": config.steps,
                 "test_sequences": len(x)},
    }


def read_csv(path: Path) -> list[dict]:
    with Path(path).open() as f:
        return list(csv.DictReader(f))


def plot_learning_curve(history: Path, baseline: float, path: Path, title: str = "") -> Path:
    """Training and validation loss per epoch against the trivial baseline's loss."""
    rows = read_csv(history)
    fig, ax = plt.subplots(figsize=(6, 3.6))
    epochs = [int(r["epoch"]) + 1 for r in rows]
    for key in ("loss", "val_loss"):
        if rows and key in rows[0]:
            ax.plot(epochs, [float(r[key]) for r in rows], marker=".", label=key)
    ax.axhline(baseline, color="0.4", ls="--", lw=1, label="no-memory baseline")
    ax.axhline(baseline * SOLVED_FRACTION, color="0.7", ls=":", lw=1, label="10% of baseline")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_title(title)
    ax.legend(loc="best", fontsize=8)
    return _save(fig, path)


def search_space(hp) -> dict:
    clip = hp.Choice("clip_norm", [0.0, 1.0, 5.0])
    return {
        "cell": hp.Choice("cell", ["simple", "gru", "lstm", "layernorm_lstm", "peephole_lstm"]),
        "units": hp.Choice("units", [32, 64, 128]),
        "recurrent_init": hp.Choice("recurrent_init", ["glorot", "orthogonal", "identity"]),
        "forget_bias": hp.Choice("forget_bias", ["unit", "chrono"]),
        "optimizer": hp.Choice("optimizer", ["adam", "rmsprop"]),
        "learning_rate": hp.Choice("learning_rate", [3e-4, 1e-3, 3e-3]),
        "clip_norm": clip or None,  # 0 in the space means "no clipping"
    }
