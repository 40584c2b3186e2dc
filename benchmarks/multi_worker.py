"""Per-step overhead of `--strategy multi_worker` with 2 local workers against one process.

    python -m benchmarks.multi_worker [--epochs 3] [--repeats 3]

Trains forecasting (sunspots, smoke preset) in one process and as two
MultiWorkerMirroredStrategy workers on loopback (TF_CONFIG), `--repeats` times each,
taking turns, and compares the fit time each run records in run.json (`fit_seconds`:
model.fit only, not start-up, evaluation or export; median and range of the repeats), per
batch of the suite's training data (both runs go through every batch each epoch; with two
workers each step takes one batch per worker and all-reduces the gradients). Writes
benchmarks/results/multi_worker.json.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from benchmarks import record, train_with_workers

SUITE = "distributed"


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
    parser.add_argument("--repeats", type=int, default=3, help="runs of each setting")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1. Received: {args.repeats}")
    from seqsuite import registry

    seed = registry.resolve_config("forecasting", "smoke", ["data=sunspots"]).seed
    prov = record.provenance(record.command_line("multi_worker", argv), seeds=[seed],
                             preset="smoke",
                             data="sunspots", epochs=args.epochs, repeats=args.repeats)
    batches = train_batches() * args.epochs
    seconds, loads = {1: [], 2: []}, {1: [], 2: []}
    for repeat in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            for workers in (1, 2):
                loads[workers].append(os.getloadavg()[0])
                seconds[workers].append(run(Path(tmp) / f"w{workers}", args.epochs, workers))
                print(f"repeat {repeat + 1}/{args.repeats}, {workers} process(es): "
                      f"{seconds[workers][-1]:.2f} s", flush=True)
    rows = []
    for workers in (1, 2):
        fit = record.median_spread(seconds[workers])
        rows.append({"processes": "1" if workers == 1 else "2 workers, loopback",
                     "load": max(loads[workers]), "fit_s": fit,
                     "ms_per_batch": record.scaled(fit, 1000 / batches)})
    overhead = record.ratio(rows[1]["ms_per_batch"], rows[0]["ms_per_batch"])
    record.write_result(
        "multi_worker", suite=SUITE, title=__doc__, provenance=prov,
        section_title=f"Forecasting smoke, {args.epochs} epochs, {batches} batches",
        headline=[record.headline("overhead per batch, 2 workers / 1 process", overhead,
                                  ".2f", "×")],
        tables=[record.table(
            "Fit time (run.json fit_seconds)",
            [record.column("processes", "processes"),
             record.column("load", "highest load before a run", ".1f"),
             record.column("fit_s", "fit s", ".2f"),
             record.column("ms_per_batch", "ms per suite batch", ".1f")], rows,
            notes=[f"Overhead per batch, 2 workers / 1 process, ratio of medians: "
                   f"{overhead:.2f}×."])])
    return 0


if __name__ == "__main__":
    sys.exit(main())
