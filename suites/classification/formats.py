"""Labelled multichannel sequences from files: the UEA/UCR `.ts` format and a long CSV.

`.ts` (the format of the UEA/UCR time-series classification archive, as
sktime and aeon write it): `#` (or `%`) comment lines, `@` header lines
(`@problemName`, `@timeStamps false`, `@univariate`, `@dimensions`,
`@equalLength`, `@classLabel true A B C` or `@classLabel false`), then `@data`
and one sequence per line, its channels separated by `:` and the values of a
channel by `,`; the class label, if any, is the last `:` field:

    @problemName Example
    @classLabel true walk run
    @data
    0.1,0.2,0.3:1.0,1.1,1.2:walk

Every channel of a sequence has the same length. Missing values (`?` or
`NaN`) at the end of all channels are padding and are dropped (the archive
pads unequal-length sets that way); a missing value inside a sequence is an
error. Timestamped files (`@timeStamps true`) and regression files
(`@targetLabel true`) are refused.

CSV: one row per time step, with a sequence-id column, one column per channel
and a label column (constant within a sequence); an optional time column
orders the rows of a sequence (otherwise file order does). Sequences keep the
order in which their ids first appear.

Both readers return `Sequences` and raise a one-line `DataError` naming the
file, the line and the fix.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqsuite.shared.data.sources import read_text
from seqsuite.shared.errors import DataError

FORMATS = ".ts or .csv"
_MISSING = ("?", "nan", "NaN", "NAN")


@dataclass
class Sequences:
    """Sequences read from one source."""

    name: str
    values: list[np.ndarray]  # one (time, channels) float32 array per sequence
    labels: list[str] | None  # one class label per sequence; None when the file has none
    ids: list[str]  # the CSV's sequence ids; the .ts line number of each sequence
    classes: list[str] | None = None  # the class order a .ts file declares (@classLabel)

    def __len__(self) -> int:
        return len(self.values)


def read_sequences(path, require_labels: bool = True, **csv_options) -> Sequences:
    """A `.ts` or `.csv` file by its suffix (`csv_options` go to `read_csv`)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".ts":
        return read_ts(path, require_labels)
    if suffix == ".csv":
        return read_csv(path, require_labels=require_labels, **csv_options)
    raise DataError(f"'{path}': unknown file type '{path.suffix}'; pass a {FORMATS} file")


def _read(path: Path) -> str:
    return read_text(path, "data file", f"pass an existing {FORMATS} file")


def cut(text, width: int = 20) -> str:
    """`text` cut to `width` characters, so that an error stays one short line."""
    text = str(text)
    return text if len(text) <= width else text[:width] + "..."


def shown(names, count: int = 8) -> str:
    """The first `count` names, each `cut`."""
    names = [cut(n) for n in names]
    return ", ".join(names[:count]) + (", ..." if len(names) > count else "")


def _number(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"{where}: '{cut(text)}' is not a number; fix the value") from None
    if math.isinf(value):
        raise DataError(f"{where}: infinite value; fix the value")
    return value


def _parse_ts_line(line: str, number: int, where: str, has_labels: bool):
    """((time, channels) array, label or None) of one `.ts` data line."""
    fields = line.split(":")
    label = fields.pop().strip() if has_labels else None
    if has_labels and not fields:
        raise DataError(f"{where} line {number}: no ':' between values and the class label; "
                        "a .ts line is channel:channel:...:label")
    if has_labels and not label:
        raise DataError(f"{where} line {number}: empty class label; label every sequence")
    channels = []
    for field in fields:
        field = field.strip()
        if field.startswith("("):
            raise DataError(f"{where} line {number}: timestamped values '(t,v)' are not "
                            "supported; write the values alone with @timeStamps false")
        items = field.split(",") if field else []
        channels.append([math.nan if item.strip() in _MISSING else
                         _number(item.strip(), f"{where} line {number}") for item in items])
    lengths = {len(values) for values in channels}
    if len(lengths) > 1:
        raise DataError(f"{where} line {number}: its channels have different lengths "
                        f"({', '.join(map(str, sorted(lengths)))}); every channel of a "
                        "sequence needs one value per time step")
    values = np.asarray(channels, dtype="float64").T  # (time, channels)
    missing = np.isnan(values).any(axis=1)
    # Missing values at the end of every channel are the archive's padding.
    end = len(values) - int(np.argmin(missing[::-1])) if not missing.all() else 0
    if end == 0:
        raise DataError(f"{where} line {number}: the sequence has no values; remove the line "
                        "or fill it")
    if np.isnan(values[:end]).any():
        step = int(np.flatnonzero(np.isnan(values[:end]).any(axis=1))[0])
        raise DataError(f"{where} line {number}: missing value inside the sequence (step "
                        f"{step}); fill it (e.g. by interpolation) first")
    return values[:end].astype("float32"), label


