"""The command line: fast answers to bad input, quiet start-up, entry points."""

import os
import subprocess
import sys

import pytest

import seqsuite

PROBE = """
import sys
sys.argv[0] = "seqsuite"
from seqsuite.cli import main
code = main({argv!r})
assert "tensorflow" not in sys.modules, "TensorFlow was imported"
sys.exit(code)
"""


def _cli(*argv, env=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "seqsuite", *argv], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, cwd=cwd)


@pytest.mark.parametrize("argv, message", [
    (["train", "nosuch"], "unknown suite 'nosuch'"),
    (["train", "forecasting", "--preset", "nosuch"], "unknown preset 'nosuch'"),
    (["train", "forecasting", "--set", "unitz=3"], "did you mean 'units'"),
    (["train", "forecasting", "--set", "units=x"], "expects int"),
    (["train", "forecasting", "--set", "data=missing.csv"], "file not found"),
    (["tune", "reservoir", "--set", "input_mean=1"], "learned from the training data"),
    (["evaluate", "--run", "nowhere"], "nowhere is not a directory; pass the --out directory"),
    (["predict", "--run", "nowhere", "x"], "nowhere is not a directory"),
    (["generate"], "seqsuite generate needs --run RUN"),
    (["backtest", "--run", ".", "--origins", "0"], "not a finished seqsuite run"),
    (["export", "--run", ".", "--quantize", "dynamic"], "--quantize applies to a TensorFlow "
     "Lite export; add --tflite"),
])
def test_bad_input_is_answered_before_tensorflow_loads(argv, message, tmp_path):
    proc = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)], capture_output=True,
                          text=True, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("seqsuite: error:") and message in lines[0]
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_list_help_and_version_import_no_tensorflow():
    for argv in (["list"], ["--help"], ["--version"]):
        probe = PROBE.format(argv=argv).replace("code = main", "try:\n    code = main").replace(
            "\nassert", "\nexcept SystemExit as exit:\n    code = exit.code\nassert")
        proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    assert _cli("--version").stdout.strip() == f"seqsuite {seqsuite.__version__}"
    assert "forecasting" in _cli("list").stdout


@pytest.mark.slow
def test_training_prints_no_start_up_lines(tmp_path):
    argv = ["train", "forecasting", "--preset", "smoke", "--set", "data=sunspots", "epochs=1",
            "--out", str(tmp_path / "run")]
    quiet = _cli(*argv)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr.splitlines() == []
    assert "forecasting (smoke)" in quiet.stdout
    # On request, TensorFlow's own lines come back for debugging (here before the one
    # line of a run that fails once TensorFlow has loaded).
    bad = tmp_path / "bad.csv"
    bad.write_text("time,value\n1,2\n")
    loud = _cli("train", "forecasting", "--set", f"data={bad}", "--out", str(tmp_path / "r"),
                env={"SEQSUITE_VERBOSE": "1"})
    assert loud.returncode == 2
    assert len(loud.stderr.splitlines()) > 1 and "too few" in loud.stderr.splitlines()[-1]


@pytest.mark.slow
def test_an_error_after_tensorflow_loaded_is_still_one_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("time,value\n1,2\n")
    proc = _cli("train", "forecasting", "--set", f"data={bad}", "--out", str(tmp_path / "r"))
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and "too few" in lines[0], proc.stderr
    assert not (tmp_path / "r").exists()
