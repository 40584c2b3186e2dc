"""Train, evaluate, backtest and export the forecasting suite.

    seqsuite train forecasting --preset quick --out runs/co2
    seqsuite train forecasting --preset quick --set data=m3 subset=monthly --out runs/m3m
    seqsuite backtest --run runs/co2 --origins 12
    seqsuite forecast --run runs/m3m

Beside the model, every run fits the statistical forecasters a user would
otherwise pick (seasonal naive, Naive2, ETS, Theta: `baselines.py`) on the
same series and test origins, once, at training (`StatisticalForecasters`);
`evaluate` scores their saved forecasts.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from seqsuite.shared.errors import DataError
from seqsuite.shared.evaluation.anomaly import detect, detection_scores, inject_anomalies
from seqsuite.shared.evaluation.metrics import (
    central_intervals,
    forecast_scores,
    mase,
    mase_scales,
)
from seqsuite.shared.evaluation.plots import plot_backtest, plot_forecast_panels, plot_series_flags
from seqsuite.shared.layers.conformal import CalibrationError, conformal_offsets
from seqsuite.shared.run.files import replacing, write_text_atomic
from seqsuite.shared.run.suite import Evaluation
from seqsuite.suites.forecasting.baselines import fit_statistical, load_baselines, save_baselines
from seqsuite.suites.forecasting.config import Config
from seqsuite.suites.forecasting.data import (
    ForecastData,
    Windows,
    future_time,
    load_data,
    load_series,
    make_windows,
    scaled_targets,
)
from seqsuite.suites.forecasting.model import (
    forecast_outputs,
    model_inputs,
    predict,
    predict_params,
    scaled_forecasts,
)


def _histories(data: ForecastData, windows: Windows) -> list[np.ndarray]:
    return [data.series[r].values[:t] for r, t in zip(windows.row, windows.origin)]


def _periods(data: ForecastData, windows: Windows) -> list[int]:
    return [data.series[r].period for r in windows.row]


def _horizons(data: ForecastData, windows: Windows) -> list[int]:
    return [data.series[r].horizon for r in windows.row]


def _percents(config: Config) -> list[int]:
    return [p for p, _, _ in central_intervals(config.quantiles)]


def _progress(total: int):
    step = max(1, total // 10)
    shown = [0]

    def report(done: int, *_):
        if total >= 50 and (done - shown[0] >= step or done == total):
            shown[0] = done
            print(f"  baselines: {done}/{total} series", flush=True)

    return report


def _as_quantiles(forecast: dict, horizon: int) -> tuple[np.ndarray | None, list[float]]:
    """A baseline's intervals as a (n, H, Q) quantile array with its levels."""
    levels, columns = [0.5], [forecast["point"][:, :horizon]]
    for key in sorted(forecast):
        if key.startswith("lower_"):
            percent = int(key.split("_")[1])
            if f"upper_{percent}" in forecast:
                low = round((1 - percent / 100) / 2, 6)
                levels = [low, *levels, round(1 - low, 6)]
                columns = [forecast[key][:, :horizon], *columns,
                           forecast[f"upper_{percent}"][:, :horizon]]
    if len(levels) == 1:
        return None, []
    order = np.argsort(levels)
    stacked = np.stack(columns, axis=-1)[..., order]
    return stacked, [levels[i] for i in order]


def _widen(values: np.ndarray, h: int) -> np.ndarray:
    """(n, steps, ...) forecasts padded with NaN to at least `h` steps."""
    if values.ndim < 2 or values.shape[1] >= h:
        return values
    pad = np.full((values.shape[0], h - values.shape[1], *values.shape[2:]), np.nan)
    return np.concatenate([values, pad], axis=1)


def _naive2(baselines: dict, h: int):
    naive2 = baselines.get("naive2", {}).get("point")
    return None if naive2 is None else naive2[:, :h]


def baseline_rows(y, baselines: dict, scale) -> dict:
    """forecast_scores of each baseline's forecasts ({name: {"point": (n, H), ...}})."""
    h, naive2 = y.shape[1], _naive2(baselines, y.shape[1])
    rows = {}
    for name, forecast in baselines.items():
        quantiles, levels = _as_quantiles(forecast, h)
        rows[name] = forecast_scores(y, forecast["point"][:, :h], scale, quantiles,
                                     levels or None, naive2)
    return rows