# Comment lines of .ts files: "#" in the UEA archive's, "%" in some of sktime's.
COMMENTS = ("#", "%")


def read_ts(path, require_labels: bool = True) -> Sequences:
    """Sequences of a UEA/UCR `.ts` file (see the module docstring)."""
    path = Path(path)
    where = path.name
    lines = _read(path).splitlines()
    header, start = {}, None
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith(COMMENTS):
            continue
        if not text.startswith("@"):
            raise DataError(f"{where} line {number}: expected '@' header lines before '@data' "
                            "(is this a .ts file?); see the UEA/UCR .ts format")
        key, _, value = text[1:].partition(" ")
        key = key.lower()
        if key == "data":
            start = number
            break
        header[key] = value.strip()
    if start is None:
        raise DataError(f"{where} has no '@data' line; a .ts file has '@' header lines, "
                        "'@data', then one sequence per line")
    flags = {key: header.get(key, "false").split()[:1] == ["true"]
             for key in ("timestamps", "classlabel", "targetlabel")}
    if flags["timestamps"]:
        raise DataError(f"{where}: timestamped .ts files (@timeStamps true) are not supported; "
                        "write the values alone with @timeStamps false")
    if flags["targetlabel"]:
        raise DataError(f"{where} is a regression file (@targetLabel true); this suite needs "
                        "class labels (@classLabel true ...)")
    has_labels = flags["classlabel"]
    if require_labels and not has_labels:
        raise DataError(f"{where} has no class labels (@classLabel false or missing); "
                        "training and testing need '@classLabel true NAME ...'")
    declared = header.get("classlabel", "").split()[1:] if has_labels else []
    values, labels, ids = [], [], []
    for number, line in enumerate(lines[start:], start + 1):
        if not line.strip() or line.lstrip().startswith(COMMENTS):
            continue
        sequence, label = _parse_ts_line(line, number, where, has_labels)
        if declared and label not in declared:
            raise DataError(f"{where} line {number}: label '{cut(label)}' is not among the "
                            f"classes @classLabel declares ({shown(declared)}); fix the label or "
                            "the header")
        values.append(sequence)
        labels.append(label)
        ids.append(str(number))
    _check_channels(values, where)
    if "dimensions" in header and values and header["dimensions"].isdigit() and \
            int(header["dimensions"]) != values[0].shape[1]:
        raise DataError(f"{where}: @dimensions says {header['dimensions']} channels but the "
                        f"sequences have {values[0].shape[1]}; fix the header")
    return Sequences(where, values, labels if has_labels else None, ids, declared or None)


def _check_channels(values: list[np.ndarray], where: str, ids=None) -> None:
    if not values:
        return
    counts = [v.shape[1] for v in values]
    if len(set(counts)) > 1:
        index = next(i for i, c in enumerate(counts) if c != counts[0])
        name = f"sequence '{cut(ids[index])}'" if ids else f"sequence {index + 1}"
        raise DataError(f"{where}: {name} has {counts[index]} channels, the first has "
                        f"{counts[0]}; every sequence needs the same channels")


