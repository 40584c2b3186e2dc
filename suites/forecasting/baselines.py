"""The statistical forecasters a user would otherwise pick, fitted series by series.

- `seasonal_naive`: the value one season earlier (statsforecast `SeasonalNaive`),
  with its normal prediction intervals.
- `naive2`: the M4 benchmark (`seqsuite.shared.evaluation.metrics.naive2_forecast`): naive
  on the seasonally adjusted series; point forecasts only. OWA is relative to it.
- `ets`: statsforecast `AutoETS` (model "ZZZ": error, trend and season chosen by
  AICc, as R's `forecast::ets`), with its analytic intervals.
- `theta`: statsforecast `Theta`, the standard theta method (model "STM" of
  Fiorucci et al. 2016: simple exponential smoothing with drift half the
  trend's slope, theta = 2), i.e. the Assimakopoulos & Nikolopoulos method that
  won M3 in Hyndman & Billah's formulation, on series seasonally adjusted by a
  classical multiplicative decomposition when a 90% autocorrelation test finds
  seasonality. `AutoTheta` would choose among four theta variants by in-sample
  MSE; `Theta` is the published M3 reference (13.01 sMAPE) we compare with.

A series too short for its season (or on which a model fails) is fitted again
without a season, and failing that given the naive forecast; `fallback` says
which rows that happened to, so nothing is dropped silently.
"""

from __future__ import annotations

import io
import multiprocessing
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np

from seqsuite.shared.errors import ConfigError
from seqsuite.shared.evaluation.metrics import naive2_forecast
from seqsuite.shared.run.files import write_bytes_atomic

MODELS = ("seasonal_naive", "naive2", "ets", "theta")
BASELINES_FILE = "forecasts.npz"
CHUNK = 64  # series per task handed to a worker: few enough tasks, steady progress


def _statsforecast_model(name: str, season: int):
    from statsforecast.models import AutoETS, SeasonalNaive, Theta

    if name == "seasonal_naive":
        return SeasonalNaive(season_length=season)
    if name == "ets":
        return AutoETS(season_length=season)
    return Theta(season_length=season)


def _forecast_one(name: str, y: np.ndarray, horizon: int, season: int, levels) -> dict:
    """{"point": (h,), "lower_L"/"upper_L": (h,)} of one model on one series; raises when
    the model cannot fit or gives non-finite points."""
    if name == "naive2":
        return {"point": naive2_forecast(y, horizon, season)}
    # A seasonal model needs a full season of history (two for the seasonal tests).
    if name == "seasonal_naive" and len(y) < season:
        raise ValueError("shorter than one season")
    model = _statsforecast_model(name, season)
    out = model.forecast(y=y, h=horizon, level=list(levels))
    point = np.asarray(out["mean"], dtype=np.float64)
    if not np.all(np.isfinite(point)):
        raise ValueError("non-finite forecast")
    result = {"point": point}
    for level in levels:
        lo, hi = out.get(f"lo-{level}"), out.get(f"hi-{level}")
        if lo is None or hi is None:
            continue
        lo, hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
        # Some simulated intervals come back crossed on degenerate series; order them.
        result[f"lower_{level}"] = np.minimum(lo, hi)
        result[f"upper_{level}"] = np.maximum(lo, hi)
    return result


def _fit_series(y, horizon: int, season: int, models, levels) -> dict[str, tuple[dict, bool]]:
    """Every model on one series: {model: (forecast dict, fell back)}."""
    y = np.asarray(y, dtype=np.float64)
    results = {}
    for name in models:
        fallback = False
        try:
            forecast = _forecast_one(name, y, horizon, season, levels)
        except Exception:  # noqa: BLE001 - any failure of the library on this series
            fallback = True
            try:
                forecast = _forecast_one(name, y, horizon, 1, levels) if season > 1 else None
            except Exception:  # noqa: BLE001
                forecast = None
            if forecast is None:
                forecast = {"point": np.full(horizon, y[-1])}
        results[name] = (forecast, fallback)
    return results


def _fit_chunk(histories, horizons, seasons, models, levels):
    # Quiet by design: statsforecast warns about short series and fits with
    # degenerate variance; the fallbacks above handle those series instead.
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return [_fit_series(y, h, m, models, levels)
                for y, h, m in zip(histories, horizons, seasons)]


