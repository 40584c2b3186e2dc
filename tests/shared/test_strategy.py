"""`seqsuite train --strategy`: tf.distribute data-parallel training."""

import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from seqsuite.cli import main

SMOKE = ["--preset", "smoke", "--set", "data=sunspots", "epochs=2", "learning_rate=1e-3"]
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
    # The workers are fresh processes; so, as far as TensorFlow's seeds go, is this one
    # (an earlier test may have left a global seed set, which reorders the shuffle).
    tf.random.set_seed(None)
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


def _cluster_env(index: int, ports: list[int]) -> dict:
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    return dict(os.environ, TF_CONFIG=json.dumps(
        {"cluster": cluster, "task": {"type": "worker", "index": index}}))


def _train(argv, env=None):
    return subprocess.Popen([sys.executable, "-m", "seqsuite.cli", "train", *argv], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _train_workers(argv, ports):
    """Run `seqsuite train ARGV --strategy multi_worker` on two loopback workers."""
    procs = [_train([*argv, "--strategy", "multi_worker"], _cluster_env(i, ports))
             for i in range(2)]
    try:
        outputs = [p.communicate(timeout=400)[0] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert [p.returncode for p in procs] == [0, 0], outputs
    return outputs


def test_ridge_statistics_summed_over_shares_equal_the_whole(monkeypatch):
    """Each replica sums its share of the rows; the shares' sums are the whole data's."""
    from seqsuite.shared.layers.reservoir import RidgeReadout, layers

    rng = np.random.default_rng(0)
    batches = [(rng.normal(size=(2, 37, 6)), rng.normal(size=(2, 37, 3))),
               (rng.normal(size=(1, 5, 6)), rng.normal(size=(1, 5, 3)))]  # 5 rows, 3 replicas
    whole = RidgeReadout(3, ridge=1e-3)
    for x, y in batches:
        whole.update_statistics(x, y)
    expected = whole.statistics()
    rows = np.concatenate([x.reshape(-1, 6) for x, _ in batches])
    targets = np.concatenate([y.reshape(-1, 3) for _, y in batches])
    np.testing.assert_allclose(expected[0], rows.T @ rows, rtol=1e-12)
    np.testing.assert_allclose(expected[1], rows.T @ targets, rtol=1e-12)
    shares = []
    for replica in range(3):  # as the process holding replica `replica` of 3 sees it
        monkeypatch.setattr(layers, "local_replicas", lambda r=replica: ([r], 3))
        share = RidgeReadout(3, ridge=1e-3)
        for x, y in batches:
            share.update_statistics(x, y)
        shares.append(share.statistics())  # outside a strategy the all-reduce is one replica's
        assert 0 < shares[-1][4] < expected[4]
    for total, part in zip(expected, map(sum, zip(*shares))):
        np.testing.assert_allclose(part, total, rtol=1e-12, atol=1e-12)


def test_readout_under_a_strategy_scope_is_the_plain_fit():
    """The one code path: under MirroredStrategy (one CPU replica) the fit is unchanged."""
    from seqsuite.shared.layers.reservoir import ESN

    t = np.arange(801)
    series = np.sin(0.1 * t)[None, :, None]
    plain = ESN(units=30, spectral_radius=0.9, leak_rate=0.5, seed=0).fit(
        series[:, :-1], series[:, 1:], warmup=50)
    with tf.distribute.MirroredStrategy().scope():
        scoped = ESN(units=30, spectral_radius=0.9, leak_rate=0.5, seed=0).fit(
            series[:, :-1], series[:, 1:], warmup=50)
    np.testing.assert_allclose(scoped.readout.kernel.numpy(), plain.readout.kernel.numpy(),
                               rtol=1e-6, atol=1e-6)


@pytest.mark.slow
def test_two_workers_fit_the_reservoir_readout_of_one_process(tmp_path):
    """Each worker sums XᵀX and XᵀY over its half of the rows; the all-reduced sums
    give every worker the readout one process fits on all the rows."""
    import keras

    import seqsuite

    smoke = ["reservoir", "--preset", "smoke"]
    _train_workers([*smoke, "--out", str(tmp_path / "mw")], [_free_port(), _free_port()])
    assert (tmp_path / "mw" / "metrics.json").exists()
    assert main(["train", *smoke, "--out", str(tmp_path / "one")]) == 0
    seqsuite.register()
    multi, single = (keras.saving.load_model(tmp_path / name / "model.keras").readout
                     for name in ("mw", "one"))
    # float64 sums added in another order, then rounded to float32 weights.
    np.testing.assert_allclose(multi.kernel.numpy(), single.kernel.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(multi.bias.numpy(), single.bias.numpy(), rtol=1e-5, atol=1e-5)


RESUME = ["memory", "--preset", "smoke", "--set", "samples=256", "batch_size=64", "units=8"]


def _wait_for_an_epoch(proc, out):
    """Return once `out` holds a finished epoch's checkpoint, while `proc` trains."""
    state = out / "checkpoint" / "state.json"
    deadline = time.monotonic() + 300
    while not state.exists():
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.02)


def _interrupted_at(out) -> int:
    """The last finished epoch of an interrupted run (index from 0)."""
    assert not (out / "metrics.json").exists(), "the run finished before it was interrupted"
    return json.loads((out / "checkpoint" / "state.json").read_text())["epoch"]


def _assert_complete(out, epochs: int, done: int, output: str):
    assert f"resuming {out} after epoch {done + 1} of {epochs}" in output, output
    with (out / "history.csv").open() as f:
        assert [int(row["epoch"]) for row in csv.DictReader(f)] == list(range(epochs))
    for name in ("metrics.json", "model.keras", "config.json", "run.json"):
        assert (out / name).exists(), name
    assert (out / "export").is_dir() and not (out / "checkpoint").exists()


@pytest.mark.slow
def test_interrupted_mirrored_run_resumes_after_the_last_finished_epoch(tmp_path):
    epochs = 12  # long enough to be killed mid-run: about 0.3 s an epoch here
    out = tmp_path / "m"
    argv = [*RESUME, "--set", f"epochs={epochs}", "--strategy", "mirrored", "--out", str(out)]
    first = _train(argv)
    _wait_for_an_epoch(first, out)
    first.kill()
    first.communicate()
    done = _interrupted_at(out)
    rerun = _train(argv)
    output = rerun.communicate(timeout=400)[0]
    assert rerun.returncode == 0, output
    _assert_complete(out, epochs, done, output)


@pytest.mark.slow
def test_multi_worker_run_resumes_with_a_worker_on_a_fresh_host(tmp_path):
    """Worker 1 is killed mid-run (the chief then fails on its collectives) and comes
    back without its directory; both resume after the chief's last finished epoch."""
    epochs = 3
    out = tmp_path / "mw"
    argv = [*RESUME, "--set", f"epochs={epochs}", "--out", str(out)]
    ports = [_free_port(), _free_port()]
    procs = [_train([*argv, "--strategy", "multi_worker"], _cluster_env(i, ports))
             for i in range(2)]
    _wait_for_an_epoch(procs[0], out)
    procs[1].kill()
    try:  # TensorFlow's health check stops the chief's collectives in about 10 s
        procs[0].communicate(timeout=120)
    except subprocess.TimeoutExpired:
        procs[0].kill()
    procs[1].communicate()
    done = _interrupted_at(out)
    shutil.rmtree(tmp_path / ".mw.worker1")  # the worker comes back on a fresh host
    outputs = _train_workers(argv, [_free_port(), _free_port()])
    _assert_complete(out, epochs, done, outputs[0])
    assert not (tmp_path / ".mw.worker1").exists()
