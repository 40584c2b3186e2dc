"""Timing and quality scripts, run as `python -m benchmarks.<name>` (`make bench`: all of them).

Each writes `benchmarks/results/<name>.json` through `benchmarks.record`;
`python -m benchmarks.render` turns those files into the pages in docs/benchmarks/.
"""

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
    `workers` processes under `--strategy multi_worker` on loopback; its fit seconds.

    A run that fails stops the benchmark with the end of its error output."""
    if workers == 1:
        done = subprocess.run(argv, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"`{' '.join(argv)}` failed:\n{done.stderr[-3000:]}")
    else:
        cluster = {"worker": [f"127.0.0.1:{free_port()}" for _ in range(workers)]}
        with tempfile.TemporaryDirectory() as logs:
            errors = [Path(logs) / f"worker{i}.err" for i in range(workers)]
            procs = []
            for i, error in enumerate(errors):
                with open(error, "w") as stderr:
                    procs.append(subprocess.Popen(
                        [*argv, "--strategy", "multi_worker"], stdout=subprocess.DEVNULL,
                        stderr=stderr, env=dict(os.environ, TF_CONFIG=json.dumps(
                            {"cluster": cluster, "task": {"type": "worker", "index": i}}))))
            statuses = [p.wait() for p in procs]
            if any(statuses):
                failed = statuses.index(next(s for s in statuses if s))
                raise SystemExit(f"multi_worker run failed (worker {failed}: status "
                                 f"{statuses[failed]}):\n{errors[failed].read_text()[-3000:]}")
    return json.loads((out / "run.json").read_text())["fit_seconds"]
