"""File safety: seqsuite never deletes or overwrites anything it did not create."""

import json
import shutil

import keras
import numpy as np
import pytest

from seqsuite import registry
from seqsuite.cli import main
from seqsuite.shared.errors import ConfigError
from seqsuite.shared.run import files, runner


@pytest.fixture(scope="module")
def run(smoke_run):
    """The session's forecasting smoke run (tests/conftest.py): read-only, so the tests that
    change a run change a copy."""
    return smoke_run("forecasting")


def _one_line_error(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("seqsuite: error:") and "\n" not in err and message in err, err


def _siblings(path):
    return sorted(p.name for p in path.parent.iterdir())


@pytest.mark.slow
def test_export_never_empties_a_users_directory(run, tmp_path, capsys):
    target = tmp_path / "d"
    target.mkdir()
    (target / "notes.txt").write_text("keep")
    for extra in ([], ["--overwrite"]):
        _one_line_error(capsys, ["export", "--run", str(run), "--out", str(target), *extra],
                        "did not create")
        assert (target / "notes.txt").read_text() == "keep"
    assert _siblings(target) == ["d"]


@pytest.mark.slow
def test_export_onto_a_file_is_refused_and_writes_nothing(run, tmp_path, capsys):
    target = tmp_path / "model"
    target.write_text("x")
    _one_line_error(capsys, ["export", "--run", str(run), "--out", str(target)], "existing file")
    assert _siblings(target) == ["model"] and target.read_text() == "x"
    _one_line_error(capsys, ["export", "--run", str(run), "--out", str(target / "sub")],
                    "is a file, not a directory")


@pytest.mark.slow
def test_export_replaces_only_its_own_export_and_only_when_asked(run, tmp_path, capsys):
    target = tmp_path / "sm"
    assert main(["export", "--run", str(run), "--out", str(target)]) == 0
    first = (target / "saved_model.pb").stat().st_mtime_ns
    _one_line_error(capsys, ["export", "--run", str(run), "--out", str(target)], "--overwrite")
    assert main(["export", "--run", str(run), "--out", str(target), "--overwrite"]) == 0
    assert (target / "saved_model.pb").stat().st_mtime_ns != first
    assert files.is_ours(target) and _siblings(target) == ["sm"]


def test_interrupted_replacement_leaves_the_previous_version(tmp_path):
    target = tmp_path / "out"
    with files.replacing(target, overwrite=False, what="test") as staged:
        (staged / "v").write_text("1")
    with pytest.raises(RuntimeError), files.replacing(target, overwrite=True, what="t") as staged:
        (staged / "v").write_text("2")
        raise RuntimeError("killed mid-write")
    assert (target / "v").read_text() == "1" and _siblings(target) == ["out"]


def test_train_refuses_a_folder_it_did_not_create_even_with_overwrite(tmp_path, capsys):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "data.csv").write_text("precious")
    _one_line_error(capsys, ["train", "forecasting", "--preset", "smoke", "--out", str(target),
                             "--overwrite"], "did not create")
    assert (target / "data.csv").read_text() == "precious"
    blocker = tmp_path / "file"
    blocker.write_text("x")
    _one_line_error(capsys, ["train", "forecasting", "--preset", "smoke", "--out",
                             str(blocker / "run")], "is a file, not a directory")


