"""Fit, evaluate and export the reservoir suite, with an LSTM trained by BPTT beside it.

    seqsuite train reservoir --preset quick --out runs/mg
    seqsuite train reservoir --set data=narma10 units=100
    seqsuite train reservoir --set task=generate generate_steps=84
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import keras
import numpy as np

from seqsuite.shared.evaluation.metrics import nrmse
from seqsuite.shared.evaluation.plots import plot_prediction
from seqsuite.shared.run.training import fit
from seqsuite.suites.reservoir.config import Config
from seqsuite.suites.reservoir.data import ReservoirData
from seqsuite.suites.reservoir.model import build_lstm


def fit_model(model, data: ReservoirData, config: Config):
    """Closed-form ridge readout on the training part, after `warmup` steps."""
    train_end, _ = data.bounds
    return model.fit(data.scaled_inputs[None, :train_end], data.scaled_targets[None, :train_end],
                     warmup=config.warmup)


def _unscale(y, config: Config):
    return y * np.asarray(config.target_std) + np.asarray(config.target_mean)


def validation_loss(model, data: ReservoirData, config: Config) -> float:
    """MSE (standardised units) on the validation part, the reservoir run from the start."""
    train_end, val_end = data.bounds
    y = model.predict(data.scaled_inputs[None, :val_end])[0]
    return float(np.mean((y[train_end:] - data.scaled_targets[train_end:val_end]) ** 2))


def _closed_loop_lstm(lstm, data: ReservoirData, config: Config) -> np.ndarray:
    """Generate with the LSTM: each prediction is appended and fed back."""
    _, val_end = data.bounds
    window = list(data.scaled_inputs[val_end - config.lstm_window : val_end])
    out = []
    step = lstm  # a plain call: no predict() set-up cost per step
    for _ in range(config.generate_steps):
        y = np.asarray(step(np.asarray(window, "float32")[None], training=False))[0, -1]
        out.append(y)
        window = window[1:] + [y]
    return np.asarray(out)


def fit_baselines(data: ReservoirData, config: Config, directory: Path) -> None:
    """Train the LSTM by BPTT once (when `compare_lstm`), saved with its training time."""
    if not config.compare_lstm:
        return
    keras.utils.set_random_seed(config.seed)
    lstm = build_lstm(config, data.inputs.shape[1], data.targets.shape[1])
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        lstm, _ = fit(lstm, data.train, data.val, config, Path(scratch))
    seconds = time.perf_counter() - start
    lstm.save(directory / "lstm_bptt.keras")
    (directory / "lstm_bptt.json").write_text(json.dumps({"train_seconds": seconds}) + "\n")


def evaluate(model, data: ReservoirData, config: Config, run_dir: Path) -> dict:
    """Test error of the ESN and of the LSTM trained by BPTT, with training times."""
    run_dir = Path(run_dir)
    train_end, val_end = data.bounds
    truth = data.targets[val_end:]
    name = {"predict": f"{config.horizon}-step prediction", "generate": "closed-loop generation",
            "system_id": "system identification"}[config.task]
    esn_seconds = json.loads((run_dir / "run.json").read_text()).get("fit_seconds")

    esn_pred = _unscale(model.predict(data.scaled_inputs[None])[0], config)[val_end:]
    rows = {"esn": {"rmse": float(np.sqrt(np.mean((esn_pred - truth) ** 2))),
                    "nrmse": nrmse(truth, esn_pred), "train_seconds": esn_seconds}}
    if config.task == "predict":
        persistence = np.tile(data.inputs[val_end:], config.horizon)
        rows["persistence"] = {"rmse": float(np.sqrt(np.mean((persistence - truth) ** 2))),
                               "nrmse": nrmse(truth, persistence)}

    lstm = None
    baseline = run_dir / "baselines" / "lstm_bptt.keras"
    if baseline.exists():
        lstm = keras.saving.load_model(baseline)
        lstm_seconds = json.loads(baseline.with_suffix(".json").read_text())["train_seconds"]
        # A plain call, not `predict`: under `--strategy multi_worker` predict
        # would split this batch of one series across the workers.
        lstm_pred = np.asarray(lstm(data.scaled_inputs[None].astype("float32"), training=False))
        lstm_pred = _unscale(lstm_pred[0], config)
        lstm_pred = lstm_pred[val_end:]
        rows["lstm_bptt"] = {"rmse": float(np.sqrt(np.mean((lstm_pred - truth) ** 2))),
                             "nrmse": nrmse(truth, lstm_pred), "train_seconds": lstm_seconds}
    shown = slice(0, min(500, len(truth)))
    predictions = {"ESN": esn_pred[shown, 0]}
    if lstm is not None:
        predictions["LSTM (BPTT)"] = lstm_pred[shown, 0]
    plot_prediction(truth[shown, 0], predictions, run_dir / "prediction.png",
                    title=f"{data.name}: {name}, test part", start=val_end)
    metrics = {"test": rows,
               "data": {"series": data.name, "task": config.task, "test_steps": len(truth),
                        "units": config.units}}

    if config.task == "generate":
        n = config.generate_steps
        model.predict(data.scaled_inputs[None, :val_end])  # warm up on everything before the test
        generated = _unscale(model.generate(n)[0], config)
        future = data.series[val_end : val_end + n]
        gen_rows = {"esn": {"nrmse": nrmse(future, generated), "steps": n}}
        gen_plot = {"ESN": generated[:, 0]}
        if lstm is not None:
            lstm_gen = _unscale(_closed_loop_lstm(lstm, data, config), config)
            gen_rows["lstm_bptt"] = {"nrmse": nrmse(future, lstm_gen), "steps": n}
            gen_plot["LSTM (BPTT)"] = lstm_gen[:, 0]
        context = data.series[max(0, val_end - 2 * n) : val_end, 0]
        plot_prediction(np.concatenate([context, future[:, 0]]),
                        {k: np.concatenate([np.full(len(context), np.nan), v])
                         for k, v in gen_plot.items()},
                        run_dir / "generation.png", start=val_end - len(context),
                        marker=val_end, title=f"{data.name}: closed-loop generation")
        metrics["generation"] = gen_rows
    return metrics


def search_space(hp) -> dict:
    return {
        "spectral_radius": hp.Choice("spectral_radius", [0.5, 0.8, 0.95, 1.1, 1.25, 1.5]),
        "leak_rate": hp.Choice("leak_rate", [0.1, 0.3, 0.5, 0.8, 1.0]),
        "input_scaling": hp.Choice("input_scaling", [0.1, 0.3, 0.5, 1.0, 2.0]),
        "connectivity": hp.Choice("connectivity", [0.02, 0.05, 0.1, 0.2]),
        "ridge": hp.Choice("ridge", [1e-9, 1e-7, 1e-5, 1e-3, 1e-1]),
        "units": hp.Choice("units", [100, 200, 400, 800]),
    }
