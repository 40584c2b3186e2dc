import numpy as np
import pytest

from seqsuite.shared.evaluation.anomaly import (
    detect,
    detection_delays,
    detection_scores,
    dynamic_threshold,
    event_scores,
    events,
    false_alarms_per_hour,
    inject_anomalies,
    point_adjusted_scores,
    prune_anomalies,
    robust_scale,
    rolling_robust_z,
    sliding_windows,
    smooth_errors,
    telemanom_flags,
    ucr_rule,
)
from seqsuite.shared.evaluation.metrics import (
    forecast_errors,
    mase_scale,
    naive_forecast,
    precision_recall_f1,
    seasonal_naive_forecast,
)
from seqsuite.suites.anomaly.baselines import isolation_forest_scores, ranking_scores


def test_baselines_against_loops():
    series = np.arange(40, dtype=float) ** 1.5
    starts, horizon, season = np.array([20, 25]), 5, 3
    naive = naive_forecast(series, starts, horizon)
    snaive = seasonal_naive_forecast(series, starts, horizon, season)
    for i, t in enumerate(starts):
        for k in range(horizon):
            assert naive[i, k] == series[t - 1]
            # the latest value of the same phase that was observed before t
            lag = season
            while t + k - lag >= t:
                lag += season
            assert snaive[i, k] == series[t + k - lag]


def test_errors_and_mase():
    train = np.array([1.0, 3.0, 2.0, 5.0])
    assert mase_scale(train, 1) == pytest.approx((2 + 1 + 3) / 3)
    assert mase_scale(train, 2) == pytest.approx((1 + 2) / 2)
    e = forecast_errors([1.0, 2.0], [2.0, 4.0], scale=0.5)
    assert e == pytest.approx({"mae": 1.5, "rmse": np.sqrt(2.5), "mase": 3.0})


