"""Forecast metrics of the competitions (sMAPE, MASE, OWA, MSIS, coverage, quantile
losses, Naive2) against values computed by hand."""

import numpy as np
import pytest

from seqsuite.shared.evaluation.metrics import (
    central_intervals,
    coverage,
    forecast_scores,
    mase,
    mase_scales,
    msis,
    naive2_forecast,
    owa,
    quantile_loss,
    seasonal_indices,
    seasonality_test,
    smape,
    weighted_quantile_loss,
)

NAN = np.nan


def test_smape_by_hand_with_nan_and_zeros():
    y = np.array([[100.0, 200.0, NAN], [0.0, 50.0, 10.0]])
    y_hat = np.array([[110.0, 180.0, 5.0], [0.0, NAN, 30.0]])
    # finite steps: 200*10/210, 200*20/380, 0 (both zero), 200*20/40
    expected = (2000 / 210 + 4000 / 380 + 0.0 + 100.0) / 4
    assert smape(y, y_hat) == pytest.approx(expected)
    assert np.isnan(smape([[NAN]], [[1.0]]))


def test_mase_per_row_then_mean():
    y = np.array([[1.0, 2.0, 3.0], [10.0, NAN, NAN]])
    y_hat = np.array([[2.0, 2.0, 1.0], [14.0, 0.0, 0.0]])
    scale = np.array([0.5, 2.0])
    # row 0: MAE (1+0+2)/3 = 1 -> 2; row 1: MAE 4 over its single step -> 2
    assert mase(y, y_hat, scale) == pytest.approx(2.0)
    # a constant training part (scale 0) leaves its row out instead of making it infinite
    assert mase(y, y_hat, np.array([0.5, 0.0])) == pytest.approx(2.0)
    histories = [np.array([1.0, 3.0, 2.0, 5.0]), np.array([1.0, 2.0, 4.0])]
    assert mase_scales(histories, [2, 1]) == pytest.approx([1.5, 1.5])


def test_owa():
    assert owa(10.0, 1.0, 20.0, 0.5) == pytest.approx(0.5 * (0.5 + 2.0))


def test_coverage_and_msis_by_hand():
    y = np.array([[1.0, 5.0, 9.0, NAN]])
    lower = np.array([[0.0, 0.0, 0.0, 0.0]])
    upper = np.array([[2.0, 4.0, 10.0, 1.0]])
    assert coverage(y, lower, upper) == pytest.approx(2 / 3)
    alpha = 0.2  # 2/alpha = 10
    scores = [2.0, 4.0 + 10 * (5.0 - 4.0), 10.0]
    assert msis(y, lower, upper, [2.0], alpha=alpha) == pytest.approx(np.mean(scores) / 2.0)
    with pytest.raises(ValueError, match="alpha"):
        msis(y, lower, upper, [1.0], alpha=1.5)


def test_quantile_losses_by_hand():
    y = np.array([[10.0, NAN], [4.0, 2.0]])
    levels = [0.1, 0.9]
    q = np.array([[[8.0, 12.0], [0.0, 0.0]], [[5.0, 6.0], [1.0, 3.0]]])
    # rho_q(u), u = y - q:   step (0,0): u=2 -> 0.2 ; u=-2 -> 0.2
    #                        step (1,0): u=-1 -> 0.9 ; u=-2 -> 0.2
    #                        step (1,1): u=1 -> 0.1 ; u=-1 -> 0.1
    losses = {0.1: [0.2, 0.9, 0.1], 0.9: [0.2, 0.2, 0.1]}
    assert quantile_loss(y, q, levels) == pytest.approx(np.mean(losses[0.1] + losses[0.9]))
    total_abs = 10 + 4 + 2
    expected = np.mean([2 * sum(losses[lv]) / total_abs for lv in levels])
    assert weighted_quantile_loss(y, q, levels) == pytest.approx(expected)
    with pytest.raises(ValueError, match="shape"):
        quantile_loss(y, q[..., :1], levels)


