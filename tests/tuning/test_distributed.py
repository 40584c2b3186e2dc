"""Distributed tuning on keras-tuner's chief/worker mechanism, over loopback."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seqsuite.cli import main

# The memory suite's adding problem at its cheapest: a trial takes a second or two of
# training, so the processes' start-up (each imports TensorFlow) dominates these tests.
SMALL = ["samples=256", "length=32", "batch_size=64"]
SMOKE = ["--preset", "smoke", "--set", *SMALL, "epochs=1"]


def check_search_output(out: Path, max_trials: int) -> list:
    trials = json.loads((out / "trials.json").read_text())
    assert 1 <= len(trials) <= max_trials
    best = json.loads((out / "best_config.json").read_text())
    # The suite's search space maps some values (clip_norm 0 -> None); these two it keeps.
    assert best["cell"] == trials[0]["hyperparameters"]["cell"]
    assert best["units"] == trials[0]["hyperparameters"]["units"]
    assert (out / "best" / "metrics.json").exists() and (out / "best" / "export").is_dir()
    assert (out / ".seqsuite").is_file() and not (out / ".seqsuite.lock").exists()
    return trials


@pytest.mark.slow
def test_chief_and_two_workers_finish_a_search(tmp_path, capsys):
    out = tmp_path / "t"
    assert main(["tune", "memory", "--workers", "2", "--max-trials", "2", *SMOKE,
                 "--out", str(out)]) == 0
    trials = check_search_output(out, 2)
    assert len(trials) == 2
    # Each worker wrote only its own marked directory; trials ran on both.
    for wid in ("worker0", "worker1"):
        assert (out / "workers" / wid / ".seqsuite").is_file()
        assert "no trials left" in (out / "logs" / f"{wid}.log").read_text()
    ran = list((out / "workers").glob("*/search/trial_*"))
    assert len(ran) == 2
    assert "2/2 trials ended" in capsys.readouterr().out


def _pid_of(worker_id: str, out: Path) -> int | None:
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if worker_id.encode() in argv and str(out).encode() in b" ".join(argv):
            return int(proc.name)
    return None


@pytest.mark.slow
def test_a_killed_worker_loses_only_its_trial(tmp_path):
    out = tmp_path / "t"
    chief = subprocess.Popen(
        [sys.executable, "-m", "seqsuite.cli", "tune", "memory", "--workers", "2",
         "--max-trials", "3", "--preset", "smoke", "--set", *SMALL, "epochs=3",
         "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 240
        while not list((out / "workers").glob("worker1/search/trial_*")):
            assert chief.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        pid = _pid_of("worker1", out)
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        text, _ = chief.communicate(timeout=400)
    finally:
        if chief.poll() is None:
            chief.kill()
    assert chief.returncode == 0, text
    assert "worker1 died" in text
    trials = check_search_output(out, 3)
    # The killed worker's trial is recorded as failed, unscored; the others finished.
    failed = [t for t in trials if t["status"] == "FAILED"]
    assert len(failed) == 1 and failed[0]["val_loss"] is None
    assert trials[0]["status"] == "COMPLETED" and trials[0]["val_loss"] is not None


@pytest.mark.slow
def test_a_restarted_cluster_worker_takes_back_its_trial(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = [sys.executable, "-m", "seqsuite.cli", "tune", "memory", "--max-trials", "2",
            "--preset", "smoke", "--set", *SMALL, "epochs=3"]

    def worker(wid):
        return subprocess.Popen([*base, "--role", "worker", "--oracle", f"127.0.0.1:{port}",
                                 "--worker-id", wid, "--out", str(tmp_path / wid)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    chief = subprocess.Popen([*base, "--role", "chief", "--listen", f"127.0.0.1:{port}",
                              "--out", str(tmp_path / "chief")],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    procs = [chief]
    try:
        procs.append(worker("w0"))
        w1 = worker("w1")
        procs.append(w1)
        deadline = time.monotonic() + 240
        while not list(tmp_path.glob("w1/search/trial_*")):
            assert w1.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        w1.kill()
        w1.wait()
        again = worker("w1")  # same id: the oracle hands it its unfinished trial
        procs.append(again)
        assert again.wait(timeout=400) == 0
        text, _ = chief.communicate(timeout=400)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert chief.returncode == 0, text
    trials = check_search_output(tmp_path / "chief", 2)
    assert [t["status"] for t in trials] == ["COMPLETED", "COMPLETED"]


def test_chief_refuses_a_taken_port(tmp_path, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        code = main(["tune", "memory", "--role", "chief", "--listen", f"127.0.0.1:{port}",
                     *SMOKE, "--out", str(tmp_path / "t")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert f"port {port} is taken" in err
    assert not (tmp_path / "t").exists()


@pytest.mark.parametrize("argv, message", [
    (["--workers", "-1"], "--workers must be >= 0"),
    (["--role", "boss"], "unknown --role 'boss'"),
    (["--role", "worker", "--oracle", "127.0.0.1:9"], "needs --oracle HOST:PORT and --worker-id"),
    (["--role", "worker", "--oracle", "nowhere", "--worker-id", "w0"], "is not HOST:PORT"),
    (["--role", "worker", "--oracle", "h:1", "--worker-id", "chief1"], "must not contain 'chief'"),
    (["--role", "chief"], "needs --listen HOST:PORT"),
    (["--workers", "2", "--role", "chief"], "leave out --role"),
    (["--oracle", "h:1"], "need --role chief or worker"),
])
def test_distributed_options_are_checked_before_tensorflow(tmp_path, capsys, argv, message):
    assert main(["tune", "memory", *argv, "--out", str(tmp_path / "t")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
