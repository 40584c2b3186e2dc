"""Reading user series from CSV files, shared by the suites that accept them.

pandas is imported only when a file is read: it comes with the extras of the suites
that read CSV files, and `import seqsuite` imports every suite's model (and what it
imports) with the core alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from seqsuite.shared.data.sources import check_file, utf8_error
from seqsuite.shared.errors import DataError

if TYPE_CHECKING:
    import pandas as pd


def read_csv(path: Path, what: str = "CSV file", fix: str = "pass an existing CSV path",
             **read_csv_kwargs) -> pd.DataFrame:
    """`pd.read_csv(path, **read_csv_kwargs)`, every failure a one-line DataError:
    a missing path, a directory or a binary file (`sources.check_file`), a file
    that is not UTF-8, or one pandas cannot parse."""
    import pandas as pd

    path = check_file(path, what, fix, text=True)
    try:
        return pd.read_csv(path, **read_csv_kwargs)
    except UnicodeDecodeError as err:
        raise utf8_error(path, what, err, "re-save it as UTF-8 CSV") from err
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else "empty file"
        raise DataError(f"{what} '{path}' is not a readable CSV ({first}); fix the file") from err


def read_series_csv(path: Path, columns: list[str], time_column: str = "",
                    fill: str = "error") -> np.ndarray:
    """Numeric columns of a CSV as (rows, len(columns)) float32, ordered by `time_column`.

    `time_column` may hold numbers or dates ("" keeps file order). Missing
    values are an error unless `fill="interpolate"`. Every problem raises a
    one-line DataError that names the column and the fix.
    """
    import pandas as pd

    frame = read_csv(path, "data file", "pass an existing CSV path with --set data=")
    needed = [*columns, time_column] if time_column else list(columns)
    for column in needed:
        if column not in frame.columns:
            raise DataError(
                f"{path} has no column '{column}' (columns: {', '.join(map(str, frame.columns))});"
                " set --set target=/features=/time_column= to existing columns"
            )
    if time_column:
        # Order by time; dates and plain numbers both sort correctly once parsed.
        raw_time = frame[time_column]
        order = pd.to_numeric(raw_time, errors="coerce")
        if order.isna().any():
            order = pd.to_datetime(raw_time, errors="coerce", format="mixed")
        if order.isna().any():
            row = int(np.flatnonzero(order.isna().to_numpy())[0]) + 2
            raise DataError(
                f"{path}: time column '{time_column}' has an unreadable value at line "
                f"{row} ('{raw_time.iloc[row - 2]}'); fix it or --set time_column= to keep file order"
            )
        frame = frame.iloc[np.argsort(order.to_numpy(), kind="stable")]
    values = []
    for column in columns:
        numeric = pd.to_numeric(frame[column], errors="coerce")
        bad = numeric.isna() & frame[column].notna()
        if bad.any():
            where = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(
                f"{path}: column '{column}' has a non-numeric value "
                f"('{frame[column].iloc[where]}'); clean the column or choose another"
            )
        if numeric.isna().any():
            if fill == "error":
                raise DataError(
                    f"{path}: column '{column}' has {int(numeric.isna().sum())} missing values; "
                    "fill them or pass --set fill=interpolate"
                )
            numeric = numeric.interpolate(limit_direction="both")
        values.append(numeric.to_numpy(dtype="float32"))
    return np.stack(values, axis=1)