def fit_statistical(histories: list[np.ndarray], horizon: int | list[int],
                    season: int | list[int], models=MODELS, levels=(80, 95), n_jobs: int = 1,
                    progress: Callable[[int], None] | None = None
                    ) -> dict[str, dict[str, np.ndarray]]:
    """Fit each model to each history and forecast its horizon.

    Args:
        histories: n training series, 1-D float arrays (finite values).
        horizon: steps to forecast, one int or one per series.
        season: seasonal period, one int or one per series (1 = none). Each
            series is fitted with its own period.
        models: any of "seasonal_naive", "naive2", "ets", "theta".
        levels: central prediction-interval levels in percent.
        n_jobs: worker processes (forked, so they need not import anything
            again). 1 fits in this process.
        progress: called as `progress(done)` with the number of series
            finished so far (all models), e.g. `keras.utils.Progbar(n).update`.

    Returns:
        {model: {"point": (n, H), "lower_80": (n, H), "upper_80": ...,
        "fallback": (n,) bool}}, H the largest horizon and NaN past a row's own
        horizon; interval keys only for models that give intervals (not
        naive2); `fallback` marks rows fitted without their season or given
        the naive forecast because the model failed on them.
    """
    n = len(histories)
    horizons = np.broadcast_to(np.asarray(horizon, dtype=int), (n,))
    seasons = np.broadcast_to(np.asarray(season, dtype=int), (n,))
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise ConfigError(f"unknown baseline model(s) {', '.join(unknown)}; choose from "
                          f"{', '.join(MODELS)}")
    if n and (horizons.min() < 1 or seasons.min() < 1):
        raise ConfigError("horizons and seasons must be at least 1")
    empty = [i for i, y in enumerate(histories) if len(y) == 0]
    if empty:
        raise ConfigError(f"history {empty[0]} is empty; every series needs at least one value")
    levels = [int(level) for level in levels]
    models = list(models)
    chunks = [range(start, min(start + CHUNK, n)) for start in range(0, n, CHUNK)]

    def arguments(chunk):
        return ([histories[i] for i in chunk], [int(horizons[i]) for i in chunk],
                [int(seasons[i]) for i in chunk], models, levels)

    per_series: list = [None] * n
    done = 0
    if n_jobs <= 1 or len(chunks) <= 1:
        for chunk in chunks:
            for i, result in zip(chunk, _fit_chunk(*arguments(chunk))):
                per_series[i] = result
            done += len(chunk)
            if progress is not None:
                progress(done)
    else:
        # fork, not spawn: a spawned worker would import seqsuite, hence TensorFlow,
        # again; the workers only run NumPy and statsforecast code.
        context = multiprocessing.get_context("fork")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
            with ProcessPoolExecutor(max_workers=int(n_jobs), mp_context=context) as pool:
                futures = {pool.submit(_fit_chunk, *arguments(chunk)): chunk for chunk in chunks}
                for future in as_completed(futures):
                    chunk = futures[future]
                    for i, result in zip(chunk, future.result()):
                        per_series[i] = result
                    done += len(chunk)
                    if progress is not None:
                        progress(done)

    width = int(horizons.max()) if n else 0
    forecasts: dict[str, dict[str, np.ndarray]] = {}
    for name in models:
        arrays: dict[str, np.ndarray] = {"fallback": np.zeros(n, dtype=bool)}
        for i, result in enumerate(per_series):
            forecast, fallback = result[name]
            arrays["fallback"][i] = fallback
            for key, values in forecast.items():
                if key not in arrays:
                    arrays[key] = np.full((n, width), np.nan)
                arrays[key][i, : len(values)] = values
        forecasts[name] = arrays
    return forecasts


def save_baselines(directory, forecasts: dict[str, dict[str, np.ndarray]],
                   file: str = BASELINES_FILE) -> Path:
    """Write `fit_statistical`'s forecasts to `directory/file` (default forecasts.npz)
    atomically (plain arrays, no pickles); returns the path."""
    arrays = {}
    for name, parts in forecasts.items():
        for key, values in parts.items():
            if "__" in name or "__" in key:
                raise ValueError(f"baseline names may not contain '__'; received {name}, {key}")
            arrays[f"{name}__{key}"] = np.asarray(values)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    path = Path(directory) / file
    write_bytes_atomic(path, buffer.getvalue())
    return path


def load_baselines(directory, file: str = BASELINES_FILE) -> dict[str, dict[str, np.ndarray]]:
    """The forecasts `save_baselines` wrote in `directory/file`, without refitting."""
    path = Path(directory) / file
    try:
        with np.load(path, allow_pickle=False) as stored:
            forecasts: dict[str, dict[str, np.ndarray]] = {}
            for key in stored.files:
                name, part = key.split("__", 1)
                forecasts.setdefault(name, {})[part] = stored[key]
    except FileNotFoundError as err:
        raise ConfigError(f"{path} not found: the run directory is damaged; train it again "
                          "(seqsuite train forecasting ... --overwrite)") from err
    except (ValueError, KeyError, OSError) as err:
        raise ConfigError(f"{path} is unreadable; the run directory is damaged") from err
    return forecasts
