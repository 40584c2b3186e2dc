"""Evaluation metrics shared by the suites.

Detection and classification: `precision_recall_f1` on counts, the one
formula behind anomaly flags, per-class sentiment scores and entity scores.

Forecast errors in original units: MASE divides the MAE by the in-sample MAE
of the seasonal-naive forecast with period m on the training series (Hyndman
& Koehler 2006),
    MASE = mean|y - y_hat| / mean_t |y_t - y_{t-m}|,
so a MASE below a baseline's MASE is the same ranking as a lower MAE, but the
number is comparable across series.

Competition metrics over many series at once ((n, H) arrays, NaN steps left
out): `smape`, `mase`, `owa`, `msis`, `coverage`, `quantile_loss`,
`weighted_quantile_loss`, all gathered by `forecast_scores`; and M4's Naive2
benchmark (`naive2_forecast`, with `seasonality_test` and `seasonal_indices`).
"""

from __future__ import annotations

import numpy as np

from seqsuite.shared.layers.conformal import central_intervals


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
    return {"precision": precision, "recall": recall, "f1": f1_score(precision, recall)}


def f1_score(precision: float, recall: float) -> float:
    """2 precision recall / (precision + recall), 0 when both are 0."""
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def classification_scores(truth, predicted, labels) -> tuple[dict, dict]:
    """({accuracy, macro_f1, errors}, {label: {precision, recall, f1, support}}) of class ids.

    Macro F1 averages the classes that occur in the truth or the predictions, as
    scikit-learn's `f1_score(average="macro")` does: a class absent from both has no F1.
    """
    truth, predicted = np.asarray(truth), np.asarray(predicted)
    per_class, occurring = {}, []
    for index, label in enumerate(labels):
        is_true, is_predicted = truth == index, predicted == index
        per_class[label] = {**precision_recall_f1(np.sum(is_true & is_predicted),
                                                  np.sum(is_predicted), np.sum(is_true)),
                            "support": int(np.sum(is_true))}
        if is_true.any() or is_predicted.any():
            occurring.append(per_class[label]["f1"])
    summary = {"accuracy": float(np.mean(truth == predicted)),
               "macro_f1": float(np.mean(occurring)) if occurring else 0.0,
               "errors": int(np.sum(truth != predicted))}
    return summary, per_class


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


# ---------------------------------------------------------------------------
# Forecast accuracy over many series (the M3/M4 competition metrics).
#
# Every function below takes arrays of shape (n, H): one row per series (or per
# forecast origin), one column per step ahead. A NaN target marks a step that
# does not exist (a row whose horizon is shorter than H, or a missing value)
# and is left out of every average; so is a NaN forecast.
# ---------------------------------------------------------------------------


def _points(*arrays) -> tuple[list[np.ndarray], np.ndarray]:
    """The arrays as float64 of one shape, and the mask of steps finite in all of them."""
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    shape = arrays[0].shape
    for a in arrays[1:]:
        if a.shape != shape:
            raise ValueError(f"forecast arrays must share one shape; received {shape} and {a.shape}")
    finite = np.ones(shape, dtype=bool)
    for a in arrays:
        finite &= np.isfinite(a)
    return arrays, finite


def _mean(values: np.ndarray, mask: np.ndarray) -> float:
    count = int(mask.sum())
    return float(np.where(mask, values, 0.0).sum() / count) if count else float("nan")


