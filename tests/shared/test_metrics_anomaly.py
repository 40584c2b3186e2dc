import numpy as np
import pytest

from seqsuite.shared.evaluation.anomaly import (
    detect,
    detection_scores,
    inject_anomalies,
    robust_scale,
)
from seqsuite.shared.evaluation.metrics import (
    forecast_errors,
    mase_scale,
    naive_forecast,
    precision_recall_f1,
    seasonal_naive_forecast,
)


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
