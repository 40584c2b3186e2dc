"""Collections of series: the bundled competitions, long-format CSVs, calendar features."""

import numpy as np
import pandas as pd
import pytest

from seqsuite.shared.errors import ConfigError, DataError
from seqsuite.suites.forecasting.collections import (
    calendar_features,
    frequency_kind,
    infer_period,
    load_competition,
    read_long_csv,
)


@pytest.mark.parametrize("subset, count, horizon, period", [
    ("yearly", 645, 6, 1), ("quarterly", 756, 8, 4), ("monthly", 1428, 18, 12),
    ("other", 174, 8, 1),
])
def test_m3_subsets(subset, count, horizon, period):
    series = load_competition("m3", subset)
    assert len(series) == count
    assert {s.horizon for s in series} == {horizon}
    assert {s.period for s in series} == {period}
    assert {s.kind for s in series} == {subset}
    for s in series[:20]:
        assert s.n_train + s.horizon == len(s.values)
        assert s.time is None and s.values.dtype == np.float64
    assert series[0].category  # MICRO, MACRO, ...


def test_m3_all_tourism_and_m1():
    assert len(load_competition("m3")) == 3003
    first = load_competition("m3", "yearly")[0]
    assert first.id == "N0001" and first.n_train == 14 and first.values[0] == 940.66
    tourism = load_competition("tourism")
    assert len(tourism) == 1311
    counts = {k: sum(s.kind == k for s in tourism) for k in ("yearly", "quarterly", "monthly")}
    assert counts == {"yearly": 518, "quarterly": 427, "monthly": 366}
    assert {s.horizon for s in load_competition("tourism", "monthly")} == {24}
    assert len(load_competition("m1")) == 1001


def test_competition_errors():
    with pytest.raises(DataError, match="choose one of yearly, quarterly, monthly, all"):
        load_competition("tourism", "other")
    with pytest.raises(DataError, match="unknown competition 'm9'; choose one of m1, m3, tourism"):
        load_competition("m9")


