"""Forecast-residual anomaly detection, a generator of labelled anomalies, the scores the
field reports (point-wise, event-wise, point-adjusted, the UCR archive's rule, detection
delay, false alarms per hour), Telemanom's dynamic threshold and a rolling robust z-score,
in NumPy alone (the core's packages); what needs scikit-learn (ROC and PR curves, the
Isolation Forest) is the anomaly suite's (`suites/anomaly/baselines.py`).

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

from seqsuite.shared.evaluation.metrics import f1_score, precision_recall_f1


def robust_scale(residuals: np.ndarray, axis=None):
    """(median, 1.4826 * MAD) of `residuals`, over all of them (floats) or along `axis`
    (arrays); the scale is floored at 1e-12 to stay positive."""
    residuals = np.asarray(residuals, dtype=float)
    median = np.median(residuals, axis=axis, keepdims=axis is not None)
    mad = np.maximum(np.median(np.abs(residuals - median), axis=axis) * 1.4826, 1e-12)
    if axis is None:
        return float(median), float(mad)
    return np.squeeze(median, axis), mad


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


def as_pair(first, labels, dtype=bool) -> tuple[np.ndarray, np.ndarray]:
    """(`first` as `dtype`, `labels` as bool): one value per point each, or a ValueError;
    scores (`dtype=float`) must be finite, so a NaN cannot win an argmax or a ranking."""
    first, labels = np.array(first, dtype), np.asarray(labels, bool)
    if first.shape != labels.shape or first.ndim != 1:
        raise ValueError(f"expected one value per point for both, of the same length; "
                         f"received shapes {first.shape} and {labels.shape}")
    if dtype is float and not np.isfinite(first).all():
        raise ValueError("scores must be finite numbers; NaN or infinity found")
    return first, labels


def as_channels(values) -> np.ndarray:
    """`values` as float (rows, channels): a 1-D series becomes one channel."""
    values = np.asarray(values, float)
    return values[:, None] if values.ndim == 1 else values


def detection_scores(flags: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Point-wise precision, recall and F1 of boolean `flags` against `labels`
    (`metrics.precision_recall_f1` of the counts)."""
    flags, labels = as_pair(flags, labels)
    return precision_recall_f1(np.sum(flags & labels), flags.sum(), labels.sum())


# Scores as the field reports them. Labels and flags are 0/1 (or boolean) per point;
# an event is a maximal run of consecutive labelled (or flagged) points.

