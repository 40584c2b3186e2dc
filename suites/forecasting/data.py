"""Forecasting data: one series or a collection, cut into forecast windows.

Every source becomes a list of `collections.Series`; each series gets its
bounds (train_end, val_end) and forecast origins t per split. The example at
origin t is
    window = y[t - window : t]            (NaN-padded on the left when t < window)
    past   = covariates[t - window : t]
    known  = known covariates[t - window : t + horizon]
    target = y[t : t + horizon]           (NaN where the split, the series or its
                                           own horizon ends)
Training origins run from `min_context` to train_end - 1 (the latest `history`
horizons only, when set), so a short series contributes windows with a
partly missing context and targets, and nothing is dropped. A single series
is split by `val_fraction`/`test_fraction` (validation and test origins every
step and every `stride` steps); a collection like a competition: one
validation origin at the end of each training part less its horizon, one
test origin at its end.

The model takes raw values (it scales each window itself, see
`shared.layers.probabilistic.location_scale`); the training targets are scaled the
same way here, with the same function.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from seqsuite.shared.data.splits import split_bounds
from seqsuite.shared.errors import DataError
from seqsuite.shared.layers.conformal import shortfall
from seqsuite.shared.run.suite import SuiteData
from seqsuite.suites.forecasting.collections import (
    Series,
    calendar_features,
    frequency_name,
    load_competition,
    read_long_csv,
)
from seqsuite.suites.forecasting.config import COMPETITIONS, EMBEDDED, Config


@dataclass
class Windows:
    """Forecast examples of one split."""

    inputs: dict  # the model's inputs: window (N, L), past (N, L, P), known (N, L+H, K), series, kind
    y: np.ndarray  # (N, H) targets in original units, NaN where there is none
    row: np.ndarray  # (N,) index of each example's series in ForecastData.series
    origin: np.ndarray  # (N,) its origin: the index of the first forecast step

    def __len__(self):
        return len(self.y)


@dataclass
class ForecastData(SuiteData):
    series: list[Series]
    name: str
    bounds: list[tuple[int, int]]  # per series: end of training, end of validation
    windows: dict[str, Windows]


def _embedded(name: str, horizon: int, season: int) -> Series:
    import statsmodels.api as sm

    if name == "co2":
        # Weekly Mauna Loa CO2 (1958-2001) has 59 missing weeks; fill them along time.
        frame = sm.datasets.co2.load_pandas().data
        values = frame["co2"].interpolate(method="time").to_numpy()
        time = frame.index.to_numpy()
        kind = "weekly"
    else:
        frame = sm.datasets.sunspots.load_pandas().data
        values = frame["SUNACTIVITY"].to_numpy()
        time = pd.to_datetime(frame["YEAR"].astype(int).astype(str), format="%Y").to_numpy()
        kind = "yearly"
    return Series(id=name, values=values.astype(float), horizon=horizon, period=season,
                  kind=kind, time=time)


def load_series(config: Config) -> list[Series]:
    """The source named by `config.data` as a list of series (`max_series` of them)."""
    if config.data in EMBEDDED:
        return [_embedded(config.data, config.horizon, config.season)]
    if config.data in COMPETITIONS:
        series = load_competition(config.data, config.subset)
    else:
        series = read_long_csv(
            Path(config.data), id_column=config.id_column, time_column=config.time_column,
            target=config.target, past=config.features, known=config.known, fill=config.fill,
            horizon=config.horizon, period=config.season)
    return series[: config.max_series] if config.max_series else series


def future_time(time: np.ndarray, steps: int) -> np.ndarray | None:
    """`time` extended by `steps` further dates at its own frequency (None if undated)."""
    if time is None or steps == 0:
        return time
    index = pd.DatetimeIndex(time)
    freq = pd.infer_freq(index) if len(index) >= 3 else None
    if freq is None:
        step = index[-1] - index[-2] if len(index) >= 2 else pd.Timedelta(days=1)
        extra = pd.DatetimeIndex([index[-1] + step * (i + 1) for i in range(steps)])
    else:
        extra = pd.date_range(index[-1], periods=steps + 1, freq=freq)[1:]
    return np.concatenate([index.to_numpy(), extra.to_numpy()])


def known_covariates(series: Series, config: Config, length: int) -> np.ndarray | None:
    """(length, K) known covariates: calendar features, then the `known` columns."""
    parts = []
    if config.calendar_features:
        time = future_time(series.time, max(0, length - len(series.time)))
        feats, names = calendar_features(time[:length])
        if names != list(config.calendar_features):
            raise DataError(f"series {series.id}: its dates give calendar features {names}, "
                            f"the model was trained with {config.calendar_features}; "
                            "use data of the same frequency")
        parts.append(feats)
    if config.known:
        known = np.full((length, len(config.known)), np.nan)
        rows = min(length, len(series.known))
        known[:rows] = series.known[:rows]
        parts.append(known)
    return np.concatenate(parts, axis=1).astype("float32") if parts else None


def _bounds(series: Series, config: Config) -> tuple[int, int]:
    n = len(series.values)
    if config.is_collection:
        n_train = series.n_train if series.n_train is not None else n - series.horizon
        return n_train - series.horizon, n_train
    train_end, val_end = split_bounds(n, config.val_fraction, config.test_fraction)
    h, w = config.horizon, config.window
    if min(val_end - train_end, n - val_end) < h or train_end < w + h:
        need = int(np.ceil((w + h) / (1 - config.val_fraction - config.test_fraction)))
        raise DataError(f"{series.id} has {n} rows, too few for window={w} and horizon={h} "
                        f"(need about {need}); lower --set window=/horizon= or give a longer "
                        "series")
    return train_end, val_end


def origins(series: Series, bounds, config: Config, split: str) -> np.ndarray:
    """Forecast origins of `series` in `split` (see the module docstring)."""
    train_end, val_end = bounds
    n, h = len(series.values), config.horizon
    if split == "train":
        first = max(config.min_context, 1)
        if config.history:
            first = max(first, train_end - config.history * series.horizon)
        return np.arange(first, train_end)
    if config.is_collection:
        return np.array([train_end if split == "val" else val_end])
    if split == "val":
        return np.arange(train_end, val_end - h + 1)
    return np.arange(val_end, n - h + 1, config.stride)


def make_windows(series_list: list[Series], rows, starts, config: Config,
                 limits=None) -> Windows:
    """Examples at origins `starts` of series `rows`; targets end at `limits` (exclusive)."""
    w, h = config.window, config.horizon
    rows, starts = np.asarray(rows, dtype=int), np.asarray(starts, dtype=int)
    limits = np.full(len(rows), np.iinfo(int).max) if limits is None else np.asarray(limits)
    window = np.full((len(rows), w), np.nan, dtype="float32")
    y = np.full((len(rows), h), np.nan, dtype="float32")
    past = np.full((len(rows), w, len(config.features)), np.nan, dtype="float32")
    known = np.zeros((len(rows), w + h, config.n_known), dtype="float32")
    for r in np.unique(rows):
        s = series_list[r]
        pick = np.flatnonzero(rows == r)
        t = starts[pick]
        padded = np.concatenate([np.full(w, np.nan), s.values, np.full(h, np.nan)])
        steps = np.arange(w + h)[None, :] + t[:, None]  # padded index of y[t - w + j]
        window[pick] = padded[steps[:, :w]]
        target = padded[steps[:, w:]]
        own = np.arange(h)[None, :] >= s.horizon  # beyond this series' own horizon
        late = (t[:, None] + np.arange(h)[None, :]) >= limits[pick][:, None]
        target[own | late] = np.nan
        y[pick] = target
        if config.features:
            cov = np.concatenate([np.full((w, s.past.shape[1]), np.nan), s.past])
            past[pick] = cov[steps[:, :w]]
        if config.n_known:
            cov = known_covariates(s, config, int(t.max()) + h)
            cov = np.concatenate([np.full((w, cov.shape[1]), np.nan), cov])
            known[pick] = cov[steps]
    inputs = {"window": window}
    if config.features:
        inputs["past"] = past
    if config.n_known:
        inputs["known"] = known
    if config.embedding:
        inputs["series"] = np.array([series_list[r].id for r in rows])
    if len(config.kinds or []) > 1:
        inputs["kind"] = np.array([series_list[r].kind for r in rows])
    return Windows(inputs, y, rows, starts)


def split_windows(series_list, bounds, config: Config, split: str) -> Windows:
    rows, starts, limits = [], [], []
    for r, (s, b) in enumerate(zip(series_list, bounds)):
        t = origins(s, b, config, split)
        rows.append(np.full(len(t), r))
        starts.append(t)
        limit = {"train": b[0], "val": b[1], "test": len(s.values)}[split]
        limits.append(np.full(len(t), limit))
    return make_windows(series_list, np.concatenate(rows), np.concatenate(starts), config,
                        np.concatenate(limits))


def scaled_targets(windows: Windows) -> np.ndarray:
    """Targets in each window's own units: (y - loc) / scale."""
    from seqsuite.shared.layers.probabilistic import location_scale

    loc, scale = (np.asarray(a) for a in location_scale(windows.inputs["window"]))
    return ((windows.y - loc[:, None]) / scale[:, None]).astype("float32")


