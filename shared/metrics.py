"""Evaluation metrics shared by the suites.

Detection and classification: `precision_recall_f1` on counts, the one
formula behind anomaly flags, per-class sentiment scores and entity scores.

Forecast errors in original units: MASE divides the MAE by the in-sample MAE
of the seasonal-naive forecast with period m on the training series (Hyndman
& Koehler 2006),
    MASE = mean|y - y_hat| / mean_t |y_t - y_{t-m}|,
so a MASE below a baseline's MASE is the same ranking as a lower MAE, but the
number is comparable across series.
"""

from __future__ import annotations

import numpy as np


def precision_recall_f1(true_positives, predicted, actual) -> dict[str, float]:
    """Precision, recall and F1 from counts:

        precision = TP / predicted,   recall = TP / actual,
        F1 = 2 precision recall / (precision + recall),

    where `predicted` counts what was flagged (TP + FP) and `actual` what is
    true (TP + FN). A ratio with nothing to count (a zero denominator) is 0.
    """
    true_positives, predicted, actual = int(true_positives), int(predicted), int(actual)
    precision = true_positives / predicted if predicted else 0.0
    recall = true_positives / actual if actual else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def mase_scale(train: np.ndarray, season: int) -> float:
    train = np.asarray(train, dtype=float)
    m = season if len(train) > season else 1
    return float(np.mean(np.abs(train[m:] - train[:-m])))


def forecast_errors(y, y_hat, scale: float) -> dict[str, float]:
    err = np.asarray(y, dtype=float) - np.asarray(y_hat, dtype=float)
    mae = float(np.mean(np.abs(err)))
    return {"mae": mae, "rmse": float(np.sqrt(np.mean(err**2))), "mase": mae / scale}


def naive_forecast(series: np.ndarray, starts, horizon: int) -> np.ndarray:
    """Repeat the last observed value: y_hat[t + k] = y[t - 1]."""
    starts = np.asarray(starts)
    return np.repeat(series[starts - 1][:, None], horizon, axis=1)


def seasonal_naive_forecast(series: np.ndarray, starts, horizon: int, season: int) -> np.ndarray:
    """Same point one season earlier: y_hat[t + k] = y[t + k - m * ceil((k + 1) / m)]."""
    starts = np.asarray(starts)[:, None]
    k = np.arange(horizon)[None, :]
    lag = season * np.ceil((k + 1) / season).astype(int)
    return series[starts + k - lag]


def nrmse(y, y_hat) -> float:
    """Root-mean-square error divided by the standard deviation of the truth."""
    y, y_hat = np.asarray(y, dtype=float), np.asarray(y_hat, dtype=float)
    return float(np.sqrt(np.mean((y - y_hat) ** 2)) / (np.std(y) + 1e-12))
