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
from seqsuite.shared.run.files import read_json, write_text_atomic
from seqsuite.shared.run.suite import Evaluation
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


def _errors(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    return {"rmse": float(np.sqrt(np.mean((predicted - truth) ** 2))),
            "nrmse": nrmse(truth, predicted)}


class LstmBptt:
    """The baseline (`shared.run.baselines.Baseline`): an LSTM trained by backpropagation
    through time on the same series, saved as `model.keras` with its training time
    (`fit.json`)."""

    name = "lstm_bptt"

    def __init__(self, lstm=None, train_seconds: float | None = None):
        self.lstm, self.train_seconds = lstm, train_seconds

    def fit(self, data: ReservoirData, config: Config) -> None:
        keras.utils.set_random_seed(config.seed)
        lstm = build_lstm(config, data.inputs.shape[1], data.targets.shape[1])
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as scratch:
            self.lstm, _ = fit(lstm, data.train, data.val, config, Path(scratch))
        self.train_seconds = time.perf_counter() - start

    def save(self, directory: Path) -> None:
        self.lstm.save(Path(directory) / "model.keras")
        write_text_atomic(Path(directory) / "fit.json",
                          json.dumps({"train_seconds": self.train_seconds}) + "\n")

    @classmethod
    def load(cls, directory: Path) -> LstmBptt:
        seconds = read_json(Path(directory) / "fit.json", "the run directory is damaged; "
                            "train it again (seqsuite train reservoir ... --overwrite)")
        return cls(keras.saving.load_model(Path(directory) / "model.keras", safe_mode=True),
                   seconds["train_seconds"])

    def predict(self, data: ReservoirData, config: Config) -> np.ndarray:
        """(time, outputs) predictions over the whole series, in the data's units."""
        # A plain call, not `predict`: under `--strategy multi_worker` predict
        # would split this batch of one series across the workers.
        y = np.asarray(self.lstm(data.scaled_inputs[None].astype("float32"), training=False))
        return _unscale(y[0], config)

    def generate(self, data: ReservoirData, config: Config) -> np.ndarray:
        """(generate_steps, outputs) after the validation part, each prediction appended
        to the window and fed back."""
        _, val_end = data.bounds
        window = list(data.scaled_inputs[val_end - config.lstm_window : val_end])
        out = []
        for _ in range(config.generate_steps):
            # a plain call: no predict() set-up cost per step
            y = np.asarray(self.lstm(np.asarray(window, "float32")[None], training=False))[0, -1]
            out.append(y)
            window = window[1:] + [y]
        return _unscale(np.asarray(out), config)

    def score(self, data: ReservoirData, config: Config) -> dict:
        """{name: RMSE, NRMSE and training time} on the test part."""
        _, val_end = data.bounds
        predicted = self.predict(data, config)[val_end:]
        return {self.name: {**_errors(data.targets[val_end:], predicted),
                            "train_seconds": self.train_seconds}}


def baselines(config: Config) -> list:
    """`Suite.baselines`: the LSTM trained by BPTT, when `compare_lstm`."""
    return [LstmBptt()] if config.compare_lstm else []


def evaluate(model, data: ReservoirData, config: Config, where: Evaluation) -> dict:
    """Test error of the ESN (its fit time from `where.fit_seconds`) and of the LSTM
    trained by BPTT at training, with training times; plots in `where.out`."""
    train_end, val_end = data.bounds
    truth = data.targets[val_end:]
    name = {"predict": f"{config.horizon}-step prediction", "generate": "closed-loop generation",
            "system_id": "system identification"}[config.task]

    esn_pred = _unscale(model.predict(data.scaled_inputs[None])[0], config)[val_end:]
    rows = {"esn": {**_errors(truth, esn_pred), "train_seconds": where.fit_seconds}}
    if config.task == "predict":
        rows["persistence"] = _errors(truth, np.tile(data.inputs[val_end:], config.horizon))
    lstm = where.baselines.get(LstmBptt.name)
    shown = slice(0, min(500, len(truth)))
    predictions = {"ESN": esn_pred[shown, 0]}
    if lstm is not None:
        rows.update(lstm.score(data, config))
        predictions["LSTM (BPTT)"] = lstm.predict(data, config)[val_end:][shown, 0]
    plot_prediction(truth[shown, 0], predictions, where.out / "prediction.png",
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
            lstm_gen = lstm.generate(data, config)
            gen_rows["lstm_bptt"] = {"nrmse": nrmse(future, lstm_gen), "steps": n}
            gen_plot["LSTM (BPTT)"] = lstm_gen[:, 0]
        context = data.series[max(0, val_end - 2 * n) : val_end, 0]
        plot_prediction(np.concatenate([context, future[:, 0]]),
                        {k: np.concatenate([np.full(len(context), np.nan), v])
                         for k, v in gen_plot.items()},
                        where.out / "generation.png", start=val_end - len(context),
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