def blend(model, theta, weight):
    """The combined point forecast weight * model + (1 - weight) * Theta; `weight` a
    number or one per row ((n,) against (n, H) forecasts)."""
    weight = np.asarray(weight, dtype=float)
    if weight.ndim == 1:
        weight = weight[:, None]
    return weight * model + (1 - weight) * theta


def score_all(y, predictions: dict, baselines: dict, scale, config: Config,
              weights=None) -> dict:
    """forecast_scores of the model and each baseline on the same targets; with Theta
    among the baselines also `model+theta`, the mean of the two, and with `weights`
    ((n,), the network's share per row, from `combination_weights`) `combined`."""
    h, naive2 = y.shape[1], _naive2(baselines, y.shape[1])
    rows = {"model": forecast_scores(y, predictions["forecast"], scale,
                                     predictions["quantiles"], config.quantiles, naive2)}
    if "theta" in baselines:
        theta = baselines["theta"]["point"][:, :h]
        shares = {"model+theta": np.full(len(y), 0.5)}
        if weights is not None:
            shares["combined"] = np.asarray(weights, dtype=float)
        for name, w in shares.items():
            # The network's intervals move with the combined point forecast.
            point = blend(predictions["forecast"], theta, w)
            shifted = predictions["quantiles"] + (point - predictions["forecast"])[..., None]
            rows[name] = forecast_scores(y, point, scale, shifted, config.quantiles, naive2)
    return {**rows, **baseline_rows(y, baselines, scale)}


class StatisticalForecasters:
    """The statistical forecasters `config.baselines` names (`shared.run.baselines.Baseline`;
    `baselines.py`), one row each, fitted on every series' history up to each of its
    test origins, once, at training; their forecasts are saved (`forecasts.npz`:
    plain arrays) with a fingerprint of the histories they were fitted on, so evaluating
    the run's own data refits nothing. Evaluated on other data (`seqsuite evaluate --set
    data=new.csv`), they are fitted on its histories then, as a practitioner would: they
    are local models of each series, and the network is never retrained.

    Theta is also fitted at the validation origins (`validation.npz`), on the training
    part alone: the combination of the network with Theta is chosen there
    (`combination_weights`), never on the test part.
    """

    name = "statistical"
    file = "fingerprint.txt"
    validation_file = "validation.npz"

    def __init__(self, forecasts: dict[str, dict[str, np.ndarray]] | None = None,
                 fingerprint: str | None = None,
                 validation: dict[str, dict[str, np.ndarray]] | None = None):
        self.forecasts, self.fingerprint = forecasts, fingerprint
        self.validation = validation or {}

    @staticmethod
    def _fingerprint(data: ForecastData, windows: Windows) -> str:
        digest = hashlib.sha1()
        for history, horizon in zip(_histories(data, windows), _horizons(data, windows)):
            digest.update(np.ascontiguousarray(history, dtype="float64").tobytes())
            digest.update(str(horizon).encode())
        return digest.hexdigest()

    @staticmethod
    def _forecast(data: ForecastData, config: Config, split: str = "test",
                  models=None) -> dict[str, dict[str, np.ndarray]]:
        windows = data.windows[split]
        models = tuple(config.baselines if models is None else models)
        if config.verbose:
            print(f"fitting {', '.join(models)} at {len(windows)} {split} origins")
        forecasts = fit_statistical(
            _histories(data, windows), _horizons(data, windows), _periods(data, windows),
            models=models, levels=tuple(_percents(config)),
            progress=_progress(len(windows)) if config.verbose else None)
        # As wide as the model's horizon (a mixed collection of yearly series alone
        # forecasts fewer steps than its horizon): NaN beyond every series' own.
        return {name: {key: _widen(v, config.horizon) for key, v in parts.items()}
                for name, parts in forecasts.items()}

    @classmethod
    def _validation(cls, data: ForecastData, config: Config) -> dict:
        return cls._forecast(data, config, "val", ("theta",)) if "theta" in config.baselines \
            else {}

    def fit(self, data: ForecastData, config: Config) -> None:
        self.forecasts = self._forecast(data, config)
        self.validation = self._validation(data, config)
        self.fingerprint = self._fingerprint(data, data.windows["test"])

    def save(self, directory: Path) -> None:
        save_baselines(directory, self.forecasts)
        if self.validation:
            save_baselines(directory, self.validation, self.validation_file)
        write_text_atomic(Path(directory) / self.file, self.fingerprint + "\n")

    @classmethod
    def load(cls, directory: Path) -> StatisticalForecasters:
        fingerprint = Path(directory) / cls.file
        validation = (load_baselines(directory, cls.validation_file)
                      if (Path(directory) / cls.validation_file).is_file() else {})
        return cls(load_baselines(directory),
                   fingerprint.read_text().strip() if fingerprint.is_file() else None,
                   validation)

    def _own(self, data: ForecastData) -> bool:
        return self._fingerprint(data, data.windows["test"]) == self.fingerprint

    def forecasts_for(self, data: ForecastData, config: Config) -> dict:
        """The saved forecasts when `data` is what they were fitted on, else new ones."""
        return self.forecasts if self._own(data) else self._forecast(data, config)

    def validation_for(self, data: ForecastData, config: Config) -> dict:
        """Theta's forecasts at the validation origins, saved or (other data) new."""
        return self.validation if self._own(data) else self._validation(data, config)

    def score(self, data: ForecastData, config: Config) -> dict:
        """{forecaster: sMAPE, MASE, OWA, coverage, ...} on the test windows."""
        test = data.windows["test"]
        scale = mase_scales(_histories(data, test), _periods(data, test))
        return baseline_rows(test.y, self.forecasts_for(data, config), scale)


