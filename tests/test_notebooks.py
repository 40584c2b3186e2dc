"""Execute every notebook on the smoke preset; a failing cell fails the test."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_on_smoke_preset(path, monkeypatch):
    monkeypatch.setenv("SEQSUITE_NOTEBOOK_PRESET", "smoke")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    # every walkthrough prints its run's metrics table
    assert any("test" in o.get("text", "") for o in outputs)


def test_every_suite_has_a_notebook():
    from seqsuite.shared.runner import suite_names

    assert set(suite_names()) <= {p.stem for p in NOTEBOOKS}
