"""The walkthroughs: sources in sync with their notebooks, and every notebook runs.

The notebooks run one after another in one Jupyter kernel, its namespace reset before
each, so TensorFlow is imported once rather than once per notebook. A notebook's
training cell that asks for exactly the smoke run the contract test trains (same suite,
same resolved config, preset `smoke`) gets a copy of that run, trained once per test
session; any other training call trains for real. Every cell of every notebook still
runs, top to bottom, against a complete run directory.
"""

import os
import runpy
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

HERE = Path(__file__).parents[1] / "notebooks"
NOTEBOOKS = sorted(HERE.glob("*.ipynb"))
sync = runpy.run_path(str(HERE / "sync.py"))

# Run first in the kernel before each notebook: `runner.train` hands out a copy of the
# finished smoke run SMOKE_RUN when asked for the very config and preset it was trained with,
# then the namespace is cleared so the notebook starts from nothing.
PROLOGUE = """\
def _reuse_smoke_run(run):
    import functools, inspect, json, shutil
    from pathlib import Path
    import keras, matplotlib.pyplot
    from seqsuite.shared.run import runner
    from seqsuite.shared.run.config import config_to_dict

    matplotlib.pyplot.close("all")
    keras.backend.clear_session()
    train = getattr(runner.train, "trains", runner.train)
    trained = json.loads((Path(run) / "config.json").read_text())
    preset = json.loads((Path(run) / "run.json").read_text())["preset"]

    def reuse(*args, **kwargs):
        call = inspect.signature(train).bind(*args, **kwargs)
        call.apply_defaults()
        asked, config = call.arguments, call.arguments["config"]
        learned = config_to_dict(config, "learned")
        user = {k: v for k, v in config_to_dict(config).items() if k not in learned}
        if (json.loads(json.dumps(user)) != trained or asked["preset"] != preset
                or asked["strategy"] or Path(asked["out"]).exists()):
            return train(*args, **kwargs)
        shutil.copytree(run, asked["out"], ignore=shutil.ignore_patterns("evaluations", "*.lock"))
        return json.loads((Path(asked["out"]) / "metrics.json").read_text())

    runner.train = functools.update_wrapper(reuse, train)
    runner.train.trains = train


_reuse_smoke_run(SMOKE_RUN)
%reset -f
"""


@pytest.fixture(scope="module")
def kernel():
    from jupyter_client.manager import start_new_kernel

    env = {**os.environ, "SEQSUITE_NOTEBOOK_PRESET": "smoke", "TF_CPP_MIN_LOG_LEVEL": "2"}
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(HERE), env=env)
    yield km, kc
    kc.stop_channels()
    km.shutdown_kernel(now=True)


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
def test_notebook_runs_on_smoke_preset(path, kernel, smoke_run):
    notebook = nbformat.read(path, as_version=4)
    run = smoke_run(path.stem)
    prologue = nbformat.v4.new_code_cell(PROLOGUE.replace("SMOKE_RUN", repr(str(run))))
    notebook.cells.insert(0, prologue)
    km, kc = kernel
    client = NotebookClient(notebook, km=km, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(HERE)}})
    client.kc = kc
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not prologue.outputs  # the reset left nothing behind to print
    # every walkthrough prints its run's metrics table
    assert any("test" in o.get("text", "") for o in outputs)


def test_every_suite_has_a_notebook():
    from seqsuite import registry

    assert set(registry.names()) <= {p.stem for p in NOTEBOOKS}