def events(labels) -> list[tuple[int, int]]:
    """The maximal runs of true values in `labels`, as half-open (start, end) ranges."""
    labels = np.asarray(labels, bool).astype(np.int8)
    edges = np.diff(np.concatenate([[0], labels, [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def event_scores(flags, labels) -> dict[str, float]:
    """Event-wise precision, recall and F1, by existence (an event counts as found when any
    point of it is flagged; not the overlap-weighted scores of Tatbul et al. 2018):

        recall = labelled events with at least one flagged point / labelled events,
        precision = flagged events (runs of flags) overlapping a labelled event / flagged events.

    A long event found by one flag counts once, as does one long false alarm."""
    flags, labels = as_pair(flags, labels)
    labelled, flagged = events(labels), events(flags)
    found = sum(bool(flags[a:b].any()) for a, b in labelled)
    right = sum(bool(labels[a:b].any()) for a, b in flagged)
    precision = right / len(flagged) if flagged else 0.0
    recall = found / len(labelled) if labelled else 0.0
    return {"precision": precision, "recall": recall, "f1": f1_score(precision, recall)}


def point_adjusted_scores(flags, labels) -> dict[str, float]:
    """Point-wise scores after "point adjustment" (Xu et al. 2018): every point of a labelled
    event counts as flagged once any point of it is. Reported only beside the unadjusted
    scores: one lucky flag in a long event earns the whole event, so a detector flagging
    at random scores far above its point-wise F1 (Kim et al. 2022)."""
    flags, labels = as_pair(flags, labels)
    for a, b in events(labels):
        if flags[a:b].any():
            flags[a:b] = True
    return detection_scores(flags, labels)


def ucr_rule(scores, labels, slack: int | None = 100) -> bool:
    """The UCR anomaly archive's rule (Wu and Keogh 2021) for a recording with one labelled
    anomaly [start, end): the highest score lies in [start - slack, end + slack). `slack`
    is 100 points as the archive's KDD Cup 2021 scoring states it; `None` takes
    max(100, end - start), the variant later papers use for long anomalies."""
    scores, labels = as_pair(scores, labels, float)
    ranges = events(labels)
    if len(ranges) != 1:
        raise ValueError(f"the UCR rule scores a recording with one labelled anomaly; "
                         f"found {len(ranges)}")
    start, end = ranges[0]
    slack = max(100, end - start) if slack is None else slack
    top = int(np.argmax(scores))
    return start - slack <= top < end + slack


def detection_delays(flags, labels) -> list[int | None]:
    """For each labelled event, the points from its onset to its first flag inside it
    (0: flagged at onset), or None when no point of it is flagged."""
    flags, labels = as_pair(flags, labels)
    delays = []
    for a, b in events(labels):
        hit = np.flatnonzero(flags[a:b])
        delays.append(int(hit[0]) if len(hit) else None)
    return delays


def false_alarms_per_hour(flags, labels, seconds_per_point: float) -> float:
    """Flagged events that overlap no labelled event, per hour of recording (a monitor's
    alarm burden: a run of consecutive flags rings once)."""
    flags, labels = as_pair(flags, labels)
    false = sum(not labels[a:b].any() for a, b in events(flags))
    hours = len(flags) * seconds_per_point / 3600.0
    if hours <= 0:
        raise ValueError("false_alarms_per_hour needs a recording and seconds_per_point > 0")
    return false / hours


# The non-parametric dynamic threshold of Hundman et al. (2018), "Detecting spacecraft
# anomalies using LSTMs and nonparametric dynamic thresholding" (Telemanom), sections 3.2
# and 3.3, kept to its objective and pruning. Left out of the reference implementation
# (khundman/telemanom, errors.py): the buffer of 100 points widened around each exceedance
# before counting, single points not counted as runs, the limits of at most 5 runs and
# under half the points per z, the search in sliding windows of the scored errors, and the
# same search on the errors mirrored about their mean (for dips). Here the threshold is
# chosen once, on the clean stretch, and applied to the recording.

def smooth_errors(errors, span: int) -> np.ndarray:
    """Exponentially weighted moving average of |errors|, as Telemanom smooths its
    prediction errors (pandas' `ewm(span=span).mean()`, adjusted form):

        s_t = Σ_{k<=t} (1 - α)^(t-k) |e_k| / Σ_{k<=t} (1 - α)^(t-k),   α = 2 / (span + 1).

    A lone large residual is damped, a sustained one builds up. The reference's
    configuration gives span 105 (5% of its 2,100-point windows)."""
    errors = np.abs(np.asarray(errors, float))
    if span < 1:
        raise ValueError(f"span must be at least 1; received {span}")
    keep = 1.0 - 2.0 / (span + 1.0)
    smoothed = np.empty_like(errors)
    total = weight = 0.0
    for t, value in enumerate(errors):  # one pass; the weights' recurrence, not a window
        total, weight = value + keep * total, 1.0 + keep * weight
        smoothed[t] = total / weight
    return smoothed


# Telemanom's candidate z values: 2.5 to 11.5 in steps of 0.5 (its np.arange(2.5, 12, 0.5)).
Z_VALUES = tuple(float(z) for z in np.arange(2.5, 12.0, 0.5))


def dynamic_threshold(smoothed, z_values=Z_VALUES) -> float:
    """Telemanom's threshold on smoothed errors e_s, with no labels:

        ε = μ(e_s) + z σ(e_s),  z from `z_values`, the one maximising
        (Δμ/μ(e_s) + Δσ/σ(e_s)) / (|e_a| + |E_seq|²),

    where Δμ and Δσ are how much the mean and standard deviation of e_s fall when the
    points above ε (e_a) are removed and E_seq is the set of runs of such points: the
    threshold whose removal explains most of the spread with the fewest points and runs.
    Among equal scores the largest z wins (as in the reference implementation: the
    fewest flags for the same explanation). A flat error (σ = 0) or a z that removes
    nothing or everything scores 0; with no z scoring above 0 the largest z is kept
    (nothing stands out, flag as little as possible)."""
    smoothed = np.asarray(smoothed, float)
    mean, std = smoothed.mean(), smoothed.std()
    best, best_score = mean + max(z_values) * std, 0.0
    if std == 0:
        return float(best)
    for z in z_values:
        epsilon = mean + z * std
        above = smoothed > epsilon
        if not above.any() or above.all():
            continue
        below = smoothed[~above]
        score = ((mean - below.mean()) / mean + (std - below.std()) / std) / (
            above.sum() + len(events(above)) ** 2)
        if score > 0 and score >= best_score:
            best, best_score = epsilon, score
    return float(best)


def prune_anomalies(smoothed, flags, minimum_decrease: float = 0.13) -> np.ndarray:
    """Telemanom's pruning: the flagged runs' maxima, sorted in descending order with the
    largest unflagged error appended, give the steps d_i = (m_i - m_{i+1}) / m_i. The runs
    down to the last step of at least `minimum_decrease` (default 0.13, the reference's p)
    stay flagged, those below it are unflagged; with no such step none stays. A run
    stays when anything below it falls clearly away, even if runs near it do not."""
    smoothed, flags = np.asarray(smoothed, float), np.array(flags, bool)
    runs = events(flags)
    if not runs:
        return flags
    peaks = np.array([smoothed[a:b].max() for a, b in runs])
    order = np.argsort(-peaks)
    rest = smoothed[~flags].max() if (~flags).any() else 0.0
    ladder = np.append(peaks[order], rest)
    keep = 0
    for i in range(len(peaks)):
        if ladder[i] > 0 and (ladder[i] - ladder[i + 1]) / ladder[i] >= minimum_decrease:
            keep = i + 1  # runs down to here stand clear of the next
    for i in order[keep:]:
        a, b = runs[i]
        flags[a:b] = False
    return flags


# Reference detectors, scored point by point (higher: more anomalous), causally: a point's
# score comes from the window that ends at it, so it is available when the point arrives.

def sliding_windows(values, width: int) -> np.ndarray:
    """(rows - width + 1, width * channels): each window of `width` rows of `values`
    (rows, channels), flattened time-major."""
    values = as_channels(values)
    if not 1 <= width <= len(values):
        raise ValueError(f"width must be between 1 and the {len(values)} rows; received {width}")
    windows = np.lib.stride_tricks.sliding_window_view(values, width, axis=0)
    return windows.transpose(0, 2, 1).reshape(len(windows), -1)


def per_point(window_scores, width: int) -> np.ndarray:
    """Window scores (one per window end) as one score per point; the first `width - 1`
    points, before any full window ends, get the lowest window score (no evidence yet)."""
    window_scores = np.asarray(window_scores, float)
    return np.concatenate([np.full(width - 1, window_scores.min()), window_scores])


def rolling_robust_z(values, width: int) -> np.ndarray:
    """Per point, the largest over channels of |x_t - median| / (1.4826 MAD), the median
    and MAD over the `width` points before t (the window ending just before it, so a
    spike does not hide in its own statistics); the first `width` points score 0."""
    values = as_channels(values)
    if not 1 <= width < len(values):
        raise ValueError(f"width must be between 1 and {len(values) - 1}; received {width}")
    scores = np.zeros(len(values))
    windows = np.lib.stride_tricks.sliding_window_view(values[:-1], width, axis=0)
    median, scale = robust_scale(windows, axis=-1)  # (rows - width, channels) each
    scores[width:] = (np.abs(values[width:] - median) / scale).max(axis=1)
    return scores


def telemanom_flags(clean_scores, scores, span: int, minimum_decrease: float = 0.13):
    """Flags for `scores` by Telemanom's rule with the threshold chosen on the clean
    stretch's scores, never on labels: ε = `dynamic_threshold` of the smoothed clean
    scores (`smooth_errors` with `span`), applied to the smoothed `scores`, then
    `prune_anomalies`. Returns (flags, smoothed scores, ε)."""
    epsilon = dynamic_threshold(smooth_errors(clean_scores, span))
    smoothed = smooth_errors(scores, span)
    return prune_anomalies(smoothed, smoothed > epsilon, minimum_decrease), smoothed, epsilon
