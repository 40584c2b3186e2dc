"""Reservoir data: one long series, aligned inputs and targets, chronological splits.

`inputs[t]` is what the model sees at step t and `targets[t]` what it must
output after seeing `inputs[:t + 1]`:
- predict: inputs = s[t], targets = s[t+1 .. t+horizon] (flattened over features);
- generate: as predict with horizon 1; closed-loop generation starts after the
  validation part and is scored on the first `generate_steps` test values;
- system_id (NARMA): inputs = u[t], targets = y[t].

The reservoir runs through the whole series once, so the test part starts
from a warmed-up state. Statistics for scaling come from the training part
only; they are returned as config fields so the exported model can take raw
series. `train`/`val`/`test` are windowed tf.data pipelines for the LSTM
baseline; the ESN uses the scaled arrays directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from seqsuite.shared.data.datasets import chaotic
from seqsuite.shared.data.splits import split_bounds
from seqsuite.shared.data.tabular import read_series_csv
from seqsuite.shared.errors import DataError
from seqsuite.shared.run.suite import SuiteData
from seqsuite.suites.reservoir.config import Config


@dataclass
class ReservoirData(SuiteData):
    name: str
    series: np.ndarray  # (time, features): the raw series (for NARMA: y)
    inputs: np.ndarray  # (steps, in_features) raw
    targets: np.ndarray  # (steps, out_features) raw
    bounds: tuple[int, int]  # end of train, end of validation (exclusive)
    scaled_inputs: np.ndarray = None  # (steps, in_features), training-part statistics
    scaled_targets: np.ndarray = None


def load_series(config: Config) -> tuple[np.ndarray, np.ndarray | None, str]:
    """(series, NARMA input or None, name); series is (time, features) float32."""
    n = config.n_steps
    if config.data == "mackey_glass":
        return chaotic.mackey_glass(n, tau=config.tau, seed=config.seed)[:, None], None, "mackey_glass"
    if config.data.startswith("narma") and config.data[5:].isdigit():
        u, y = chaotic.narma(n, order=int(config.data[5:]), seed=config.seed)
        return y[:, None], u[:, None], config.data
    if config.data in chaotic.GENERATORS:
        values = chaotic.GENERATORS[config.data](n, seed=config.seed)
        return values.reshape(n, -1), None, config.data
    if config.data.endswith(".csv") or Path(config.data).is_file():
        values = read_series_csv(Path(config.data), [config.target], config.time_column)
        return values, None, Path(config.data).name
    raise DataError(f"unknown data '{config.data}'; use mackey_glass, lorenz, rossler, henon, "
                    "logistic_map, narma10, narma30 or the path of a CSV file")


def align(series: np.ndarray, u: np.ndarray | None, config: Config):
    """(inputs, targets) for the task, see the module docstring."""
    if config.task == "system_id":
        return u.astype("float32"), series.astype("float32")
    h = config.horizon if config.task == "predict" else 1
    steps = max(len(series) - h, 0)
    targets = np.zeros((steps, h * series.shape[1]), "float32")
    for t in range(steps):
        targets[t] = series[t + 1 : t + 1 + h].reshape(-1)
    return series[:steps].astype("float32"), targets


def windows(inputs, targets, length: int, stride: int):
    """Overlapping (length)-step windows for sequence-to-sequence BPTT."""
    starts = np.arange(0, max(len(inputs) - length, 0) + 1, stride)
    x = np.stack([inputs[s : s + length] for s in starts])
    y = np.stack([targets[s : s + length] for s in starts])
    return x, y


def load_data(config: Config) -> ReservoirData:
    series, u, name = load_series(config)
    inputs, targets = align(series, u, config)
    n = len(inputs)
    train_end, val_end = split_bounds(n, config.val_fraction, config.test_fraction)
    need = config.warmup + 10
    if train_end < need or val_end - train_end < 2 or n - val_end < 2:
        longer = "give a longer CSV" if name.endswith(".csv") else "raise --set n_steps="
        raise DataError(f"{name} has {n} usable steps, too few for warmup={config.warmup} "
                        f"and the splits (need about {need + 4}); {longer} or lower warmup=")
    if config.task == "generate" and n - val_end < config.generate_steps:
        raise DataError(f"generate_steps={config.generate_steps} exceeds the {n - val_end} test "
                        "steps; lower generate_steps or raise n_steps")
    mean_in, std_in = inputs[:train_end].mean(0), inputs[:train_end].std(0) + 1e-8
    if config.input_mean is not None:
        # A trained run (seqsuite evaluate): its model expects the run's own scaling.
        mean_in, std_in, mean_out, std_out = (np.asarray(v) for v in (
            config.input_mean, config.input_std, config.target_mean, config.target_std))
    elif config.task == "system_id":
        mean_out, std_out = targets[:train_end].mean(0), targets[:train_end].std(0) + 1e-8
    else:
        # Targets are the series itself: one scale, so closed-loop outputs can be fed back.
        h = targets.shape[1] // inputs.shape[1]
        mean_out, std_out = np.tile(mean_in, h), np.tile(std_in, h)
    scaled_in = (inputs - mean_in) / std_in
    scaled_out = (targets - mean_out) / std_out
    length = min(config.lstm_window, train_end)
    datasets = {}
    for split, (lo, hi) in {"train": (0, train_end), "val": (train_end - length, val_end),
                            "test": (val_end - length, n)}.items():
        x, y = windows(scaled_in[lo:hi], scaled_out[lo:hi], length, max(1, length // 2))
        ds = tf.data.Dataset.from_tensor_slices((x, y))
        if split == "train":
            ds = ds.shuffle(len(x), seed=config.seed)
        datasets[split] = ds.batch(config.batch_size)
    return ReservoirData(
        name=name, series=series, inputs=inputs, targets=targets, bounds=(train_end, val_end),
        scaled_inputs=scaled_in.astype("float32"), scaled_targets=scaled_out.astype("float32"),
        learned={"input_mean": mean_in.tolist(), "input_std": std_in.tolist(),
                        "target_mean": mean_out.tolist(), "target_std": std_out.tolist()},
        **datasets,
    )
