"""The live side of the `stream` commands: a run's streaming SavedModel, and CSV lines read
one at a time as they arrive (a file, or standard input fed by `tail -f`).

    served = streaming_export(run)                  # checks it has `stream`
    state = served.signatures["initial_state"](batch_size=tf.constant(1))
    for number, row in csv_rows(source, numbers=["value"], texts=["time"]):
        out = served.signatures["stream"](value=..., **state)
        state = states_of(out)

A suite's `stream` command keeps only what it feeds in and prints: the reading, the
header rule and the handling of bad lines are the same for every suite.
"""

from __future__ import annotations

import contextlib
import csv
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from seqsuite.shared.errors import DataError


def streaming_export(run):
    """The run's SavedModel (`RUN/export`), loaded with plain TensorFlow; a `DataError` when
    it is missing or has no `stream` signature (exported before streaming existed)."""
    import tensorflow as tf

    export = Path(run.path) / "export"
    if not (export / "saved_model.pb").is_file():
        raise DataError(f"the run has no SavedModel at {export}; export it first "
                        f"(seqsuite export --run {run.path})")
    served = tf.saved_model.load(str(export))
    if "stream" not in served.signatures:
        raise DataError(f"the SavedModel at {export} has no stream signature; re-export it "
                        f"(seqsuite export --run {run.path} --overwrite)")
    return served


def states_of(outputs: dict) -> dict:
    """The `state_*` tensors of a `stream` call's outputs: the next call's state."""
    return {k: v for k, v in outputs.items() if k.startswith("state_")}


def lines(source: str) -> Iterator[str]:
    """The lines of `source` (a path, or "-" for standard input) as they arrive, each with
    its line break."""
    handle = sys.stdin if source == "-" else Path(source).open(encoding="utf-8")
    with contextlib.nullcontext(handle) if source == "-" else handle:
        yield from handle


def _numbers(cells: Sequence[str]) -> list[float] | None:
    try:
        return [float(c) for c in cells]
    except ValueError:
        return None


def csv_rows(source: str, numbers: Sequence[str], texts: Sequence[str] = (),
             missing: bool = False) -> Iterator[tuple[int, dict]]:
    """(line number, {column: value}) for each CSV line of `source` (a path, or "-" for
    standard input) as it arrives: `numbers` as floats, `texts` as strings; with
    `missing=True` an empty number cell is NaN (a missing observation), else a bad line.

    The first line may be a header (some of the `numbers` columns are not numbers there):
    its cells name the columns, others (a label, an id) are ignored, and one without a
    needed column stops the stream with a `DataError` before anything is read. Without a
    header each line holds `texts` then `numbers`, in that order. A later line that lacks
    a column or holds a non-number where a number belongs is skipped with one line on
    standard error naming it, and the stream goes on; blank lines are passed over.
    """
    wanted = [*texts, *numbers]
    positions = {name: i for i, name in enumerate(wanted)}
    for number, line in enumerate(lines(source), start=1):
        cells = next(csv.reader([line.strip()]), [])
        if not cells:
            continue
        if number == 1 and _numbers([c or "nan" for c in cells[len(texts):]]) is None:
            absent = [c for c in wanted if c not in cells]
            if absent:
                raise DataError(f"the header has no column {', '.join(map(repr, absent))}"
                                f"; the run reads {', '.join(wanted)}")
            positions = {name: cells.index(name) for name in wanted}
            continue
        row = {name: cells[i].strip() for name, i in positions.items() if i < len(cells)}
        values = _numbers([row[name] or ("nan" if missing else "") for name in numbers]
                          ) if len(row) == len(wanted) else None
        if values is None:
            before = f"{', '.join(texts)} then " if texts else ""
            count = f"{len(numbers)} number{'s' if len(numbers) > 1 else ''}"
            print(f"seqsuite: line {number} skipped: expected {before}{count} "
                  f"({', '.join(numbers)}), got {line.strip()!r}",
                  file=sys.stderr, flush=True)
            continue
        yield number, {**{name: row[name] for name in texts},
                       **dict(zip(numbers, values))}
