"""Forecast-residual anomaly detection, and a generator of labelled anomalies.

A point is anomalous when its one-step forecast residual r_t = y_t - y_hat_t is
extreme against residuals seen on clean data:

    z_t = |r_t - median(r_cal)| / (1.4826 * MAD(r_cal)),   flagged if z_t > threshold.

Median and MAD (not mean and standard deviation) keep the calibration robust.
A flagged point is replaced by its forecast before it enters later windows, so
a spike does not also corrupt the next forecasts and a level shift stays
flagged for as long as it lasts.
"""

from __future__ import annotations

import numpy as np

from seqsuite.shared.evaluation.metrics import precision_recall_f1


def robust_scale(residuals: np.ndarray) -> tuple[float, float]:
    """(median, 1.4826 * MAD) of `residuals`; the scale is floored to stay positive."""
    residuals = np.asarray(residuals, dtype=float)
    median = float(np.median(residuals))
    mad = float(np.median(np.abs(residuals - median))) * 1.4826
    return median, max(mad, 1e-12)


def detect(forecast_one, series: np.ndarray, start: int, window: int, calibration,
           threshold: float):
    """Flag points of `series[start:]` whose one-step residual is extreme.

    Args:
        forecast_one: maps raw windows (1, window, features) to the next target value.
        series: (time, features) raw values, target in column 0.
        start: first index to score (needs `start >= window`).
        window: input length of the forecaster.
        calibration: residuals on clean data that define "normal".
        threshold: robust z-score above which a point is flagged.

    Returns:
        (flags, scores, forecasts), each of length `len(series) - start`.
    """
    if start < window:
        raise ValueError(f"start must be >= window; received start={start}, window={window}")
    median, scale = robust_scale(calibration)
    clean = np.array(series, dtype="float32", copy=True)
    n = len(series) - start
    flags = np.zeros(n, dtype=bool)
    scores = np.zeros(n)
    forecasts = np.zeros(n)
    for i, t in enumerate(range(start, len(series))):
        forecasts[i] = float(np.ravel(forecast_one(clean[None, t - window : t]))[0])
        scores[i] = abs(series[t, 0] - forecasts[i] - median) / scale
        if scores[i] > threshold:
            flags[i] = True
            clean[t, 0] = forecasts[i]
    return flags, scores, forecasts


def inject_anomalies(values: np.ndarray, seed: int, n_spikes: int | None = None,
                     n_shifts: int | None = None,
                     spike_size=(6.0, 10.0), shift_size=(5.0, 8.0), shift_length=(5, 15)):
    """A copy of a 1-D series with spikes and temporary level shifts, and their labels.

    Sizes are multiples of the standard deviation of the series' first
    differences, so the same settings suit series of any scale. By default
    there is one spike per 50 points and one shift per 150 (at least one of
    each). Spikes and shifts never overlap and keep one clean step between them.

    Returns:
        (corrupted values, boolean labels), both shaped like `values`.
    """
    rng = np.random.default_rng(seed)
    n_spikes = max(1, len(values) // 50) if n_spikes is None else n_spikes
    n_shifts = max(1, len(values) // 150) if n_shifts is None else n_shifts
    values = np.asarray(values, dtype="float32")
    sigma = float(np.std(np.diff(values))) or 1.0
    corrupted = values.copy()
    labels = np.zeros(len(values), dtype=bool)
    busy = np.zeros(len(values) + 1, dtype=bool)
    events = ["shift"] * n_shifts + ["spike"] * n_spikes
    for kind in events:
        length = int(rng.integers(shift_length[0], shift_length[1] + 1)) if kind == "shift" else 1
        for _attempt in range(1000):
            start = int(rng.integers(1, len(values) - length))
            if not busy[max(start - 1, 0) : start + length + 1].any():
                break
        else:
            raise ValueError(f"series of length {len(values)} too short for {len(events)} anomalies")
        low, high = spike_size if kind == "spike" else shift_size
        corrupted[start : start + length] += rng.choice([-1, 1]) * rng.uniform(low, high) * sigma
        labels[start : start + length] = True
        busy[start : start + length] = True
    return corrupted, labels


def detection_scores(flags: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Point-wise precision, recall and F1 of boolean `flags` against `labels`
    (`metrics.precision_recall_f1` of the counts)."""
    flags, labels = np.asarray(flags, bool), np.asarray(labels, bool)
    return precision_recall_f1(np.sum(flags & labels), flags.sum(), labels.sum())