def read_csv(path, sequence_column: str = "id", label_column: str = "label",
             channels: list[str] | None = None, time_column: str = "",
             require_labels: bool = True) -> Sequences:
    """Sequences of a long CSV, one row per time step (see the module docstring).

    `channels` names the channel columns; empty or None takes every column
    but the id, label and time columns. Without `require_labels` a missing
    label column is allowed (labels are then None).
    """
    import pandas as pd

    path = Path(path)
    where = path.name
    text = _read(path)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise DataError(f"{where} is empty; a CSV needs a header and one row per time "
                        "step") from None
    except pd.errors.ParserError as err:
        # Pandas' own words name the ragged line ("Expected 3 fields in line 5, saw 4").
        detail = str(err).strip().splitlines()[-1] if str(err).strip() else "unreadable"
        raise DataError(f"{where} is not a regular CSV ({detail.removeprefix('Error tokenizing data. C error: ')}); "
                        "give every row the header's columns") from None
    frame = frame.fillna("")  # a short (ragged) row's missing fields
    frame.columns = [str(c).strip() for c in frame.columns]
    has_labels = label_column in frame.columns
    needed = [sequence_column, *([label_column] if require_labels else []),
              *([time_column] if time_column else []), *(channels or [])]
    for column in needed:
        if column not in frame.columns:
            raise DataError(f"{where} has no column '{column}' (columns: "
                            f"{shown(frame.columns)}); set --set sequence_column=/"
                            "label_column=/time_column=/channels= to existing columns")
    reserved = {sequence_column, label_column, time_column}
    channels = list(channels or [c for c in frame.columns if c not in reserved])
    if not channels:
        raise DataError(f"{where} has no channel columns besides '{sequence_column}' and "
                        f"'{label_column}'; add one column per channel")
    if frame.empty:
        raise DataError(f"{where} has a header but no rows; add one row per time step")
    numbers = np.empty((len(frame), len(channels)), dtype="float32")
    for j, column in enumerate(channels):
        raw = frame[column].str.strip()
        parsed = pd.to_numeric(raw.where(raw != ""), errors="coerce")
        bad = parsed.isna().to_numpy() | np.isinf(parsed.to_numpy(dtype="float64"))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataError(f"{where} line {row + 2}: column '{column}' holds "
                            f"'{cut(raw.iloc[row]) or 'empty'}', not a "
                            "number; fill or fix it (or leave the column out with --set "
                            "channels=...)")
        numbers[:, j] = parsed.to_numpy(dtype="float32")
    ids = frame[sequence_column].str.strip()
    if (ids == "").any():
        row = int(np.flatnonzero((ids == "").to_numpy())[0])
        raise DataError(f"{where} line {row + 2}: empty '{sequence_column}'; every row "
                        "needs the id of its sequence")
    if has_labels and (frame[label_column].str.strip() == "").any():
        row = int(np.flatnonzero((frame[label_column].str.strip() == "").to_numpy())[0])
        raise DataError(f"{where} line {row + 2}: empty '{label_column}'; every row needs the "
                        "label of its sequence")
    time_key = None
    if time_column:
        raw_time = frame[time_column].str.strip()
        key = pd.to_numeric(raw_time, errors="coerce")
        if key.isna().any():
            key = pd.to_datetime(raw_time, errors="coerce", format="mixed")
        if key.isna().any():
            row = int(np.flatnonzero(key.isna().to_numpy())[0])
            raise DataError(f"{where} line {row + 2}: time column '{time_column}' holds "
                            f"'{cut(raw_time.iloc[row])}', neither a number nor a date; fix "
                            "it or --set time_column= to keep file order")
        time_key = key.to_numpy()
    values, labels, names = [], [], []
    groups = pd.Series(np.arange(len(frame))).groupby(ids.to_numpy(), sort=False)
    for name, rows in groups:
        rows = rows.to_numpy()
        if time_key is not None:
            rows = rows[np.argsort(time_key[rows], kind="stable")]
        values.append(numbers[rows])
        names.append(str(name))
        if has_labels:
            found = frame[label_column].to_numpy()[rows]
            distinct = list(dict.fromkeys(str(v).strip() for v in found))
            if len(distinct) > 1:
                raise DataError(f"{where}: sequence '{cut(name)}' has more than one label "
                                f"('{cut(distinct[0])}', '{cut(distinct[1])}'); a sequence has "
                                "one label")
            labels.append(distinct[0])
    return Sequences(where, values, labels if has_labels else None, names)
