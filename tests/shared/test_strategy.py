"""`seqsuite train --strategy`: tf.distribute data-parallel training."""

import json
import os
import socket
import subprocess
import sys

import pytest

from seqsuite.cli import main

SMOKE = ["--preset", "smoke", "--set", "data=sunspots", "epochs=2"]
# Two workers split each epoch's batches and all-reduce their gradients; on
# this smoke run the test metrics agreed with one process to 0.01% (MAE
# 51.020 against 51.025); the bound leaves room for reduction order.
TOLERANCE = 0.02


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_workers_match_one_process(tmp_path):
    ports = [_free_port(), _free_port()]
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    out = tmp_path / "mw"
    procs = []
    for index in range(2):
        env = dict(os.environ, TF_CONFIG=json.dumps(
            {"cluster": cluster, "task": {"type": "worker", "index": index}}))
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "seqsuite.cli", "train", "forecasting", *SMOKE,
             "--strategy", "multi_worker", "--out", str(out)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    try:
        outputs = [p.communicate(timeout=400)[0] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert [p.returncode for p in procs] == [0, 0], outputs
    # Only the chief (worker 0) wrote the run; worker 1's directory is gone.
    assert (out / "metrics.json").exists() and (out / "export").is_dir()
    assert not (tmp_path / ".mw.worker1").exists()
    assert main(["train", "forecasting", *SMOKE, "--out", str(tmp_path / "one")]) == 0
    multi = json.loads((out / "metrics.json").read_text())["test"]["model"]
    single = json.loads((tmp_path / "one" / "metrics.json").read_text())["test"]["model"]
    for key in ("mae", "rmse"):
        assert abs(multi[key] - single[key]) <= TOLERANCE * single[key], (multi, single)


@pytest.mark.slow
def test_mirrored_trains_a_run(tmp_path, capsys):
    out = tmp_path / "m"
    assert main(["train", "forecasting", *SMOKE, "--strategy", "mirrored", "--out",
                 str(out)]) == 0
    assert (out / "metrics.json").exists() and (out / "model.keras").exists()


@pytest.mark.parametrize("strategy, tf_config, message", [
    ("ring", None, "unknown --strategy 'ring'; use mirrored or multi_worker"),
    ("multi_worker", None, "reads the cluster from TF_CONFIG, which is not set"),
    ("multi_worker", "{not json", "TF_CONFIG is not a cluster spec"),
    ("multi_worker", '{"cluster": {"worker": ["h:1"]}, "task": {"type": "worker", "index": 3}}',
     "TF_CONFIG is not a cluster spec"),
])
def test_strategy_options_are_one_line_errors(tmp_path, capsys, monkeypatch, strategy,
                                              tf_config, message):
    if tf_config is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", tf_config)
    assert main(["train", "forecasting", *SMOKE, "--strategy", strategy, "--out",
                 str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "r").exists()
