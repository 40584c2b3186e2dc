"""Timing and quality scripts, run as `python -m benchmarks.<name>`; results go in BENCHMARKS.md."""

from __future__ import annotations

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
    from seqsuite.shared import runner

    suite = registry.get(suite_name)
    config = runner.resolve_config(suite, preset, [*overrides, "verbose=0"])
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        metrics = runner.train(suite, config, Path(out) / "run", preset)
        yield metrics, time.perf_counter() - start, Path(out) / "run"