def _row_means(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of each row over its masked steps; NaN for a row with none."""
    values, mask = np.atleast_2d(values), np.atleast_2d(mask)
    count = mask.sum(axis=-1)
    total = np.where(mask, values, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _scaled_mean(per_row: np.ndarray, scale) -> float:
    """mean_i per_row_i / scale_i over the rows with a step and a positive, finite scale.

    A series whose training part is constant has scale 0: its scaled error is
    undefined (infinite), and it is left out of the mean rather than making
    the whole figure infinite.
    """
    scale = np.broadcast_to(np.asarray(scale, dtype=np.float64), per_row.shape)
    usable = np.isfinite(per_row) & np.isfinite(scale) & (scale > 0)
    if not usable.any():
        return float("nan")
    return float(np.mean(per_row[usable] / scale[usable]))


def mase_scales(histories, season) -> np.ndarray:
    """`mase_scale` of every series: (n,) from a list of training parts and a
    season (one int, or one per series)."""
    seasons = np.broadcast_to(np.asarray(season, dtype=int), (len(histories),))
    return np.array([mase_scale(h, int(m)) for h, m in zip(histories, seasons)], dtype=np.float64)


def smape(y, y_hat) -> float:
    """Symmetric MAPE in percent, as in M3 and M4, over all finite steps:

        sMAPE = mean_{i,k} 200 |y_ik - y_hat_ik| / (|y_ik| + |y_hat_ik|).

    The mean pools every step of every row, which is how the published M3
    figures are averaged (Theta 13.01 over the 37,014 forecast steps of the
    3003 series). A step where truth and forecast are both 0 is a perfect
    forecast and counts 0 (the formula is 0/0 there).
    """
    (y, y_hat), mask = _points(y, y_hat)
    denominator = np.abs(y) + np.abs(y_hat)
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(denominator > 0, 200.0 * np.abs(y - y_hat) / denominator, 0.0)
    return _mean(terms, mask)


def mase(y, y_hat, scale) -> float:
    """Mean absolute scaled error (Hyndman & Koehler 2006) over rows:

        MASE = mean_i [ mean_k |y_ik - y_hat_ik| / s_i ],

    with s_i (shape (n,)) the in-sample MAE of the seasonal-naive forecast on
    row i's own training part (`mase_scale` / `mase_scales`). Rows with no
    finite step, or with s_i = 0 (a constant training part), are left out.
    """
    (y, y_hat), mask = _points(y, y_hat)
    return _scaled_mean(_row_means(np.abs(y - y_hat), mask), scale)


def owa(smape, mase, smape_naive2, mase_naive2) -> float:
    """Overall weighted average of M4: the mean of the two relative errors,

        OWA = (sMAPE / sMAPE_Naive2 + MASE / MASE_Naive2) / 2,

    so Naive2 scores 1 and lower is better."""
    return float(0.5 * (smape / smape_naive2 + mase / mase_naive2))


def coverage(y, lower, upper) -> float:
    """Share of finite steps inside the interval: mean 1{lower <= y <= upper}."""
    (y, lower, upper), mask = _points(y, lower, upper)
    return _mean(((y >= lower) & (y <= upper)).astype(np.float64), mask)


def msis(y, lower, upper, scale, alpha: float = 0.05) -> float:
    """Mean scaled interval score of M4 for central (1 - alpha) intervals [L, U]:

        IS_ik = (U - L) + (2/alpha) (L - y) 1{y < L} + (2/alpha) (y - U) 1{y > U},
        MSIS  = mean_i [ mean_k IS_ik / s_i ],

    with s_i the seasonal-naive scale of `mase` (rows with s_i = 0 or no
    finite step left out). Default alpha=0.05: the 95% interval of M4.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1); received alpha={alpha}")
    (y, lower, upper), mask = _points(y, lower, upper)
    score = ((upper - lower) + (2.0 / alpha) * np.maximum(lower - y, 0.0)
             + (2.0 / alpha) * np.maximum(y - upper, 0.0))
    return _scaled_mean(_row_means(score, mask), scale)


def _pinball(y, quantiles, levels):
    """(n, H, Q) pinball losses rho_q(y - y_hat_q) = max(q (y - y_hat), (q - 1)(y - y_hat)),
    the mask of finite steps, and the truth broadcast to (n, H, 1)."""
    levels = np.asarray(levels, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)[..., None]  # (n, H, 1)
    quantiles = np.asarray(quantiles, dtype=np.float64)
    if quantiles.shape != y.shape[:-1] + levels.shape:
        raise ValueError(f"quantiles must have shape {y.shape[:-1] + levels.shape} (y's shape "
                         f"plus one column per level); received {quantiles.shape}")
    if np.any((levels <= 0) | (levels >= 1)):
        raise ValueError(f"quantile levels must lie in (0, 1); received {levels.tolist()}")
    diff = y - quantiles
    loss = np.maximum(levels * diff, (levels - 1.0) * diff)
    mask = np.isfinite(y) & np.isfinite(quantiles)
    return loss, mask, y


def quantile_loss(y, quantiles, levels) -> float:
    """Mean pinball loss in the target's units, averaged over levels and finite steps:

        QL = mean_{q, i, k} rho_q(y_ik - y_hat_ik^(q)),
        rho_q(u) = max(q u, (q - 1) u).

    `quantiles` has shape y.shape + (Q,), column j the forecast quantile at
    `levels[j]`. Over many evenly spread levels, 2 QL approximates the CRPS.
    """
    loss, mask, _ = _pinball(y, quantiles, levels)
    return _mean(loss, mask)


def weighted_quantile_loss(y, quantiles, levels) -> float:
    """Scale-free quantile loss, GluonTS's `mean_wQuantileLoss`:

        wQL_q = 2 sum_{i,k} rho_q(y_ik - y_hat_ik^(q)) / sum_{i,k} |y_ik|,
        wQL   = mean_q wQL_q,

    sums over the finite steps of all rows, so large series weigh more. Over
    evenly spread levels it approximates the CRPS divided by mean |y| (the
    CRPS figure that GluonTS and the deep-forecasting papers report).
    """
    loss, mask, y = _pinball(y, quantiles, levels)
    absolute = np.where(mask, np.abs(np.broadcast_to(y, mask.shape)), 0.0)
    per_level = 2.0 * np.where(mask, loss, 0.0).sum(axis=(0, 1)) / absolute.sum(axis=(0, 1))
    return float(np.mean(per_level))