WEIGHTS = np.round(np.linspace(0, 1, 21), 2)  # the network's share, in steps of 0.05


def combination_weights(y, model, theta, scale, kinds) -> dict[str, float]:
    """The network's weight w in w * model + (1 - w) * Theta for each kind of series
    (frequency), the one of `WEIGHTS` with the lowest MASE on these (validation)
    forecasts; ties go to the larger w."""
    weights = {}
    for kind in sorted(set(kinds)):
        pick = kinds == kind
        errors = [mase(y[pick], blend(model[pick], theta[pick], w), scale[pick])
                  for w in WEIGHTS]
        best = min(errors)
        weights[kind] = float(max(w for w, e in zip(WEIGHTS, errors) if e <= best + 1e-12))
    return weights


def calibrate(model, data: ForecastData, config: Config) -> dict:
    """`Suite.calibrate`: the conformal offsets of the intervals (`config.conformal`),
    measured on the validation forecasts in their windows' scaled units
    (`shared.layers.conformal`); none with `intervals=model`, or with `auto` when the
    validation split holds too few forecasts (`load_data` refuses that for
    `conformal` and `split` before training)."""
    if config.intervals == "model":
        return {"conformal": None}
    import dataclasses

    val = data.windows["val"]
    raw = dataclasses.replace(config, conformal=None)
    point, quantiles = scaled_forecasts(predict_params(model, val.inputs), raw)
    method = "split" if config.intervals == "split" else "conformal"
    try:
        offsets = conformal_offsets(scaled_targets(val), np.asarray(point),
                                    np.asarray(quantiles), config.quantiles, method)
    except CalibrationError as err:
        if config.verbose:
            print(f"intervals: the model's own ({err})")
        return {"conformal": None}
    return {"conformal": np.round(offsets, 6).tolist()}


def baselines(config: Config) -> list:
    """`Suite.baselines`: the statistical forecasters, unless `baselines=` names none."""
    return [StatisticalForecasters()] if config.baselines else []


