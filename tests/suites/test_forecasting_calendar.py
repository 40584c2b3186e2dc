"""Calendar covariates in graph ops (suites/forecasting/calendar.py) against pandas."""

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from seqsuite.suites.forecasting.calendar import (
    civil_from_days,
    days_from_civil,
    parse_timestamps,
    step_times,
)
from seqsuite.suites.forecasting.collections import calendar_features, frequency_steps


def _pandas_reference(index: pd.DatetimeIndex, kind: str) -> np.ndarray:
    """The positions as pandas computes them (the suite's formulas, written plainly)."""
    day_of_year = (index.dayofyear.to_numpy() - 1) / 365.25
    day_of_week = index.dayofweek.to_numpy() / 7
    hour = (index.hour.to_numpy() + index.minute.to_numpy() / 60) / 24
    cycles = {"quarterly": [(index.quarter.to_numpy() - 1) / 4],
              "monthly": [(index.month.to_numpy() - 1) / 12],
              "weekly": [day_of_year], "daily": [day_of_week, day_of_year],
              "hourly": [hour, day_of_week + hour / 7]}[kind]
    return np.stack([f(2 * np.pi * p) for p in cycles for f in (np.sin, np.cos)], axis=1)


@pytest.mark.parametrize("freq, kind", [
    ("QS", "quarterly"), ("QE", "quarterly"), ("MS", "monthly"), ("ME", "monthly"),
    ("W-SUN", "weekly"), ("D", "daily"), ("h", "hourly"), ("30min", "hourly"),
])
def test_calendar_features_match_pandas(freq, kind):
    periods = 400 if freq[0] in "QM" else 3000
    index = pd.date_range("1899-11-28 07:30", periods=periods, freq=freq)  # leaps, 1900, 2000
    features, names = calendar_features(index.to_numpy())
    assert features.shape == (periods, len(names)) and features.dtype == np.float32
    np.testing.assert_allclose(features, _pandas_reference(index, kind if freq != "30min"
                                                           else "hourly"), atol=2e-6)


def test_civil_days_round_trip_against_numpy():
    days = np.arange(-200_000, 200_000, 37, dtype=np.int64)
    year, month, day = (t.numpy() for t in civil_from_days(tf.constant(days)))
    dates = pd.DatetimeIndex(days.astype("datetime64[D]"))
    np.testing.assert_array_equal(year, dates.year)
    np.testing.assert_array_equal(month, dates.month)
    np.testing.assert_array_equal(day, dates.day)
    back = days_from_civil(tf.constant(year), tf.constant(month), tf.constant(day))
    np.testing.assert_array_equal(back.numpy(), days)


def test_parse_timestamps():
    strings = ["2024-02-29", "2024-03-01 13:05", " 2024-03-01T13:05:07.25 ", "1969-12-31 23:59:59",
               "2023-02-29", "2024-13-01", "yesterday", "", "2024-03-01 25:00", "03/01/2024"]
    days, seconds, ok = (t.numpy() for t in parse_timestamps(tf.constant(strings)))
    assert list(ok) == [True] * 4 + [False] * 6
    for i in range(4):
        stamp = pd.Timestamp(strings[i].strip()).floor("s")
        assert days[i] * 86400 + seconds[i] == stamp.value // 10**9
    assert np.all(days[4:] == 0) and np.all(seconds[4:] == 0)


@pytest.mark.parametrize("freq, start", [
    ("MS", "2024-01-01"), ("ME", "2024-01-31"), ("QE", "2023-12-31"), ("W-SUN", "2024-02-25"),
    ("D", "2024-02-27"), ("h", "2024-02-28 22:00"), ("15min", "2024-12-31 23:30"),
])
def test_step_times_walk_the_frequency_as_pandas_does(freq, start):
    _, months, step_seconds = frequency_steps(freq)
    index = pd.date_range(start, periods=30, freq=freq)
    anchor = index[10]
    stamp = anchor.value // 10**9
    steps = tf.range(-10, 20, dtype=tf.int64)
    days, seconds = step_times(tf.constant([stamp // 86400]), tf.constant([stamp % 86400]),
                               steps, months, step_seconds)
    got = (days.numpy()[0] * 86400 + seconds.numpy()[0]).astype("datetime64[s]")
    np.testing.assert_array_equal(got, index.to_numpy().astype("datetime64[s]"))