def seasonality_test(train, season: int) -> bool:
    """The M4 benchmarks' 90% autocorrelation test for seasonality at lag m:

        seasonal  <=>  |r_m| > 1.645 sqrt((1 + 2 sum_{k=1}^{m-1} r_k^2) / T),

    r_k the sample autocorrelation of the training part (length T). Series
    with m <= 1 or T < 3m are never seasonal (as in M4's `SeasonalityTest`).
    """
    x = np.asarray(train, dtype=np.float64)
    m, t = int(season), len(x)
    if m <= 1 or t < 3 * m:
        return False
    centred = x - x.mean()
    denominator = float(np.dot(centred, centred))
    if denominator == 0:
        return False
    r = np.array([np.dot(centred[: t - k], centred[k:]) / denominator for k in range(1, m + 1)])
    limit = 1.645 * np.sqrt((1.0 + 2.0 * np.sum(r[: m - 1] ** 2)) / t)
    return bool(abs(r[m - 1]) > limit)


def seasonal_indices(train, season: int) -> np.ndarray:
    """Classical multiplicative decomposition (R's `decompose`): (T,) seasonal index of each step.

    Trend: the centred moving average of order m (a 2 x m average when m is
    even); ratio y_t / trend_t; the index of phase j = t mod m is the mean
    ratio over the steps of that phase, normalised so the m indices average 1.
    """
    x = np.asarray(train, dtype=np.float64)
    m, t = int(season), len(x)
    weights = np.r_[0.5, np.ones(m - 1), 0.5] / m if m % 2 == 0 else np.ones(m) / m
    half = len(weights) // 2
    trend = np.full(t, np.nan)
    trend[half : t - half] = np.convolve(x, weights, mode="valid")
    ratio = x / trend
    figure = np.array([np.nanmean(ratio[j::m]) for j in range(m)])
    figure /= figure.mean()
    return figure[np.arange(t) % m]


def naive2_forecast(train, horizon: int, season: int) -> np.ndarray:
    """Naive2, the M4 benchmark every OWA is relative to: (horizon,) forecast.

    When `seasonality_test` finds seasonality at lag m, the training part is
    divided by its multiplicative seasonal indices (`seasonal_indices`); the
    last adjusted value is repeated and multiplied back by the indices of the
    matching phases:

        y_hat_{T+k} = (y_T / S_T) * S_{T - m + ((k - 1) mod m) + 1},  k = 1..H.

    Otherwise it is the naive forecast y_hat_{T+k} = y_T. A series with a
    value <= 0 is not adjusted (a multiplicative index has no meaning there;
    the M4 data, all positive, never reach this case).
    """
    x = np.asarray(train, dtype=np.float64)
    m = int(season)
    if m > 1 and np.all(x > 0) and seasonality_test(x, m):
        index = seasonal_indices(x, m)
        last_phase = index[len(x) - m :]  # indices of the last m steps, in phase order
        return x[-1] / index[-1] * np.resize(last_phase, horizon)
    return np.full(horizon, x[-1])


def forecast_scores(y, point, scale, quantiles=None, levels=None, naive2=None) -> dict[str, float]:
    """All forecast metrics of (n, H) forecasts as one flat dict.

    Always: `mae`, `rmse` (pooled over finite steps), `smape` (percent),
    `mase` (see `mase`, scale of shape (n,)). With `quantiles` of shape
    (n, H, Q) at `levels`: `coverage_P` and `msis_P` for every central P%
    interval the levels contain (`central_intervals`), `quantile_loss` and
    `wql` (`weighted_quantile_loss`). With `naive2` (n, H) point forecasts:
    `owa` relative to them.
    """
    (y, point), mask = _points(y, point)
    err = y - point
    scores = {
        "mae": _mean(np.abs(err), mask),
        "rmse": float(np.sqrt(_mean(err**2, mask))),
        "smape": smape(y, point),
        "mase": mase(y, point, scale),
    }
    if quantiles is not None:
        if levels is None:
            raise ValueError("quantiles need their levels (one per last-axis column)")
        quantiles = np.asarray(quantiles, dtype=np.float64)
        for nominal, low, high in central_intervals(levels):
            lower, upper = quantiles[..., low], quantiles[..., high]
            scores[f"coverage_{nominal}"] = coverage(y, lower, upper)
            scores[f"msis_{nominal}"] = msis(y, lower, upper, scale, alpha=1 - nominal / 100)
        scores["quantile_loss"] = quantile_loss(y, quantiles, levels)
        scores["wql"] = weighted_quantile_loss(y, quantiles, levels)
    if naive2 is not None:
        scores["owa"] = owa(scores["smape"], scores["mase"], smape(y, naive2),
                            mase(y, naive2, scale))
    return scores