def evaluate(model, data: ForecastData, config: Config, where: Evaluation) -> dict:
    """Test metrics of the model beside the statistical baselines fitted at training
    (sMAPE, MASE, OWA, interval coverage, MSIS, quantile loss), per frequency for
    a mixed collection, and forecast plots in `where.out`; the same on the validation
    part (`validation`: the model's intervals were calibrated there, so its coverage
    is not a test of them), and `combined`, the network and Theta weighted per
    frequency as validation chose (`combination`)."""
    test, val = data.windows["test"], data.windows["val"]
    predictions = predict(model, test.inputs, config)
    scale = mase_scales(_histories(data, test), _periods(data, test))
    statistical = where.baselines.get(StatisticalForecasters.name)
    baselines = statistical.forecasts_for(data, config) if statistical is not None else {}
    # The validation part (the last horizon of each training part): what every choice is
    # made on, here the network's share in its combination with Theta.
    val_predictions = predict(model, val.inputs, config)
    val_scale = mase_scales(_histories(data, val), _periods(data, val))
    validation = statistical.validation_for(data, config) if statistical is not None else {}
    metrics = {}
    kinds = np.array([data.series[r].kind for r in test.row])
    weights = None
    if "theta" in validation and "theta" in baselines:
        chosen = combination_weights(
            val.y, val_predictions["forecast"], validation["theta"]["point"][:, :val.y.shape[1]],
            val_scale, np.array([data.series[r].kind for r in val.row]))
        weights = np.array([chosen.get(k, 0.5) for k in kinds])
    metrics["test"] = score_all(test.y, predictions, baselines, scale, config, weights)
    if len(set(kinds)) > 1:
        for kind in sorted(set(kinds)):
            pick = kinds == kind
            sub = {k: v[pick] for k, v in predictions.items()}
            base = {name: {k: v[pick] for k, v in f.items()} for name, f in baselines.items()}
            metrics[f"test_{kind}"] = score_all(test.y[pick], sub, base, scale[pick], config,
                                                None if weights is None else weights[pick])
    metrics["validation"] = score_all(val.y, val_predictions, validation, val_scale, config)
    if weights is not None:  # the network's share, per frequency, chosen by validation MASE
        metrics["combination"] = {"model_weight": chosen}
    metrics["data"] = {"source": data.name, "series": len(data.series),
                       "test_forecasts": len(test), "window": config.window,
                       "horizon": config.horizon, "head": config.head,
                       "training_windows": len(data.windows["train"])}
    plot_forecasts(data, test, predictions, config, where.out / "forecast.png",
                   f"{data.name}: test forecasts")
    if config.task == "anomaly":
        metrics["anomaly"] = evaluate_anomalies(model, data, config, where.out)
    return metrics


def _time_axis(series, length: int):
    time = future_time(series.time, max(0, length - (0 if series.time is None
                                                     else len(series.time))))
    return np.arange(length) if time is None else time[:length]


def plot_forecasts(data: ForecastData, windows: Windows, predictions: dict, config: Config,
                   path: Path, title: str, panels: int = 9) -> Path:
    """One series: forecasts from its last few origins; a collection: a grid of series."""
    intervals = central_intervals(config.quantiles)
    rows = np.unique(windows.row)
    if len(rows) == 1:
        # Non-overlapping origins, the latest four.
        picks, last = [], None
        for i in np.argsort(windows.origin)[::-1]:
            if last is None or last - windows.origin[i] >= config.horizon:
                picks.append(i)
                last = windows.origin[i]
            if len(picks) == 4:
                break
        groups = [sorted(picks, key=lambda i: windows.origin[i])]
    else:
        rng = np.random.default_rng(config.seed)
        chosen = rng.choice(rows, size=min(panels, len(rows)), replace=False)
        groups = [[int(np.flatnonzero(windows.row == r)[-1])] for r in sorted(chosen)]
    out = []
    for group in groups:
        s = data.series[windows.row[group[0]]]
        start = max(0, int(windows.origin[group[0]]) - 3 * config.window)
        end = int(windows.origin[group[-1]])
        time = _time_axis(s, end + config.horizon)
        forecasts = []
        for i in group:
            t, h = int(windows.origin[i]), s.horizon
            q = predictions["quantiles"][i]
            truth = windows.y[i, :h]
            forecasts.append({
                "time": time[t : t + h], "point": predictions["forecast"][i, :h],
                "truth": None if np.all(np.isnan(truth)) else truth,
                "bands": {p: (q[:h, lo], q[:h, hi]) for p, lo, hi in intervals}})
        out.append({"title": s.id, "time": time[start:end], "values": s.values[start:end],
                    "forecasts": forecasts})
    return plot_forecast_panels(out, path, title, ncols=1 if len(out) == 1 else 3)


def _series_matrix(data: ForecastData) -> np.ndarray:
    s = data.series[0]
    return s.values[:, None] if s.past is None else np.column_stack([s.values, s.past])