def write(tmp_path, text, name="long.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_long_csv_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    dates = pd.date_range("2020-01-31", periods=30, freq="ME")
    frames = []
    for sid, n in (("b", 30), ("a", 24)):
        frames.append(pd.DataFrame({"store": sid, "month": dates[:n], "sales": rng.normal(size=n),
                                    "promo": rng.integers(0, 2, n), "temp": rng.normal(size=n)}))
    frame = pd.concat(frames).sample(frac=1.0, random_state=0)  # shuffled rows
    path = tmp_path / "long.csv"
    frame.to_csv(path, index=False)
    series = read_long_csv(path, "store", "month", "sales", past=["temp"], known=["promo"],
                           horizon=3)
    assert [s.id for s in series] == list(pd.unique(frame["store"]))
    by_id = {s.id: s for s in series}
    for sid, expected in zip(("b", "a"), frames):
        s = by_id[sid]
        np.testing.assert_allclose(s.values, expected["sales"].to_numpy())
        np.testing.assert_allclose(s.known[:, 0], expected["promo"].to_numpy())
        np.testing.assert_allclose(s.past[:, 0], expected["temp"].to_numpy())
        assert s.time.dtype == np.dtype("datetime64[ns]") and np.all(np.diff(s.time) > np.timedelta64(0))
        assert (s.period, s.kind, s.horizon, s.future, s.n_train) == (12, "monthly", 3, 0, None)


def test_long_csv_future_rows_of_known_covariates(tmp_path):
    text = "id,t,y,holiday\n" + "".join(f"a,{t},{t * 1.5},{t % 2}\n" for t in range(1, 9))
    text += "a,9,,1\na,10,,0\n"
    series = read_long_csv(write(tmp_path, text), "id", "t", "y", known=["holiday"], horizon=2)
    (s,) = series
    assert len(s.values) == 8 and s.known.shape == (10, 1) and s.future == 2
    assert s.time is None and s.period == 1  # numeric time: no dates
    np.testing.assert_allclose(s.known[8:, 0], [1, 0])
    with pytest.raises(DataError, match="1 future rows .* horizon=2"):
        read_long_csv(write(tmp_path, text.replace("a,10,,0\n", "")), "id", "t", "y",
                      known=["holiday"], horizon=2)
    with pytest.raises(DataError, match="series 'a' lacks the known covariate 'holiday'"):
        read_long_csv(write(tmp_path, text.replace("a,10,,0", "a,10,,")), "id", "t", "y",
                      known=["holiday"], horizon=2)


def test_long_csv_fill(tmp_path):
    text = "id,t,y\nx,1,1.0\nx,2,\nx,3,3.0\n"
    with pytest.raises(DataError, match="column 'y' of series 'x' has 1 missing values; "
                                        "fill them or pass --set fill=interpolate"):
        read_long_csv(write(tmp_path, text), "id", "t", "y")
    (s,) = read_long_csv(write(tmp_path, text), "id", "t", "y", fill="interpolate")
    np.testing.assert_allclose(s.values, [1.0, 2.0, 3.0])


@pytest.mark.parametrize("text, columns, message", [
    ("id,t,y\n", {}, "has a header but no rows"),
    ("", {}, "not a readable CSV"),
    ("id,t,y\na,1,1\na,2,2\n", {"target": "sales"}, "has no column 'sales'"),
    ("id,t,y\na,1,1\na,1,2\n", {}, "series 'a' has two rows at time '1'"),
    ("id,t,y\na,1,1\na,2,lots\n", {}, "column 'y' of series 'a' has a non-numeric value \\('lots'\\)"),
    ("id,t,y\na,1,1\na,yesterday,2\n", {}, "time column 't' has an unreadable value at line 3"),
    ("id,t,y\na,1,1\n,2,2\n", {}, "id column 'id' is empty at line 3"),
    ("id,t,y\na,1,1\nb,1,\n", {}, "series 'b' has no value in target column 'y'"),
])
def test_long_csv_errors(tmp_path, text, columns, message):
    arguments = {"id_column": "id", "time_column": "t", "target": "y", **columns}
    with pytest.raises(DataError, match=message) as caught:
        read_long_csv(write(tmp_path, text), **arguments)
    assert "\n" not in str(caught.value)


def test_one_series_without_id_or_time_column(tmp_path):
    path = write(tmp_path, "value,temp\n3,1\n1,2\n2,3\n", name="shop.csv")
    (s,) = read_long_csv(path, "", "", "value", past=["temp"], period=2)
    assert (s.id, s.period, s.time) == ("shop", 2, None)
    np.testing.assert_allclose(s.values, [3, 1, 2])  # file order kept
    np.testing.assert_allclose(s.past[:, 0], [1, 2, 3])


def test_long_csv_bad_options(tmp_path):
    path = write(tmp_path, "id,t,y\na,1,1\n")
    with pytest.raises(ConfigError, match="fill must be"):
        read_long_csv(path, "id", "t", "y", fill="zero")


def test_calendar_features_monthly_and_daily():
    months = pd.date_range("2021-01-01", periods=14, freq="MS").to_numpy()
    features, names = calendar_features(months)
    assert names == ["month_sin", "month_cos"] and features.shape == (14, 2)
    angle = 2 * np.pi * (np.arange(14) % 12) / 12
    np.testing.assert_allclose(features, np.stack([np.sin(angle), np.cos(angle)], 1), atol=1e-6)
    assert infer_period(months) == 12 and frequency_kind(months) == "monthly"

    days = pd.date_range("2024-01-01", periods=10, freq="D").to_numpy()  # a Monday
    features, names = calendar_features(days)
    assert names == ["day_of_week_sin", "day_of_week_cos", "day_of_year_sin", "day_of_year_cos"]
    week = 2 * np.pi * (np.arange(10) % 7) / 7
    np.testing.assert_allclose(features[:, 0], np.sin(week), atol=1e-6)
    np.testing.assert_allclose(features[:, 3], np.cos(2 * np.pi * np.arange(10) / 365.25),
                               atol=1e-6)
    assert infer_period(days) == 7


def test_periods_and_yearly():
    def index(freq, n=6):
        return pd.date_range("2020-01-01", periods=n, freq=freq).to_numpy()

    expected = {"QS": 4, "W-SUN": 52, "B": 5, "h": 24, "2h": 12, "30min": 48, "YS": 1}
    assert {f: infer_period(index(f)) for f in expected} == expected
    features, names = calendar_features(index("YS"))
    assert features.shape == (6, 0) and names == []
    irregular = np.array(["2020-01-01", "2020-01-02", "2020-01-05", "2020-01-06"],
                         dtype="datetime64[ns]")
    with pytest.raises(DataError, match="not evenly spaced"):
        infer_period(irregular)