def test_seasonality_test_by_hand():
    # r_k computed by hand with the usual biased autocorrelation
    x = np.array([3.0, 5.2, 3.9, 9.3, 3.1, 5.0, 4.2, 8.8, 3.0, 5.1, 4.1, 9.0, 2.9, 5.2, 4.0, 9.1])
    c = x - x.mean()
    r = [np.sum(c[: len(x) - k] * c[k:]) / np.sum(c * c) for k in (1, 2, 3, 4)]
    limit = 1.645 * np.sqrt((1 + 2 * (r[0] ** 2 + r[1] ** 2 + r[2] ** 2)) / len(x))
    assert seasonality_test(x, 4) == (abs(r[3]) > limit)
    assert seasonality_test(x, 4)  # a clear period-4 pattern
    assert not seasonality_test(np.arange(1.0, 13.0), 1)  # m = 1: never seasonal
    assert not seasonality_test(x[:11], 4)  # fewer than 3 seasons
    rng = np.random.default_rng(0)
    assert not seasonality_test(rng.normal(10, 1, 48), 12)


def test_seasonal_indices_match_statsmodels():
    from statsmodels.tsa.seasonal import seasonal_decompose

    rng = np.random.default_rng(1)
    for m, t in ((4, 22), (12, 51), (3, 17)):
        x = 50 + np.arange(t) + 10 * np.sin(2 * np.pi * np.arange(t) / m) + rng.normal(0, 1, t)
        reference = seasonal_decompose(x, model="multiplicative", period=m).seasonal
        np.testing.assert_allclose(seasonal_indices(x, m), reference, rtol=1e-10)


def test_naive2():
    # a strictly repeating pattern: the seasonally adjusted series is flat
    pattern = np.array([2.0, 4.0, 6.0, 8.0])
    x = np.tile(pattern, 4)
    np.testing.assert_allclose(naive2_forecast(x, 6, 4), np.resize(pattern, 6))
    # not seasonal (or m = 1): the naive forecast
    np.testing.assert_allclose(naive2_forecast(np.arange(1.0, 9.0), 3, 1), [8.0, 8.0, 8.0])
    np.testing.assert_allclose(naive2_forecast(x[:11], 3, 4), [6.0, 6.0, 6.0])
    # by hand: indices S, adjusted last value y_T / S_T, re-seasonalised by phase
    x = np.array([10.0, 20.0, 30.0, 12.0, 22.0, 33.0, 13.0, 25.0, 36.0, 15.0, 27.0, 39.0])
    s = seasonal_indices(x, 3)
    assert seasonality_test(x, 3)
    expected = x[-1] / s[-1] * np.array([s[-3], s[-2], s[-1], s[-3]])
    np.testing.assert_allclose(naive2_forecast(x, 4, 3), expected)


def test_central_intervals_and_forecast_scores():
    levels = [0.025, 0.1, 0.5, 0.9, 0.975]
    assert central_intervals(levels) == [(80, 1, 3), (95, 0, 4)]
    y = np.array([[1.0, 2.0, NAN], [3.0, 4.0, 5.0]])
    point = np.array([[1.5, 2.0, 9.0], [3.0, 3.0, 6.0]])
    offsets = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    quantiles = point[..., None] + offsets
    scale = np.array([1.0, 2.0])
    naive2 = np.array([[1.0, 1.0, 1.0], [3.0, 3.0, 3.0]])
    scores = forecast_scores(y, point, scale, quantiles, levels, naive2=naive2)
    assert set(scores) == {"mae", "rmse", "smape", "mase", "coverage_80", "msis_80",
                           "coverage_95", "msis_95", "quantile_loss", "wql", "owa"}
    errors = np.array([0.5, 0.0, 0.0, 1.0, 1.0])
    assert scores["mae"] == pytest.approx(errors.mean())
    assert scores["rmse"] == pytest.approx(np.sqrt(np.mean(errors**2)))
    assert scores["coverage_80"] == pytest.approx(1.0)
    assert scores["msis_95"] == pytest.approx(msis(y, point - 2, point + 2, scale, alpha=0.05))
    expected_owa = owa(smape(y, point), mase(y, point, scale),
                       smape(y, naive2), mase(y, naive2, scale))
    assert scores["owa"] == pytest.approx(expected_owa)
    assert set(forecast_scores(y, point, scale)) == {"mae", "rmse", "smape", "mase"}
