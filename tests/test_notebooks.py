"""The walkthroughs: sources in sync with their notebooks, and every notebook runs."""

import runpy
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

HERE = Path(__file__).parents[1] / "notebooks"
NOTEBOOKS = sorted(HERE.glob("*.ipynb"))
sync = runpy.run_path(str(HERE / "sync.py"))


def test_committed_notebooks_match_their_sources():
    assert sync["stale"]() == []
    assert {p.stem for p in sync["sources"]()} == {p.stem for p in NOTEBOOKS}


def test_a_changed_source_is_detected(tmp_path):
    source = HERE / "forecasting.py"
    text = sync["build"](source)
    changed = tmp_path / "forecasting.py"
    changed.write_text(source.read_text().replace("# ## Setup", "# ## Set-up"))
    assert sync["build"](changed) != text


@pytest.mark.slow
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
    from seqsuite import registry

    assert set(registry.names()) <= {p.stem for p in NOTEBOOKS}
