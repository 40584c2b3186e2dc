"""Timing and quality scripts, run as `python -m benchmarks.<name>`; results go in BENCHMARKS.md."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def scratch_run(suite_name: str, preset: str, overrides: list[str]):
    """Train one run in a temporary directory, as `seqsuite train` would.

    Yields `(metrics, seconds, run_dir)`; the directory exists until the block ends.
    """
    from seqsuite import registry
    from seqsuite.shared.run import runner

    suite = registry.get(suite_name)
    config = runner.resolve_config(suite, preset, [*overrides, "verbose=0"])
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        metrics = runner.train(suite, config, Path(out) / "run", preset)
        yield metrics, time.perf_counter() - start, Path(out) / "run"


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def train_with_workers(argv: list[str], out: Path, workers: int) -> float:
    """Run `seqsuite train` command `argv` (writing `out`) in one process, or in
    `workers` processes under `--strategy multi_worker` on loopback; its fit seconds."""
    if workers == 1:
        subprocess.run(argv, check=True, capture_output=True)
    else:
        cluster = {"worker": [f"127.0.0.1:{free_port()}" for _ in range(workers)]}
        procs = [subprocess.Popen(
            [*argv, "--strategy", "multi_worker"], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env=dict(os.environ, TF_CONFIG=json.dumps(
                {"cluster": cluster, "task": {"type": "worker", "index": i}})))
            for i in range(workers)]
        if any(p.wait() != 0 for p in procs):
            raise SystemExit("multi_worker run failed")
    return json.loads((out / "run.json").read_text())["fit_seconds"]