def check_series(series_list: list[Series], config: Config) -> None:
    for s in series_list:
        if not np.all(np.isfinite(s.values)):
            raise DataError(f"series {s.id} holds NaN or infinite values; clean it or "
                            "--set fill=interpolate")
        # (one series split by fractions is checked against its window in `_bounds`)
        if config.is_collection and len(s.values) < config.min_context + 2 * s.horizon:
            raise DataError(f"series {s.id} has {len(s.values)} points, too few to forecast "
                            f"{s.horizon} steps from at least {config.min_context} (lower "
                            "--set min_context= or drop the series)")


def learned_from(series_list: list[Series], config: Config) -> dict:
    names = []
    dated = [s for s in series_list if s.time is not None]
    if config.calendar and config.task != "anomaly" and dated and len(dated) == len(series_list):
        try:
            _, names = calendar_features(dated[0].time)
        except DataError:
            names = []  # irregular dates have no calendar position to encode
    kinds = sorted({s.kind for s in series_list})
    ids = [s.id for s in series_list] if config.embedding else []
    if len(set(ids)) != len(ids):
        raise DataError(f"{config.data} repeats series ids; an embedding needs unique ids")
    frequency = frequency_name(dated[0].time) if names else None
    return {"calendar_features": names, "frequency": frequency, "kinds": kinds,
            "series_ids": ids}