def test_precision_recall_f1():
    assert precision_recall_f1(2, 3, 4) == pytest.approx(
        {"precision": 2 / 3, "recall": 1 / 2, "f1": 4 / 7})
    # nothing flagged, or nothing to find: the ratio is 0, not a division error
    assert precision_recall_f1(0, 0, 5) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert precision_recall_f1(0, 2, 0) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_detection_scores():
    flags = np.array([1, 1, 0, 0, 1], bool)
    labels = np.array([1, 0, 1, 0, 1], bool)
    assert detection_scores(flags, labels) == pytest.approx(
        {"precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3})


def test_injection_is_seeded_and_labelled():
    values = np.sin(np.arange(300) / 5).astype("float32")
    a, labels = inject_anomalies(values, seed=1)
    b, labels_b = inject_anomalies(values, seed=1)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(labels, labels_b)
    np.testing.assert_array_equal(a != values, labels)
    assert 300 // 50 < labels.sum() < 300 // 2


def test_detector_finds_injected_anomalies_with_exact_forecaster():
    t = np.arange(400)
    values = (np.sin(t / 7) + 0.01 * np.random.default_rng(0).normal(size=400)).astype("float32")
    corrupted, labels = inject_anomalies(values[200:], seed=3)
    series = values.copy()
    series[200:] = corrupted
    _next = [200]

    def one(window):  # knows the clean signal, not the noise or the anomalies
        out = np.sin(_next[0] / 7)
        _next[0] += 1
        return out

    flags, scores, forecasts = detect(one, series[:, None], 200, 20,
                                      calibration=0.01 * np.random.default_rng(1).normal(size=200),
                                      threshold=5.0)
    assert detection_scores(flags, labels)["f1"] == 1.0
    assert robust_scale(np.array([0.0, 1.0, -1.0]))[1] == pytest.approx(1.4826)
    with pytest.raises(ValueError, match="start must be >= window"):
        detect(one, series[:, None], 5, 20, [0.0, 1.0], 5.0)


# A hand-worked case: labelled events at 2-4 and 10-11; flags at 3 (inside the first), 7-8
# (a false alarm) and 15 (another).
LABELS = np.array([0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0])
FLAGS = np.array([0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1])


def test_events_are_half_open_runs():
    assert events(LABELS) == [(2, 5), (10, 12)]
    assert events(FLAGS) == [(3, 4), (7, 9), (15, 16)]
    assert events([1, 1, 0, 1]) == [(0, 2), (3, 4)] and events([0, 0]) == []


def test_point_event_and_adjusted_scores_by_hand():
    # points: 1 of 4 flags right, 1 of 5 labelled points found
    assert detection_scores(FLAGS, LABELS) == pytest.approx(
        {"precision": 0.25, "recall": 0.2, "f1": 2 * 0.25 * 0.2 / 0.45})
    # events: 1 of 3 flagged runs overlaps a label, 1 of 2 labelled events found
    assert event_scores(FLAGS, LABELS) == pytest.approx(
        {"precision": 1 / 3, "recall": 0.5, "f1": 0.4})
    # adjusted: the whole first event counts as found: TP 3 of 6 flags, 3 of 5 labels
    assert point_adjusted_scores(FLAGS, LABELS) == pytest.approx(
        {"precision": 0.5, "recall": 0.6, "f1": 2 * 0.5 * 0.6 / 1.1})
    assert event_scores(np.zeros(16), LABELS) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_ranking_scores_against_counting_pairs():
    scores = np.array([0.1, 0.9, 0.4, 0.35, 0.8])
    labels = np.array([0, 1, 0, 1, 0])
    # AUC = P(positive above negative): pairs (0.9 > all three), (0.35 > 0.1 only) -> 4/6
    assert ranking_scores(scores, labels)["roc_auc"] == pytest.approx(4 / 6)
    # AP: ranks 0.9 (hit, P=1), 0.8, 0.4, 0.35 (hit, P=2/4): (1 + 0.5) / 2
    assert ranking_scores(scores, labels)["pr_auc"] == pytest.approx(0.75)
    assert np.isnan(ranking_scores(scores, np.zeros(5))["roc_auc"])
    with pytest.raises(ValueError, match="finite"):
        ranking_scores([0.1, np.nan, 0.3, 0.2, 0.5], labels)


def test_ucr_rule_delays_and_false_alarms_by_hand():
    labels = np.zeros(1000, int)
    labels[500:510] = 1
    scores = np.zeros(1000)
    # the rule's window is [400, 610): its edges by hand
    for top, inside in ((399, False), (400, True), (609, True), (610, False)):
        scores = np.zeros(1000)
        scores[top] = 1.0
        assert ucr_rule(scores, labels) is inside, top
    scores = np.zeros(1000)
    scores[605] = 1.0
    assert not ucr_rule(scores, labels, slack=50)
    long = np.zeros(1000, int)
    long[300:500] = 1  # slack None: max(100, 200 points) = 200 either side
    assert ucr_rule(np.eye(1000)[650], long, slack=None)
    assert not ucr_rule(np.eye(1000)[650], long)
    with pytest.raises(ValueError, match="one labelled anomaly; found 0"):
        ucr_rule(scores, np.zeros(1000))
    with pytest.raises(ValueError, match="found 2"):
        ucr_rule(scores, np.r_[labels[:700], np.ones(300, int)])
    scores[3] = np.nan  # a NaN must not decide the argmax
    with pytest.raises(ValueError, match="finite"):
        ucr_rule(scores, labels)
    with pytest.raises(ValueError, match="same length"):
        ucr_rule(scores[:10], labels)
    assert detection_delays(FLAGS, LABELS) == [1, None]
    # two false runs over 16 points of 225 s each: 4 hours
    assert false_alarms_per_hour(FLAGS, LABELS, 900.0) == pytest.approx(0.5)


def test_smoothing_is_pandas_ewm_of_absolute_errors():
    errors = np.array([1.0, -3.0, 2.0, 0.0])
    alpha = 2 / (3 + 1)
    # the adjusted EWMA: weights (1 - alpha)^k over the points so far, normalised
    expected = [sum((1 - alpha) ** (t - k) * abs(errors[k]) for k in range(t + 1))
                / sum((1 - alpha) ** (t - k) for k in range(t + 1)) for t in range(4)]
    np.testing.assert_allclose(smooth_errors(errors, span=3), expected)


def test_dynamic_threshold_by_hand():
    # 98 points at 1, two at 11: mean 1.2, std sqrt(0.02 * 100 * 0.98) = 1.4
    smoothed = np.ones(100)
    smoothed[[40, 41]] = 11.0
    mean, std = 1.2, np.sqrt(0.98 * 0.02 * 100)
    # every z from 2.5 to 6.5 puts epsilon between 1 and 11 and removes both points, one
    # run: ((1.2 - 1) / 1.2 + (std - 0) / std) / (2 + 1); of the tied z the largest wins
    assert dynamic_threshold(smoothed) == pytest.approx(mean + 6.5 * std)
    # the runs term: two at 20 and three lone points at 5 among ones (mean 1.25). z = 1
    # removes all five (every bit of spread: gain 1.2) but in 4 runs: 1.2 / (5 + 4²) = 0.057;
    # z = 3 removes the pair only (gain 0.90) in one run: 0.90 / (2 + 1) = 0.30, and wins
    scattered = np.ones(200)
    scattered[[50, 51]] = 20.0
    scattered[[100, 130, 160]] = 5.0
    assert dynamic_threshold(scattered, z_values=(1.0, 3.0)) == pytest.approx(
        scattered.mean() + 3.0 * scattered.std())
    flat = np.full(50, 3.0)
    assert dynamic_threshold(flat) == pytest.approx(3.0)  # nothing stands out
    # a z that removes nothing is never chosen: with none left, the largest z
    assert dynamic_threshold(np.arange(10.0), z_values=(4.0, 5.0)) == pytest.approx(
        4.5 + 5 * np.arange(10.0).std())


def test_pruning_keeps_runs_that_stand_clear():
    smoothed = np.array([1.0, 10.0, 1.0, 9.5, 1.0, 5.0, 1.0, 2.0])
    flags = smoothed > 1.5
    # peaks 10, 9.5, 5, 2 then the largest unflagged 1: decreases 5%, 47%, 60%, 50%
    pruned = prune_anomalies(smoothed, flags, minimum_decrease=0.13)
    np.testing.assert_array_equal(pruned, flags)  # the last decrease above 13% keeps all
    # with 55%: only the 5 -> 2 step (60%) clears it, so runs down to the 5 stay
    pruned = prune_anomalies(smoothed, flags, minimum_decrease=0.55)
    np.testing.assert_array_equal(pruned, [0, 1, 0, 1, 0, 1, 0, 0])
    # 70%: no step clears it, every run is unflagged
    assert not prune_anomalies(smoothed, flags, minimum_decrease=0.7).any()


def test_sliding_windows_are_time_major():
    values = np.arange(10.0).reshape(5, 2)  # rows (0,1), (2,3), ...
    windows = sliding_windows(values, 2)
    np.testing.assert_array_equal(windows[0], [0, 1, 2, 3])
    np.testing.assert_array_equal(windows[-1], [6, 7, 8, 9])
    assert sliding_windows(np.arange(4.0), 3).shape == (2, 3)
    with pytest.raises(ValueError, match="width"):
        sliding_windows(np.arange(4.0), 5)


def test_rolling_robust_z_against_a_loop():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(40, 2))
    values[30, 1] += 20
    scores = rolling_robust_z(values, 8)
    for t in range(8, 40):
        past = values[t - 8:t]
        median = np.median(past, axis=0)
        mad = np.median(np.abs(past - median), axis=0) * 1.4826
        assert scores[t] == pytest.approx((np.abs(values[t] - median) / mad).max())
    assert not scores[:8].any() and scores.argmax() == 30


def test_isolation_forest_learns_the_clean_stretch_and_scores_causally():
    from sklearn.ensemble import IsolationForest

    t = np.arange(600)
    values = np.sin(t / 5.0)[:, None] + np.random.default_rng(1).normal(0, 0.05, (600, 1))
    values[450:455] += 3.0
    scores = isolation_forest_scores(values[:300], values, width=10, seed=0)
    assert scores.shape == (600,) and 450 <= scores.argmax() < 465
    # the same as scikit-learn on the median/MAD-scaled windows
    clean = values[:300]
    centre = np.median(clean, axis=0)
    scale = np.median(np.abs(clean - centre), axis=0) * 1.4826
    forest = IsolationForest(random_state=0).fit(sliding_windows((clean - centre) / scale, 10))
    expected = -forest.score_samples(sliding_windows((values - centre) / scale, 10))
    np.testing.assert_allclose(scores[9:], expected)
    np.testing.assert_allclose(scores[:9], expected.min())  # before any window: no evidence


def test_telemanom_flags_a_burst_with_a_threshold_from_the_clean_stretch():
    rng = np.random.default_rng(2)
    clean = np.abs(rng.normal(0, 1, 500))
    scores = np.abs(rng.normal(0, 1, 500))
    scores[300:310] += 8.0
    flags, smoothed, epsilon = telemanom_flags(clean, scores, span=5)
    assert epsilon == pytest.approx(dynamic_threshold(smooth_errors(clean, 5)))
    runs = events(flags)
    assert runs and all(300 <= a and b <= 320 for a, b in runs), runs
    np.testing.assert_allclose(smoothed, smooth_errors(scores, 5))
