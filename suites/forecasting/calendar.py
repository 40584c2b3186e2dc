"""Calendar covariates in TensorFlow ops: one implementation for training and serving.

Training computes them eagerly from the data's dates (`collections.calendar_features`);
the SavedModel of a dated run computes them inside the graph from the timestamp of
each window's last observation, given as a string (`parse_timestamps`), stepping
back over the window and forward over the horizon at the run's frequency
(`step_times`). A date is held as whole days since 1970-01-01 and seconds into
the day; the civil calendar (proleptic Gregorian) is converted with Howard
Hinnant's `days_from_civil` / `civil_from_days` integer algorithms, so no
timezone or locale enters.

Positions p in [0, 1) of each cycle, encoded as (sin 2 pi p, cos 2 pi p):

    kind        cycles
    yearly      none
    quarterly   quarter        (quarter - 1) / 4
    monthly     month          (month - 1) / 12
    weekly      day_of_year    (day of year - 1) / 365.25
    daily       day_of_week    weekday / 7 (Monday 0), and day_of_year
    hourly,     hour           (hour + minute / 60) / 24, and
    minutely,   day_of_week    weekday / 7 + hour / 7
    secondly
"""

from __future__ import annotations

import math

import tensorflow as tf

CYCLES = {
    "yearly": (), "quarterly": ("quarter",), "monthly": ("month",),
    "weekly": ("day_of_year",), "daily": ("day_of_week", "day_of_year"),
    "hourly": ("hour", "day_of_week"), "minutely": ("hour", "day_of_week"),
    "secondly": ("hour", "day_of_week"),
}
DAY = 86400
# A timestamp as users write it: 2024-03-01, 2024-03-01 13:00, 2024-03-01T13:00:05(.123)
TIMESTAMP = r"\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d*)?)?)?\s*"


def feature_names(kind: str) -> list[str]:
    """The calendar columns of a frequency kind: `month_sin`, `month_cos`, ..."""
    return [f"{name}_{f}" for name in CYCLES.get(kind, ()) for f in ("sin", "cos")]


def days_from_civil(year, month, day):
    """Days since 1970-01-01 of int64 tensors year, month (1-12), day (1-31)."""
    year = year - tf.cast(month <= 2, tf.int64)
    era = tf.math.floordiv(year, 400)
    yoe = year - era * 400
    shift = tf.where(month > 2, tf.constant(-3, tf.int64), tf.constant(9, tf.int64))
    doy = (153 * (month + shift) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(days):
    """(year, month, day) int64 tensors of days since 1970-01-01."""
    z = days + 719468
    era = tf.math.floordiv(z, 146097)
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = tf.where(mp < 10, mp + 3, mp - 9)
    return yoe + era * 400 + tf.cast(month <= 2, tf.int64), month, day


def calendar_columns(days, seconds, kind: str):
    """(..., C) float32 sin/cos columns (`feature_names(kind)`) of dates given as
    int64 days since 1970-01-01 and seconds into the day."""
    days = tf.cast(days, tf.int64)
    seconds = tf.cast(seconds, tf.int64)
    year, month, _ = civil_from_days(days)
    positions = {
        "quarter": lambda: tf.cast((month - 1) // 3, tf.float64) / 4,
        "month": lambda: tf.cast(month - 1, tf.float64) / 12,
        "day_of_year": lambda: tf.cast(days - days_from_civil(year, tf.ones_like(year),
                                                              tf.ones_like(year)),
                                       tf.float64) / 365.25,
        "day_of_week": lambda: (tf.cast(tf.math.floormod(days + 3, 7), tf.float64) / 7
                                + (hour() / 7 if kind in ("hourly", "minutely", "secondly")
                                   else 0.0)),
    }

    def hour():  # whole minutes, as pandas' (hour + minute / 60)
        return tf.cast(seconds // 60, tf.float64) / 60 / 24

    positions["hour"] = hour
    columns = []
    for name in CYCLES.get(kind, ()):
        angle = 2 * math.pi * positions[name]()
        columns += [tf.sin(angle), tf.cos(angle)]
    if not columns:
        return tf.zeros([*days.shape, 0], tf.float32)
    return tf.cast(tf.stack(columns, axis=-1), tf.float32)


def parse_timestamps(strings):
    """(days, seconds, ok) of a string tensor of timestamps (`TIMESTAMP`); `ok` is
    False, and the date 1970-01-01, where a string is not a valid date."""
    strings = tf.convert_to_tensor(strings, tf.string)
    ok = tf.strings.regex_full_match(strings, TIMESTAMP)
    fields = tf.strings.regex_replace(strings, TIMESTAMP, r"\1,\2,\3,\4,\5,\6")
    fields = tf.where(ok, fields, "1970,1,1,0,0,0")
    parts = tf.strings.split(fields, ",").to_tensor(default_value="0", shape=[None, 6])
    parts = tf.where(parts == "", "0", parts)
    year, month, day, hour, minute, second = tf.unstack(
        tf.strings.to_number(parts, tf.int64), axis=-1)
    # A day that does not exist (2023-02-30) does not round-trip through the calendar.
    days = days_from_civil(year, month, day)
    back = tf.stack(civil_from_days(days), axis=-1)
    ok = ok & tf.reduce_all(back == tf.stack([year, month, day], axis=-1), axis=-1)
    ok = ok & (month >= 1) & (month <= 12) & (hour < 24) & (minute < 60) & (second < 60)
    days = tf.where(ok, days, tf.zeros_like(days))
    seconds = tf.where(ok, hour * 3600 + minute * 60 + second, tf.zeros_like(days))
    return days, seconds, ok


def _month_length(year, month):
    one = tf.ones_like(month)
    return (days_from_civil(year + month // 12, month % 12 + 1, one)
            - days_from_civil(year, month, one))


def step_times(days, seconds, steps, months: int = 0, step_seconds: int = 0):
    """Dates `steps` (int64, (T,)) steps of the frequency away from each (days,
    seconds) (batch,): (batch, T) days and seconds. A frequency counted in months
    (`months` per step: monthly 1, quarterly 3) moves the month, keeping the day of
    the month within its length (a month's last day stays on month ends, as pandas'
    `ME`); one of fixed length moves `step_seconds` a step."""
    days = tf.cast(days, tf.int64)[:, None]
    seconds = tf.cast(seconds, tf.int64)[:, None]
    steps = tf.cast(steps, tf.int64)[None, :]
    if months:
        year, month, day = civil_from_days(days)
        month_end = day == _month_length(year, month)
        index = year * 12 + (month - 1) + steps * months
        year, month = tf.math.floordiv(index, 12), tf.math.floormod(index, 12) + 1
        length = _month_length(year, month)
        day = tf.where(month_end, length, tf.minimum(day, length))
        moved = days_from_civil(year, month, day)
        return moved, seconds + tf.zeros_like(moved)
    total = days * DAY + seconds + steps * step_seconds
    return tf.math.floordiv(total, DAY), tf.math.floormod(total, DAY)
