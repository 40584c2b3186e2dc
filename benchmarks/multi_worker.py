"""Per-step overhead of `--strategy multi_worker` with 2 local workers against one process.

    python -m benchmarks.multi_worker [--epochs 3]

Trains forecasting (sunspots, smoke preset) once in one process and once as
two MultiWorkerMirroredStrategy workers on loopback (TF_CONFIG), and compares
the fit time each run records in run.json (`fit_seconds`: model.fit only, not
start-up, evaluation or export), per batch of the suite's training data
(both runs go through every batch each epoch; with two workers each step
takes one batch per worker and all-reduces the gradients).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from benchmarks import train_with_workers


def run(out: Path, epochs: int, workers: int) -> float:
    argv = [sys.executable, "-m", "seqsuite.cli", "train", "forecasting", "--preset", "smoke",
            "--set", "data=sunspots", f"epochs={epochs}", "--out", str(out)]
    return train_with_workers(argv, out, workers)


def train_batches() -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from seqsuite import registry

    suite = registry.get("forecasting")
    config = registry.resolve_config("forecasting", "smoke", ["data=sunspots"])
    return sum(1 for _ in suite.load_data(config).train)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args(argv)
    batches = train_batches() * args.epochs
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2):
            load = os.getloadavg()[0]
            seconds = run(Path(tmp) / f"w{workers}", args.epochs, workers)
            rows.append((workers, load, seconds, 1000 * seconds / batches))
    print(f"\nmulti_worker overhead, forecasting smoke, {args.epochs} epochs, {batches} batches\n")
    print("| processes | load before | fit s | ms per batch |")
    print("|---|---|---|---|")
    for workers, load, seconds, ms in rows:
        print(f"| {workers} | {load:.1f} | {seconds:.2f} | {ms:.1f} |")
    print(f"\noverhead per batch, 2 workers / 1 process: {rows[1][3] / rows[0][3]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
