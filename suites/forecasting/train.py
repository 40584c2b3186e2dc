"""Train, evaluate and export the forecasting suite.

    python -m seqsuite.suites.forecasting.train --preset quick --out runs/co2
    seqsuite train forecasting --preset quick --set data=sunspots --out runs/sunspots
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
import tensorflow as tf

from seqsuite.shared.anomaly import detect, detection_scores, inject_anomalies
from seqsuite.shared.metrics import (
    forecast_errors,
    mase_scale,
    naive_forecast,
    seasonal_naive_forecast,
)
from seqsuite.shared.plots import plot_forecast, plot_series_flags
from seqsuite.suites.forecasting.config import Config
from seqsuite.suites.forecasting.data import ForecastData
from seqsuite.suites.forecasting.model import predict, target_scale


def evaluate(model, data: ForecastData, config: Config, run_dir: Path) -> dict:
    """Test-split MAE, RMSE and MASE of the model beside naive and seasonal-naive
    baselines, a forecast plot, and (task=anomaly) detection precision/recall/F1."""
    run_dir = Path(run_dir)
    target = data.series[:, 0]
    x, y, starts = data.windows["test"]
    scale = mase_scale(target[: data.bounds[0]], config.season)
    forecast = predict(model, x)
    metrics = {
        "test": {
            "model": forecast_errors(y, forecast, scale),
            "naive": forecast_errors(y, naive_forecast(target, starts, config.horizon), scale),
            "seasonal_naive": forecast_errors(
                y, seasonal_naive_forecast(target, starts, config.horizon, config.season), scale
            ),
        },
        "data": {"series": data.name, "test_windows": len(x), "window": config.window,
                 "horizon": config.horizon, "season": config.season},
    }
    last = starts[-1]
    plot_forecast(target[max(0, last - 3 * config.window) : last], y[-1], forecast[-1],
                  run_dir / "forecast.png", title=f"{data.name}: last test window")
    if config.task == "anomaly":
        metrics["anomaly"] = evaluate_anomalies(model, data, config, run_dir)
    return metrics


def evaluate_anomalies(model, data: ForecastData, config: Config, run_dir: Path) -> dict:
    """Detect anomalies injected into a copy of the test split (spikes, level shifts)."""
    _, val_end = data.bounds
    xv, yv, _ = data.windows["val"]
    calibration = yv[:, 0] - predict(model, xv)[:, 0]
    mean, std = target_scale(model)
    step = tf.function(lambda window: model(window, training=False)[:, 0])

    def forecast_one(window):
        return float(step(tf.constant(window))[0]) * std + mean

    corrupted = data.series.copy()
    corrupted[val_end:, 0], labels = inject_anomalies(data.series[val_end:, 0], seed=config.seed)
    flags, scores, forecasts = detect(forecast_one, corrupted, val_end, config.window,
                                      calibration, config.anomaly_threshold)
    clean_flags, _, _ = detect(forecast_one, data.series, val_end, config.window,
                               calibration, config.anomaly_threshold)
    with (run_dir / "anomalies.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["index", "value", "forecast", "score", "flagged", "injected"])
        for i in range(len(flags)):
            writer.writerow([val_end + i, f"{corrupted[val_end + i, 0]:.6g}",
                             f"{forecasts[i]:.6g}", f"{scores[i]:.3f}", int(flags[i]),
                             int(labels[i])])
    plot_series_flags(corrupted[val_end:, 0], flags, labels, run_dir / "anomalies.png",
                      title=f"{data.name}: injected anomalies and detections")
    return {
        **detection_scores(flags, labels),
        "injected_points": int(labels.sum()),
        "flagged_points": int(flags.sum()),
        "false_alarms_on_clean_test": int(clean_flags.sum()),
        "threshold": float(config.anomaly_threshold),
        "calibration_residual_mad": float(np.median(np.abs(calibration - np.median(calibration)))),
    }


def search_space(hp) -> dict:
    clip = hp.Choice("clip_norm", [0.0, 1.0, 5.0])
    return {
        "cell": hp.Choice("cell", ["lstm", "gru", "simple", "layernorm_lstm", "peephole_lstm"]),
        "units": hp.Choice("units", [16, 32, 64]),
        "layers": hp.Int("layers", 1, 2),
        "zoneout_h": hp.Choice("zoneout_h", [0.0, 0.05, 0.1, 0.2]),
        "zoneout_c": hp.Choice("zoneout_c", [0.0, 0.05, 0.1, 0.2]),
        "optimizer": hp.Choice("optimizer", ["adam", "adamw", "rmsprop", "momentum"]),
        "learning_rate": hp.Choice("learning_rate", [3e-4, 1e-3, 3e-3]),
        "batch_size": hp.Choice("batch_size", [16, 32, 64]),
        "clip_norm": clip or None,  # 0 in the space means "no clipping"
    }


def main(argv: list[str] | None = None) -> int:
    from seqsuite.cli import main as cli_main

    return cli_main(["train", "forecasting", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
