"""Forecasting data: embedded CO2 and sunspots series, or a user CSV.

Splits are chronological (train | validation | test). A window of `window`
steps predicts the next `horizon` target values; validation and test windows
may look back into the preceding split for their inputs, but their targets lie
wholly inside their own split. Scaling statistics come from the training part
only; inputs stay raw (the model normalises them itself, so the exported model
takes unscaled windows) and targets are scaled with the target's training mean
and standard deviation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tensorflow as tf

from seqsuite.shared.errors import DataError
from seqsuite.shared.splits import split_bounds
from seqsuite.shared.tabular import read_series_csv
from seqsuite.suites.forecasting.config import Config


@dataclass
class ForecastData:
    series: np.ndarray  # (time, features) raw values; column 0 is the target
    name: str
    bounds: tuple[int, int]  # end of train, end of validation (exclusive indices)
    target_mean: float
    target_std: float
    windows: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]  # split: (x, y, start index)
    train: tf.data.Dataset = None
    val: tf.data.Dataset = None
    test: tf.data.Dataset = None
    adapt: dict = field(default_factory=dict)
    learned: dict = field(default_factory=dict)  # nothing: scaling lives in the model


def _embedded(name: str) -> np.ndarray:
    import statsmodels.api as sm

    if name == "co2":
        # Weekly Mauna Loa CO2 (1958-2001) has 59 missing weeks; fill them along time.
        frame = sm.datasets.co2.load_pandas().data
        values = frame["co2"].interpolate(method="time").to_numpy()
    else:
        values = sm.datasets.sunspots.load_pandas().data["SUNACTIVITY"].to_numpy()
    return values.astype("float32")[:, None]


def load_series(config: Config) -> tuple[np.ndarray, str]:
    """The raw series (time, features) with the target in column 0, and its name."""
    if config.data in ("co2", "sunspots"):
        if config.features:
            raise DataError(
                f"features are CSV columns; the embedded '{config.data}' series has none "
                "(drop --set features=...)"
            )
        return _embedded(config.data), config.data
    columns = [config.target, *config.features]
    return (read_series_csv(Path(config.data), columns, config.time_column, config.fill),
            Path(config.data).name)


def make_windows(series, starts, window: int, horizon: int):
    """Inputs series[t-window:t] and targets series[t:t+horizon, 0] for each t."""
    starts = np.asarray(starts, dtype=int)
    x = np.stack([series[t - window : t] for t in starts]).astype("float32")
    y = np.stack([series[t : t + horizon, 0] for t in starts]).astype("float32")
    return x, y


def load_data(config: Config) -> ForecastData:
    series, name = load_series(config)
    n, w, h = len(series), config.window, config.horizon
    train_end, val_end = split_bounds(n, config.val_fraction, config.test_fraction)
    ranges = {"train": (w, train_end), "val": (train_end, val_end), "test": (val_end, n)}
    need = int(np.ceil((w + h) / (1 - config.val_fraction - config.test_fraction)))
    if any(end - start < h for start, end in ranges.values()) or train_end < w + h:
        raise DataError(
            f"{name} has {n} rows, too few for window={w} and horizon={h} (need about {need}); "
            "lower --set window=/horizon= or give a longer series"
        )
    if not np.all(np.isfinite(series)):
        raise DataError(f"{name} holds NaN or infinite values; clean it or --set fill=interpolate")
    target = series[:train_end, 0]
    mean, std = float(target.mean()), float(target.std())
    if std == 0:
        raise DataError(f"{name}: the target is constant over the training part; nothing to learn")
    windows = {}
    datasets = {}
    for split, (start, end) in ranges.items():
        starts = np.arange(start, end - h + 1)
        x, y = make_windows(series, starts, w, h)
        windows[split] = (x, y, starts)
        ds = tf.data.Dataset.from_tensor_slices((x, (y - mean) / std))
        if split == "train":
            ds = ds.shuffle(len(x), seed=config.seed, reshuffle_each_iteration=True)
        datasets[split] = ds.batch(config.batch_size).prefetch(tf.data.AUTOTUNE)
    return ForecastData(
        series=series, name=name, bounds=(train_end, val_end), target_mean=mean,
        target_std=std, windows=windows, adapt={"normalize": series[None, :train_end]},
        **datasets,
    )