def test_a_second_writer_to_the_same_run_is_refused(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    files.mark(out, "run directory")
    with files.DirectoryLock(out):
        _one_line_error(capsys, ["train", "forecasting", "--preset", "smoke", "--set",
                                 "data=sunspots", "--out", str(out)], "another seqsuite process")
    assert not (out / "model.keras").exists()


@pytest.mark.slow
def test_overwrite_replaces_a_finished_run_in_one_move(run, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    before = json.loads((copy / "metrics.json").read_text())
    assert main(["train", "forecasting", "--preset", "smoke", "--set", "data=sunspots",
                 "epochs=1", "seed=3", "--out", str(copy), "--overwrite"]) == 0
    assert json.loads((copy / "config.json").read_text())["seed"] == 3
    assert json.loads((copy / "metrics.json").read_text()) != before
    assert _siblings(copy) == ["copy"]


@pytest.mark.slow
def test_run_is_portable_across_directories(tmp_path, monkeypatch, capsys):
    import pandas as pd

    home = tmp_path / "project"
    home.mkdir()
    t = np.arange(200)
    pd.DataFrame({"time": t, "value": np.sin(t / 5) + t / 50}).to_csv(home / "s.csv", index=False)
    monkeypatch.chdir(home)
    assert main(["train", "forecasting", "--preset", "smoke", "--set", "data=s.csv", "window=12",
                 "--out", "run"]) == 0
    moved = tmp_path / "elsewhere" / "run"
    moved.parent.mkdir()
    shutil.move(str(home / "run"), moved)
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["evaluate", "--run", str(moved)]) == 0
    assert "model" in capsys.readouterr().out
    assert main(["export", "--run", str(moved), "--out", "sm"]) == 0
    # A new test file: data fields may be repointed, model fields may not.
    pd.DataFrame({"time": t, "value": np.cos(t / 5)}).to_csv(tmp_path / "new.csv", index=False)
    assert main(["evaluate", "--run", str(moved), "--set", "data=new.csv"]) == 0
    _one_line_error(capsys, ["evaluate", "--run", str(moved), "--set", "units=4"],
                    "'units' is a model setting")


@pytest.mark.slow
def test_resumed_run_says_so(tmp_path, monkeypatch, capsys):
    out = tmp_path / "r"
    argv = ["train", "forecasting", "--preset", "smoke", "--out", str(out),
            "--set", "data=sunspots", "epochs=2"]
    original = keras.callbacks.CSVLogger.on_epoch_end

    def interrupt(self, epoch, logs=None):
        original(self, epoch, logs)
        raise KeyboardInterrupt

    monkeypatch.setattr(keras.callbacks.CSVLogger, "on_epoch_end", interrupt)
    assert main(argv) == 130
    monkeypatch.undo()
    capsys.readouterr()
    assert main(argv) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("resum")]
    assert lines == [f"resuming {out} after epoch 1 of 2"]


@pytest.mark.slow
def test_a_model_holding_a_lambda_is_refused(run, tmp_path, capsys):
    evil = tmp_path / "evil"
    shutil.copytree(run, evil)
    x = keras.Input((3,))
    model = keras.Model(x, keras.layers.Lambda(lambda v: v * 2)(x))
    model.save(evil / "model.keras")
    with pytest.raises(ConfigError, match="holds Python code"):
        runner.load_run(registry.get("forecasting"), evil)
    _one_line_error(capsys, ["evaluate", "--run", str(evil)], "holds Python code")


def test_tflite_names_the_operators_it_lacks_and_converts_the_lite_form(capfd):
    """A stream that ends in string operators is refused in one sentence naming them, the
    converter's own diagnostics kept off the terminal; the suite's `lite` form of the same
    endpoint (numbers out) is what converts."""
    import tensorflow as tf

    from seqsuite.shared.run.export import export_tflite
    from seqsuite.shared.run.suite import Serving

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])

    def text(x):
        return {"text": tf.strings.reduce_join(tf.strings.as_string(model(x)), axis=-1)}

    def numbers(x):
        return {"y": model(x)}

    spec = [tf.TensorSpec([None, 3], tf.float32, name="x")]
    serving = Serving(text, spec, endpoints={"stream": (text, spec)})
    capfd.readouterr()  # TensorFlow's start-up lines
    with pytest.raises(ConfigError, match="^TensorFlow Lite cannot convert the stream signature: "
                                          "it uses AsString, ReduceJoin, which"):
        export_tflite(model, serving)
    assert "error" not in capfd.readouterr().err
    lite = Serving(text, spec, endpoints={"stream": (text, spec)},
                   lite={"stream": (numbers, spec)})
    runner = tf.lite.Interpreter(model_content=export_tflite(model, lite)).get_signature_runner()
    x = np.arange(3, dtype="float32")[None]
    np.testing.assert_allclose(runner(x=x)["y"], model(x).numpy(), atol=1e-6)
