"""Conformal calibration of forecast intervals on held-out forecasts.

A probabilistic forecaster's central intervals are only as well calibrated as
its training allowed; conformal prediction corrects them with the errors it
made on forecasts it was not trained on (the validation split), so that a P%
interval covers P% of future values whenever those are exchangeable with the
held-out ones. The correction is one number per horizon step k and central
interval (levels a/2 and 1 - a/2, coverage 1 - a), measured in the window's
scaled units (`probabilistic.location_scale`), so one correction serves
series of any level:

    conformal (conformalised quantile regression, Romano et al. 2019):
        E_i = max(q_lo,i - y_i, y_i - q_hi,i)       interval [q_lo - c_k, q_hi + c_k]
    split (split conformal around the point forecast, Lei et al. 2018):
        E_i = |y_i - yhat_i|                        interval [yhat - c_k, yhat + c_k]

    c_k = the ceil((n + 1)(1 - a))-th smallest of the n scores E_i at step k

`conformal` keeps the shape the model learned (wide where it is unsure) and
moves both ends by the same amount, inward when the model was too cautious;
`split` replaces the model's intervals by symmetric ones of fixed scaled width.
The finite-sample guarantee needs n >= ceil((1 - a) / a) scores (19 for a 95%
interval, 4 for 80%); with fewer, `conformal_offsets` raises
`CalibrationError` naming how many there are and how many it needs.

`conformal_offsets` (NumPy, at training) returns one additive offset per
(step, level), 0 for levels outside a central pair (the median);
`apply_conformal` (Keras ops, inside the served graph too) adds them. The
module imports Keras only in `apply_conformal`, so the metrics can use
`central_intervals` without it.
"""

from __future__ import annotations

import math

import numpy as np

METHODS = ("conformal", "split")


class CalibrationError(ValueError):
    """Too few held-out forecasts for the conformal quantile of some interval."""


def central_intervals(levels) -> list[tuple[int, int, int]]:
    """The central intervals a set of quantile levels holds: (coverage %, lower column,
    upper column) for each pair q, 1 - q with q < 0.5 (0.025 and 0.975 -> 95)."""
    levels = [float(q) for q in levels]
    pairs = []
    for j, q in enumerate(levels):
        if q < 0.5:
            for k, p in enumerate(levels):
                if abs(p - (1.0 - q)) < 1e-9:
                    pairs.append((int(round(100 * (1 - 2 * q))), j, k))
    return sorted(pairs)


def needed(miscoverage: float) -> int:
    """Fewest scores for which the conformal quantile at coverage 1 - a exists."""
    return math.ceil((1 - miscoverage) / miscoverage - 1e-9)


def shortfall(y, levels) -> str | None:
    """Why (n, H) held-out targets `y` are too few to calibrate the intervals of
    `levels` (the step and interval short of scores), or None when they suffice."""
    counts = np.isfinite(np.asarray(y, dtype="float64")).sum(axis=0)
    for percent, low, _ in central_intervals(levels):
        need = needed(2 * float(levels[low]))
        for k, n in enumerate(counts):
            if 0 < n < need:
                return (f"{n} held-out forecasts at horizon step {k + 1}; the {percent}% "
                        f"conformal interval needs at least {need}")
    return None


def conformal_offsets(y, point, quantiles, levels, method: str = "conformal") -> np.ndarray:
    """Offsets (H, Q) that calibrate `quantiles` at `levels` on held-out forecasts.

    Args:
        y: (n, H) held-out targets in scaled units, NaN where there is none (a
            step beyond a series' horizon is left out of that step's scores).
        point: (n, H) the point forecasts (used by `split`).
        quantiles: (n, H, Q) the forecast quantiles at `levels`.
        levels: the Q increasing quantile levels.
        method: "conformal" (CQR) or "split" (see the module docstring).

    A step without any target gets offsets 0 (no series is forecast that far).
    Raises `CalibrationError` when a step with targets has too few of them.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}. Received: {method}")
    y, point, quantiles = (np.asarray(a, dtype="float64") for a in (y, point, quantiles))
    problem = shortfall(y, levels)
    if problem:
        raise CalibrationError(problem)
    steps = y.shape[1]
    offsets = np.zeros((steps, len(levels)), dtype="float64")
    for _, low, high in central_intervals(levels):
        miscoverage = 2 * float(levels[low])
        for k in range(steps):
            finite = np.isfinite(y[:, k])
            n = int(finite.sum())
            if n == 0:
                continue
            target = y[finite, k]
            if method == "conformal":
                scores = np.maximum(quantiles[finite, k, low] - target,
                                    target - quantiles[finite, k, high])
            else:
                scores = np.abs(target - point[finite, k])
            rank = math.ceil((n + 1) * (1 - miscoverage) - 1e-9)
            c = np.sort(scores)[min(rank, n) - 1]
            # (relative to the quantiles, or with `split` to the point forecast)
            offsets[k, low], offsets[k, high] = -c, c
    return offsets


def apply_conformal(point, quantiles, offsets, levels, method: str = "conformal"):
    """Calibrated quantiles (batch, H, Q) from `conformal_offsets`' (H, Q) offsets.

    `conformal` adds the offsets to the quantiles; `split` adds them to the point
    forecast (batch, H) for the levels of a central pair and keeps the others.
    The result is sorted along the levels so that no interval crosses another.
    """
    from keras import ops

    quantiles = ops.convert_to_tensor(quantiles)
    point = ops.cast(ops.convert_to_tensor(point), quantiles.dtype)
    offsets = ops.cast(ops.convert_to_tensor(np.asarray(offsets)), quantiles.dtype)
    if method == "split":
        paired = np.zeros(len(levels), dtype=bool)
        for _, low, high in central_intervals(levels):
            paired[low] = paired[high] = True
        base = ops.where(ops.convert_to_tensor(paired), ops.expand_dims(point, -1), quantiles)
    else:
        base = quantiles
    return ops.sort(base + offsets, axis=-1)
