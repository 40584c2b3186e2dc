"""Labelled recordings for anomaly detection: one or more channels per row, a 0/1 label per
row, and the clean stretch (no anomaly) a detector learns normality from.

Two physiological recordings come embedded, read as files from the wheel of aeon 1.6.0
(BSD-3-Clause), which `make` downloads without installing it (its pins would downgrade
NumPy and Numba; `shared.data.sources.wheel_member`):

    internal_bleeding  the UCR anomaly archive's 135_UCR_Anomaly_InternalBleeding16
                       (Wu and Keogh 2021): 7,501 points of one channel, the first 1,200
                       clean (the archive's training part), one labelled anomaly of 12
                       points; no sampling rate is given.
    gait               the Daphnet freezing-of-gait excerpt S06R02E0 (Bachlin et al.
                       2010): nine accelerometer channels worn by a Parkinson's patient,
                       7,040 rows at 64 Hz; no freeze is labelled in it, so it measures
                       false alarms on a clean recording; its first 2,000 rows (31 s)
                       are the clean stretch a detector learns from.

Two more come with sktime (BSD-3), read as files from its installed package (never
imported), each with a labelled anomaly and no clean part of its own, so the clean
stretch is the rows before the first label less a margin:

    ecg                an excerpt of the MIT-BIH Arrhythmia Database (Moody and Mark
                       2001; PhysioNet, ODC-By 1.0) as sktime ships it: 7,500 points of
                       one ECG lead, one labelled anomalous stretch of 352 points at row
                       6,936; the first 3,000 rows are the clean stretch.
    web_traffic        an excerpt of Yahoo's Webscope S5 anomaly benchmark (A1, real
                       service traffic; Yahoo Webscope's research-use terms) as sktime
                       ships it: 1,000 points, seven labelled single-point anomalies from
                       row 431; the first 400 rows are the clean stretch.

A user's CSV gives the same: `read_labelled_csv` with the label column (0/1), the
channels (all other numeric columns by default), an optional time column and the end
of the clean stretch (`train_end` rows).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from seqsuite.shared.data.sources import check_file, package_file, utf8_error, wheel_member
from seqsuite.shared.errors import DataError

AEON = "aeon==1.6.0"
SKTIME = "sktime>=1.2"
_UCR = "aeon/datasets/data/KDD-TSAD_135/135_UCR_Anomaly_InternalBleeding16_"
# name -> (wheel member, rows of the clean stretch, the recording's description)
RECORDINGS = {
    "internal_bleeding": (_UCR + "TEST.csv", 1200,
                          "the UCR anomaly archive's InternalBleeding16 recording"),
    "gait": ("aeon/datasets/data/Daphnet_S06R02E0/S06R02E0.csv", 2000,
             "the Daphnet freezing-of-gait recording S06R02E0"),
    "ecg": ("datasets/data/mitdb/mitdb.csv", 3000, "the MIT-BIH ECG excerpt"),
    "web_traffic": ("datasets/data/yahoo/yahoo.csv", 400, "the Yahoo S5 traffic excerpt"),
}


@dataclass
class Recording:
    """values (rows, channels) float64; labels (rows,) bool; channels their names;
    time (rows,) datetime64 or None; clean_end: rows [0, clean_end) hold no anomaly
    (0: no clean stretch);
    seconds_per_point from the time column (None when undated or irregular)."""

    name: str
    values: np.ndarray
    labels: np.ndarray
    channels: list[str]
    time: np.ndarray | None
    clean_end: int
    seconds_per_point: float | None


def read_recording(name: str) -> Recording:
    """An embedded labelled recording (RECORDINGS), read from the aeon wheel or sktime."""
    if name not in RECORDINGS:
        raise DataError(f"no embedded recording '{name}'; use one of {', '.join(RECORDINGS)}")
    member, clean_end, what = RECORDINGS[name]
    if name in ("ecg", "web_traffic"):
        frame = pd.read_csv(package_file("sktime", member, what, SKTIME))
        return _recording(frame, name, "label", "", ["data"], clean_end, what)
    frame = pd.read_csv(io.BytesIO(wheel_member(AEON, member, what)))
    # the UCR file's "timestamp" is the row number; Daphnet's is a clock
    time_column, channels = ("timestamp", []) if name == "gait" else ("", ["value"])
    return _recording(frame, name, "is_anomaly", time_column, channels, clean_end, what)


def read_labelled_csv(path, label_column: str, time_column: str = "", channels=(),
                      train_end: int | None = None) -> Recording:
    """A user's labelled recording: one row per time step, `label_column` 0/1 (empty:
    no labels, every row 0 and nothing to score against), `channels` (empty: every
    other column but `time_column`), rows [0, train_end) the clean stretch (None: no
    clean stretch, a recording a trained detector scores whole). Each problem is one
    DataError naming the column and the fix."""
    path = check_file(Path(path), "recording", "pass an existing CSV file", text=True)
    try:
        # blank lines kept, so a row's number is its line in the file
        frame = pd.read_csv(path, skip_blank_lines=False)
    except UnicodeDecodeError as error:
        raise utf8_error(path, "recording", error) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise DataError(f"recording '{path}' is not a readable CSV file ({error}); "
                        "save it as comma-separated text with a header row") from None
    return _recording(frame, path.stem, label_column, time_column, list(channels), train_end,
                      f"recording '{path}'")


def _recording(frame: pd.DataFrame, name: str, label_column: str, time_column: str,
               channels: list[str], clean_end: int | None, what: str) -> Recording:
    for column in [c for c in (label_column, time_column) if c] + channels:
        if column not in frame.columns:
            raise DataError(f"{what} has no column '{column}'; its columns are "
                            f"{', '.join(map(str, frame.columns))}")
    if not len(frame):
        raise DataError(f"{what} has no rows")
    if label_column:
        labels = pd.to_numeric(frame[label_column], errors="coerce")
        bad = ~labels.isin([0, 1])
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            cell = frame[label_column].iloc[row]
            found = "is empty" if pd.isna(cell) else f"has '{cell}'"
            raise DataError(f"{what}: label column '{label_column}' must hold 0 or 1 on every "
                            f"row; row {row + 2} {found}")
        labels = labels.to_numpy().astype(bool)
    else:
        labels = np.zeros(len(frame), bool)
    for kind, column in (("label", label_column), ("time", time_column)):
        if column and column in channels:
            raise DataError(f"the {kind} column '{column}' cannot also be a channel; "
                            "leave it out of channels")
    channels = channels or [c for c in frame.columns if c not in (label_column, time_column)]
    if not channels:
        raise DataError(f"{what} has no channel columns besides the label and time")
    values = frame[channels].apply(pd.to_numeric, errors="coerce")
    if values.isna().any().any():
        column = values.columns[values.isna().any()][0]
        row = int(np.flatnonzero(values[column].isna().to_numpy())[0])
        raise DataError(f"{what}: channel '{column}' has a missing or non-numeric value on "
                        f"row {row + 2}; fill it or leave the column out (channels=...)")
    time, seconds = None, None
    if time_column:
        time = pd.to_datetime(frame[time_column], errors="coerce")
        if time.isna().any():
            row = int(np.flatnonzero(time.isna().to_numpy())[0])
            raise DataError(f"{what}: time column '{time_column}' has '{frame[time_column].iloc[row]}'"
                            f" on row {row + 2}, not a date or time")
        steps = np.diff(time.to_numpy()).astype("timedelta64[ns]").astype(float) / 1e9
        if len(steps) and steps.min() <= 0:
            row = int(np.argmax(steps <= 0)) + 1
            raise DataError(f"{what}: time column '{time_column}' must increase from row to row; "
                            f"row {row + 2} does not: sort the file by time and drop repeated "
                            "times")
        # a clock rounded to the millisecond (Daphnet: 15 and 16 ms at 64 Hz) is regular
        if len(steps) and steps.max() - steps.min() <= 0.002 + 0.05 * steps.mean():
            seconds = float(steps.mean())
        time = time.to_numpy()
    if clean_end is None:  # nothing to learn from: every row is scored
        return Recording(name, values.to_numpy(dtype="float64"), labels,
                         list(map(str, channels)), time, 0, seconds)
    clean_end = int(clean_end)
    if not 0 < clean_end <= len(frame):
        raise DataError(f"train_end={clean_end} must be between 1 and the recording's "
                        f"{len(frame)} rows")
    if labels[:clean_end].all():
        raise DataError(f"{what}: every row of the clean stretch (the first {clean_end}) is "
                        "labelled anomalous; set train_end to a stretch without anomalies")
    if labels[:clean_end].any():
        row = int(np.flatnonzero(labels[:clean_end])[0])
        raise DataError(f"{what}: row {row + 2} of the clean stretch (the first {clean_end} "
                        "rows) is labelled anomalous; set train_end before it")
    return Recording(name, values.to_numpy(dtype="float64"), labels, list(map(str, channels)),
                     time, clean_end, seconds)
