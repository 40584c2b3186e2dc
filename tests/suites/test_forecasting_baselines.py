"""Statistical baselines: shapes, per-row horizons and seasons, fallbacks, quiet fits,
saving and loading."""

import numpy as np
import pytest

from seqsuite.shared.errors import ConfigError
from seqsuite.shared.evaluation.metrics import naive2_forecast
from seqsuite.suites.forecasting.baselines import fit_statistical, load_baselines, save_baselines


def histories():
    t = np.arange(48)
    seasonal = 100 + t + 20 * np.sin(2 * np.pi * t / 12)
    trend = 10 + 0.5 * np.arange(20)
    short = np.array([5.0, 6.0, 5.5, 7.0, 6.5])  # shorter than its season of 12
    line = np.arange(1.0, 8.0)  # a perfect fit: statsforecast's ETS divides by zero (and warns)
    return [seasonal, trend, short, line], [6, 3, 4, 2], [12, 1, 12, 12]


def test_shapes_padding_and_fallback(capfd, recwarn):
    series, horizons, seasons = histories()
    calls = []
    forecasts = fit_statistical(series, horizons, seasons, progress=calls.append)
    assert calls == [4]
    assert set(forecasts) == {"seasonal_naive", "naive2", "ets", "theta"}
    for name, parts in forecasts.items():
        assert parts["point"].shape == (4, 6)
        assert np.all(np.isfinite(parts["point"][0]))
        assert np.all(np.isnan(parts["point"][1, 3:])) and np.all(np.isnan(parts["point"][2, 4:]))
        if name != "naive2":
            assert {"lower_80", "upper_80", "lower_95", "upper_95"} <= set(parts)
            assert np.all(parts["lower_95"][0] <= parts["upper_95"][0])
    assert "lower_80" not in forecasts["naive2"]
    # seasonal naive repeats the last season; on the short series it falls back to naive
    np.testing.assert_allclose(forecasts["seasonal_naive"]["point"][0], series[0][-12:-6])
    assert forecasts["seasonal_naive"]["fallback"].tolist() == [False, False, True, True]
    np.testing.assert_allclose(forecasts["seasonal_naive"]["point"][2, :4], 6.5)
    np.testing.assert_allclose(forecasts["naive2"]["point"][0], naive2_forecast(series[0], 6, 12))
    # ETS follows a clean linear trend
    np.testing.assert_allclose(forecasts["ets"]["point"][1, :3], 20 + 0.5 * np.arange(3), rtol=1e-3)
    captured = capfd.readouterr()
    assert "Warning" not in captured.err and captured.out == ""
    assert not [str(w.message) for w in recwarn]  # statsforecast warns on the short series


def test_two_jobs_match_one():
    series, horizons, seasons = histories()
    series, horizons, seasons = series * 30, horizons * 30, seasons * 30  # two chunks
    one = fit_statistical(series, horizons, seasons, models=("theta", "naive2"))
    done = []
    two = fit_statistical(series, horizons, seasons, models=("theta", "naive2"), n_jobs=2,
                          progress=done.append)
    assert done[-1] == 120 and done == sorted(done)
    for name in one:
        for key in one[name]:
            np.testing.assert_allclose(one[name][key], two[name][key])


def test_bad_arguments():
    with pytest.raises(ConfigError, match="unknown baseline model"):
        fit_statistical([np.ones(5)], 2, 1, models=("arima",))
    with pytest.raises(ConfigError, match="empty"):
        fit_statistical([np.ones(5), np.array([])], 2, 1)


def test_save_and_load(tmp_path):
    series, horizons, seasons = histories()
    forecasts = fit_statistical(series, horizons, seasons, models=("naive2", "theta"))
    path = save_baselines(tmp_path, forecasts)
    assert path.name == "forecasts.npz" and not list(tmp_path.glob(".*tmp"))
    loaded = load_baselines(tmp_path)
    assert set(loaded) == set(forecasts)
    for name in forecasts:
        assert set(loaded[name]) == set(forecasts[name])
        for key in forecasts[name]:
            np.testing.assert_array_equal(loaded[name][key], forecasts[name][key])
    with pytest.raises(ConfigError, match="forecasts.npz not found: the run directory is damaged"):
        load_baselines(tmp_path / "missing")
    path.write_bytes(b"not a zip")
    with pytest.raises(ConfigError, match="damaged"):
        load_baselines(tmp_path)
