"""Build each walkthrough's notebook from its source: `python notebooks/sync.py [--check]`.

A walkthrough's source is the percent-format script beside it (`forecasting.py`,
read by ruff like any other code); the committed `.ipynb` is generated from it
without outputs, with stable cell ids, and executed by tests/test_notebooks.py
on the smoke preset. `--check` exits 1 when a committed notebook and its source
disagree (the tests run it too).
"""

from __future__ import annotations

import sys
from pathlib import Path

import jupytext
import nbformat

HERE = Path(__file__).resolve().parent
KERNEL = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
          "language_info": {"name": "python"}}


def sources() -> list[Path]:
    return sorted(p for p in HERE.glob("*.py") if p.name != Path(__file__).name)


def build(source: Path) -> str:
    """The notebook text generated from `source`."""
    notebook = jupytext.read(source, fmt="py:percent")
    notebook.metadata = dict(KERNEL)
    for index, cell in enumerate(notebook.cells):
        cell.id = f"{source.stem}-{index:02d}"
        cell.metadata = {}
    return nbformat.writes(notebook) + "\n"


def stale() -> list[str]:
    """Names of the notebooks that differ from (or lack) what their source builds."""
    out = []
    for source in sources():
        target = source.with_suffix(".ipynb")
        if not target.exists() or target.read_text() != build(source):
            out.append(target.name)
    return out


def main(argv: list[str]) -> int:
    if "--check" in argv:
        names = stale()
        for name in names:
            print(f"{name} is out of date; run `python notebooks/sync.py`", file=sys.stderr)
        return 1 if names else 0
    for source in sources():
        source.with_suffix(".ipynb").write_text(build(source))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