def load_data(config: Config) -> ForecastData:
    import tensorflow as tf

    from seqsuite.shared.run.config import with_learned

    series_list = load_series(config)
    if not series_list:
        raise DataError(f"{config.data} holds no series")
    learned = learned_from(series_list, config)
    if config.calendar_features is None or config.kinds is None or config.series_ids is None:
        config = with_learned(config, learned)  # the runner does the same with `learned`
    check_series(series_list, config)
    bounds = [_bounds(s, config) for s in series_list]
    windows = {split: split_windows(series_list, bounds, config, split)
               for split in ("train", "val", "test")}
    problem = shortfall(windows["val"].y, config.quantiles)
    if problem and config.intervals in ("conformal", "split"):
        raise DataError(f"{config.data}: {problem} (validation origins); give more or longer "
                        "series, raise val_fraction, or --set intervals=model")
    datasets = {}
    for split, win in windows.items():
        if len(win) == 0:
            raise DataError(f"{config.data} gives no {split} windows; lower --set window= or "
                            "min_context=, or give longer series")
        ds = tf.data.Dataset.from_tensor_slices((win.inputs, scaled_targets(win)))
        if split == "train":
            ds = ds.shuffle(len(win), seed=config.seed, reshuffle_each_iteration=True)
        datasets[split] = ds.batch(config.batch_size).prefetch(tf.data.AUTOTUNE)
    adapt = {}
    train = windows["train"]
    if config.features:
        sample = train.inputs["past"][:, -1, :]
        adapt["past_normalize"] = sample[np.all(np.isfinite(sample), axis=1)][:, None, :]
    if config.n_known:
        sample = train.inputs["known"][:, -1, :]
        adapt["known_normalize"] = sample[np.all(np.isfinite(sample), axis=1)][:, None, :]
    name = config.data if config.data in EMBEDDED or config.data in COMPETITIONS else Path(
        config.data).name
    if config.data in COMPETITIONS:
        name = f"{config.data}-{config.subset}"
    return ForecastData(series=series_list, name=name, bounds=bounds, windows=windows,
                        adapt=adapt, learned=learned, **datasets)
