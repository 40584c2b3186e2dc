"""Distributed hyperparameter search on keras-tuner's own chief/worker mechanism.

keras-tuner runs one *chief* that holds the oracle behind a gRPC server and
any number of *workers* that ask it for trials, train them and report their
scores. A process learns its role from three environment variables, which
this module sets from seqsuite's options:

    KERASTUNER_TUNER_ID     "chief" on the chief, the worker's id elsewhere
    KERASTUNER_ORACLE_IP    the chief's address (--listen / --oracle HOST)
    KERASTUNER_ORACLE_PORT  the chief's port    (--listen / --oracle PORT)

Who writes where: the chief owns OUT (it holds its lock, writes
`trials.json`, `best_config.json` and trains the best config into OUT/best,
exactly as a single-process search does). Each worker owns its own marked,
locked directory (keras-tuner's per-tuner project folder lives in it); with
`--workers N` these are OUT/workers/<id>, and each worker's log goes to
OUT/logs/<id>.log. Nobody shares a lock.

Failure: the chief serves the oracle itself (keras-tuner's `start_server`
with two changes: it refuses a taken port instead of sharing it, and it
polls its own worker processes). A local worker that dies has its running
trial ended as FAILED and its id retired, so the search finishes with the
others and loses at most that trial. A worker restarted with the same
`--worker-id` is handed back the trial it was running (keras-tuner's
`create_trial` returns a tuner id's ongoing trial), so on a cluster a
restarted pod or array task joins again.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import subprocess
import time
from concurrent import futures
from pathlib import Path

from seqsuite.shared.errors import ConfigError, TrainingError

ROLES = ("chief", "worker")
ENV = ("KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT")


def parse_address(text: str, flag: str) -> tuple[str, int]:
    """`HOST:PORT` -> (host, port); a one-line error names the flag otherwise."""
    host, sep, port = str(text).rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"{flag} '{text}' is not HOST:PORT with a port in 1..65535, "
                          "e.g. 127.0.0.1:8000")
    return host.strip("[]"), int(port)


def check_worker_id(worker_id: str) -> str:
    # keras-tuner treats any id containing "chief" as the chief.
    if not worker_id or "chief" in worker_id or not all(
            c.isalnum() or c in "-_." for c in worker_id):
        raise ConfigError(f"--worker-id '{worker_id}' must be letters, digits, '-', '_' or '.', "
                          "and must not contain 'chief'; e.g. --worker-id worker0")
    return worker_id


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def check_port_free(host: str, port: int, flag: str = "--listen") -> None:
    """Refuse a port another process listens on (checked before TensorFlow loads)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                raise ConfigError(f"{flag} {host}:{port}: port {port} is taken; choose another "
                                  "port or stop the process that holds it") from err
            raise ConfigError(f"{flag} {host}:{port}: cannot listen there ({err.strerror}); "
                              "use an address of this machine, e.g. 0.0.0.0") from err


@contextlib.contextmanager
def keras_tuner_env(tuner_id: str, host: str, port: int):
    """Set keras-tuner's three variables for the block and restore them after."""
    saved = {k: os.environ.get(k) for k in ENV}
    os.environ.update(KERASTUNER_TUNER_ID=tuner_id, KERASTUNER_ORACLE_IP=host,
                      KERASTUNER_ORACLE_PORT=str(port))
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def start_workers(command: list[str], out: Path, n: int, host: str, port: int) -> dict:
    """Start `n` local worker processes; returns {worker id: Popen}."""
    logs = out / "logs"
    logs.mkdir(exist_ok=True)
    procs = {}
    for i in range(n):
        wid = f"worker{i}"
        argv = [*command, "--role", "worker", "--oracle", f"{host}:{port}",
                "--worker-id", wid, "--out", str(out / "workers" / wid)]
        log = (logs / f"{wid}.log").open("w")
        procs[wid] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL)
        log.close()
    return procs


def retire_worker(oracle, worker_id: str, why: str) -> None:
    """End a dead worker's running trial as FAILED and forget the worker."""
    from keras_tuner.src.engine import trial as trial_module
    from keras_tuner.src.engine.oracle import LOCKS

    with LOCKS[oracle]:
        trial = oracle.ongoing_trials.get(worker_id)
        oracle.tuner_ids.discard(worker_id)
    if trial is not None:
        trial.status = trial_module.TrialStatus.FAILED
        trial.message = why
        # Keep keras-tuner's "3 consecutive failures" stop from firing on
        # crashed workers: those are lost trials, not a diverging search.
        oracle.max_consecutive_failed_trials = max(oracle.max_consecutive_failed_trials, 10**6)
        oracle.end_trial(trial)
        print(f"  {worker_id} died ({why}); trial {trial.trial_id} recorded as failed",
              flush=True)


def serve(tuner, host: str, port: int, workers: dict | None = None, poll: float = 0.5) -> None:
    """Run the oracle's gRPC server until every trial is handed out and ended.

    keras-tuner's `oracle_chief.start_server`, with a refused (not shared)
    port, a faster exit poll, progress lines, and the local workers watched.
    """
    import grpc
    from keras_tuner.src import protos
    from keras_tuner.src.distribute.oracle_chief import OracleServicer, exit_chief

    oracle = tuner.oracle
    oracle.verbose = 0  # keras-tuner's table is per-process; the lines below cover all workers
    tuner.save()
    # gRPC sets SO_REUSEPORT by default, which would let two chiefs share a port.
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1),
                         options=[("grpc.so_reuseport", 0)])
    servicer = OracleServicer(oracle)
    protos.get_service_grpc().add_OracleServicer_to_server(servicer, server)
    try:
        bound = server.add_insecure_port(f"{host}:{port}")
    except RuntimeError:
        bound = 0
    if not bound:
        raise ConfigError(f"--listen {host}:{port}: port {port} is taken; choose another port "
                          "or stop the process that holds it")
    server.start()
    print(f"oracle listening on {host}:{port}", flush=True)
    done = 0
    try:
        while True:
            time.sleep(poll)
            ended = len(oracle.end_order)
            if ended != done:
                done = ended
                print(f"  {done}/{oracle.max_trials} trials ended", flush=True)
            for wid, proc in (workers or {}).items():
                code = proc.poll()
                if code is not None and (wid in oracle.tuner_ids or wid in oracle.ongoing_trials):
                    retire_worker(oracle, wid, f"exit status {code}")
            if servicer.stop_triggered and exit_chief(oracle):
                break
            if workers and all(p.poll() is not None for p in workers.values()) \
                    and exit_chief(oracle) and not servicer.stop_triggered:
                raise TrainingError("every tuning worker exited before the search finished; "
                                    "see the logs in OUT/logs")
    finally:
        server.stop(grace=1)
        for proc in (workers or {}).values():
            if proc.poll() is None:
                proc.terminate()
        for proc in (workers or {}).values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=30)