def evaluate_anomalies(model, data: ForecastData, config: Config, out: Path) -> dict:
    """Detect anomalies injected into a copy of the test split (spikes, level shifts);
    `anomalies.csv` and `anomalies.png` in `out`."""
    import tensorflow as tf

    _, val_end = data.bounds[0]
    val = data.windows["val"]
    calibration = val.y[:, 0] - predict(model, val.inputs, config)["forecast"][:, 0]
    step = tf.function(lambda inputs: model(inputs, training=False))

    def forecast_one(x):
        inputs = {"window": tf.constant(x[..., 0], tf.float32)}
        if config.features:
            inputs["past"] = tf.constant(x[..., 1:], tf.float32)
        out = forecast_outputs(step(inputs), inputs["window"], config)
        return float(np.asarray(out["forecast"])[0, 0])

    series = _series_matrix(data)
    corrupted = series.copy()
    corrupted[val_end:, 0], labels = inject_anomalies(series[val_end:, 0], seed=config.seed)
    flags, scores, forecasts = detect(forecast_one, corrupted, val_end, config.window,
                                      calibration, config.anomaly_threshold)
    clean_flags, _, _ = detect(forecast_one, series, val_end, config.window,
                               calibration, config.anomaly_threshold)
    with (Path(out) / "anomalies.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["index", "value", "forecast", "score", "flagged", "injected"])
        for i in range(len(flags)):
            writer.writerow([val_end + i, f"{corrupted[val_end + i, 0]:.6g}",
                             f"{forecasts[i]:.6g}", f"{scores[i]:.3f}", int(flags[i]),
                             int(labels[i])])
    plot_series_flags(corrupted[val_end:, 0], flags, labels, Path(out) / "anomalies.png",
                      title=f"{data.name}: injected anomalies and detections")
    return {
        **detection_scores(flags, labels),
        "injected_points": int(labels.sum()),
        "flagged_points": int(flags.sum()),
        "false_alarms_on_clean_test": int(clean_flags.sum()),
        "threshold": float(config.anomaly_threshold),
        "calibration_residual_mad": float(np.median(np.abs(calibration - np.median(calibration)))),
    }


def backtest(model, config: Config, run: str, origins: int = 10, stride: int | None = None
             ) -> list[str]:
    """Rolling-origin evaluation without retraining (`seqsuite backtest`).

    For every series, forecasts from its last `origins` origins, `stride`
    steps apart (default: the horizon), the latest one a full horizon before
    the series ends. Writes RUN/backtest/: metrics.json (aggregate, model
    beside seasonal naive and Naive2), origins.csv (per origin), errors.png
    (MASE and interval coverage over origins) and forecasts.png.
    """
    from seqsuite.shared.run.runner import format_metrics

    stride = stride or config.horizon
    if origins < 1 or stride < 1:
        raise DataError(f"--origins and --stride must be >= 1, got {origins} and {stride}")
    data = load_data(config)
    rows, starts, ranks = [], [], []
    for r, s in enumerate(data.series):
        last = len(s.values) - s.horizon
        t = last - stride * np.arange(origins)[::-1]
        t = t[t >= config.min_context]
        rows += [r] * len(t)
        starts += list(t)
        ranks += list(range(origins - len(t), origins))
    if not starts:
        raise DataError(f"no series of {data.name} is long enough for a backtest; lower "
                        "--origins or --stride")
    windows = make_windows(data.series, rows, starts, config)
    ranks = np.array(ranks)
    predictions = predict(model, windows.inputs, config)
    histories = _histories(data, windows)
    periods = _periods(data, windows)
    # The cheap baselines only: refitting ETS and Theta at every origin would be retraining.
    baselines = fit_statistical(histories, config.horizon, periods,
                                models=("seasonal_naive", "naive2"),
                                levels=tuple(_percents(config)))
    scale = mase_scales(histories, periods)
    metrics = {"backtest": score_all(windows.y, predictions, baselines, scale, config),
               "setup": {"origins": origins, "stride": stride, "forecasts": len(windows)}}
    table = []
    for k in range(origins):
        pick = ranks == k
        if not pick.any():
            continue
        sub = {key: v[pick] for key, v in predictions.items()}
        base = {n: {key: v[pick] for key, v in f.items()} for n, f in baselines.items()}
        scores = score_all(windows.y[pick], sub, base, scale[pick], config)
        first = data.series[windows.row[pick][0]]
        origin = int(windows.origin[pick][0])
        when = _time_axis(first, origin + 1)[origin]
        table.append({"origin": k - origins + 1, "index": origin, "time": str(when),
                      **{f"{name}_{m}": v for name, row in scores.items() for m, v in
                         row.items() if m in ("mase", "smape") or m.startswith("coverage")}})
    out = Path(run) / "backtest"
    with replacing(out, overwrite=True, what="backtest", flag="--run") as staged:
        write_text_atomic(staged / "metrics.json", json.dumps(metrics, indent=2) + "\n")
        buffer = io.StringIO()
        pd.DataFrame(table).to_csv(buffer, index=False, float_format="%.6g")
        write_text_atomic(staged / "origins.csv", buffer.getvalue())
        times = [pd.Timestamp(r["time"]) if first.time is not None else r["index"]
                 for r in table]
        coverage = {p: [r[f"model_coverage_{p}"] for r in table] for p in _percents(config)}
        plot_backtest(times, {n: [r[f"{n}_mase"] for r in table] for n in
                              ("model", "seasonal_naive", "naive2")}, coverage,
                      staged / "errors.png", f"{data.name}: backtest over {origins} origins")
        plot_forecasts(data, windows, predictions, config, staged / "forecasts.png",
                       f"{data.name}: backtest forecasts")
    return [format_metrics(metrics).rstrip(), f"backtest written to {out}"]


def backtest_command(run, args) -> list[str]:
    """`seqsuite backtest --run RUN [--origins N] [--stride S]`: `backtest` of the run."""
    return backtest(run.model, run.config, run.path, args.origins, args.stride)


def forecast(run, args) -> list[str]:
    """Forecast the next horizon after the end of every series (`seqsuite forecast`).

    `--data` repoints the run at another file of the same layout. Prints CSV:
    id, time (or step), forecast and every interval's bounds, and, when the run
    learned a combination with Theta, `combined`: the network and Theta (fitted on
    each series' history now) weighted as the run's validation chose.
    """
    import dataclasses

    model, config = run.model, run.config
    if args.data is not None:
        config = dataclasses.replace(config, data=args.data)
    series = load_series(config)
    h = config.horizon
    known_ids = set(config.series_ids or [])
    for s in series:
        if config.embedding and s.id not in known_ids:
            raise DataError(f"series '{s.id}' was not in the training data, so the model has "
                            "no embedding for it; retrain with it or with --set embedding=0")
        if not np.all(np.isfinite(s.values)):
            raise DataError(f"series {s.id} holds NaN values; fill them or --set "
                            "fill=interpolate")
        if len(s.values) < config.min_context:
            raise DataError(f"series {s.id} has {len(s.values)} points; the model needs at "
                            f"least {config.min_context}")
        if config.known and (s.known is None or s.future < h or not np.all(np.isfinite(
                s.known[len(s.values):len(s.values) + h]))):
            raise DataError(f"series {s.id}: the known covariates {', '.join(config.known)} must "
                            f"be given for the {h} steps after the last target (rows with an "
                            "empty target)")
    windows = make_windows(series, np.arange(len(series)), [len(s.values) for s in series],
                           config)
    predictions = predict(model, windows.inputs, config)
    intervals = central_intervals(config.quantiles)
    header = ["id", "time", "forecast"] + [f"{side}_{p}" for p, _, _ in intervals
                                           for side in ("lower", "upper")]
    # The run's learned combination with Theta (chosen on its validation part), with
    # Theta fitted now on each series' whole history; a kind the run never saw gets 0.5.
    weights = json.loads((Path(run.path) / "metrics.json").read_text()).get(
        "combination", {}).get("model_weight", {})
    if weights:
        header.append("combined")
        theta = fit_statistical([s.values for s in series], [s.horizon for s in series],
                                [s.period for s in series], models=("theta",),
                                levels=())["theta"]["point"]
    lines = [",".join(header)]
    for i, s in enumerate(series):
        time = _time_axis(s, len(s.values) + s.horizon)[len(s.values):]
        for k in range(s.horizon):
            q = predictions["quantiles"][i, k]
            stamp = pd.Timestamp(time[k]).date() if s.time is not None else int(time[k])
            cells = [s.id, str(stamp), f"{predictions['forecast'][i, k]:.6g}"]
            cells += [f"{q[j]:.6g}" for _, lo, hi in intervals for j in (lo, hi)]
            if weights:
                w = weights.get(s.kind, 0.5)
                cells.append(f"{blend(predictions['forecast'][i, k], theta[i, k], w):.6g}")
            lines.append(",".join(cells))
    return lines


def search_space(hp) -> dict:
    clip = hp.Choice("clip_norm", [0.0, 1.0, 5.0])
    return {
        "cell": hp.Choice("cell", ["lstm", "gru", "layernorm_lstm", "peephole_lstm"]),
        "units": hp.Choice("units", [16, 32, 64]),
        "layers": hp.Int("layers", 1, 2),
        "head": hp.Choice("head", ["quantile", "student_t", "gaussian"]),
        "history": hp.Choice("history", [0, 5, 10]),
        "embedding": hp.Choice("embedding", [0, 4]),
        "members": hp.Choice("members", [1, 3]),
        "min_context": hp.Choice("min_context", [3, 6]),
        "dropout": hp.Choice("dropout", [0.0, 0.1]),
        "zoneout_h": hp.Choice("zoneout_h", [0.0, 0.05, 0.1]),
        "learning_rate": hp.Choice("learning_rate", [3e-4, 1e-3, 3e-3]),
        "batch_size": hp.Choice("batch_size", [32, 64, 256]),
        "clip_norm": clip or None,  # 0 in the space means "no clipping"
    }


def stream(run, args):
    """`seqsuite stream --run RUN [FILE|-]`: forecast the next horizon again as each
    observation of one series arrives (CSV lines from a file, or standard input fed by
    `tail -f`), with the run's SavedModel (`stream` signature: each observation costs one
    window, whatever the stream's length).

    Columns: the run's time column (dated runs: the calendar comes from it), its target and
    its past covariates, named by an optional header (other columns are ignored) or in
    that order; an empty target cell is a missing observation. Prints, once the window
    holds the `min_context` observations the model trained with, `horizon` lines per
    observation: `row,time,step,forecast` and every interval's bounds. A line that is not
    numbers, or whose time is not a date, is skipped with one line on standard error and
    the stream goes on (a skipped line changes nothing of the state)."""
    import tensorflow as tf

    from seqsuite.shared.run.live import csv_rows, states_of, streaming_export

    config = run.config
    takes = [name for name in ("series", "kind") if name in model_inputs(config)]
    if takes or config.known:
        needs = (f"its next {config.horizon} known values ({', '.join(config.known)})"
                 if config.known else f"a {' and '.join(takes)} input")
        raise DataError(f"this run's model takes {needs} with each observation, which CSV "
                        "lines do not carry; call the SavedModel's stream signature directly "
                        "(see docs/suites/forecasting.md)")
    dated = bool(config.calendar_features)
    texts = [config.time_column] if dated else []
    numbers = [config.target, *config.features]
    served = streaming_export(run)
    step = served.signatures["stream"]
    state = served.signatures["initial_state"](batch_size=tf.constant(1))
    intervals = central_intervals(config.quantiles)
    yield ",".join(["row", "time", "step", "forecast"] + [
        f"{side}_{p}" for p, _, _ in intervals for side in ("lower", "upper")])
    row = 0
    for number, cells in csv_rows(args.source, numbers, texts, missing=True):
        feed = {"value": tf.constant([cells[config.target]], tf.float32)}
        if config.features:
            feed["past"] = tf.constant([[cells[f] for f in config.features]], tf.float32)
        if dated:
            feed["last_time"] = tf.constant([cells[config.time_column]])
        out = step(**feed, **state)
        if dated and out["status"][0].numpy() != b"ok":
            print(f"seqsuite: line {number} skipped: {config.time_column} "
                  f"{cells[config.time_column]!r} is not a date; write it as YYYY-MM-DD or "
                  "YYYY-MM-DD HH:MM[:SS]", file=sys.stderr, flush=True)
            continue
        state = states_of(out)
        if bool(out["ready"][0]):
            q = out["quantiles"][0].numpy()
            for k in range(config.horizon):
                bounds = [f"{q[k, j]:.6g}" for _, lo, hi in intervals for j in (lo, hi)]
                yield ",".join([str(row), cells.get(config.time_column, ""), str(k + 1),
                                f"{float(out['forecast'][0, k]):.6g}", *bounds])
        row += 1
