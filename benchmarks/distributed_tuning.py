"""Distributed tuning throughput: trials per hour with 1 and with 2 local workers.

    python -m benchmarks.distributed_tuning [--trials 4] [--epochs 2] [--repeats 3]

Runs `seqsuite tune forecasting --workers N` (sunspots, smoke preset), `--repeats` times
for each N, taking turns, and times the search from the chief's start to its "T/T trials
ended" line, so the figure includes each worker's start-up (importing TensorFlow, loading
the data) but not the final training of the best config: the median and range of the
repeats, and trials per hour from the median. Also reports the machine's highest load
average before a run: the cores are shared. Writes
benchmarks/results/distributed_tuning.json.
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
import time

from benchmarks import record

SUITE = "distributed"


def search_seconds(workers: int, trials: int, epochs: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        argv = [sys.executable, "-m", "seqsuite.cli", "tune", "forecasting", "--workers",
                str(workers), "--max-trials", str(trials), "--preset", "smoke", "--set",
                "data=sunspots", f"epochs={epochs}", "--out", os.path.join(tmp, "t")]
        start = time.monotonic()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        seconds, last = None, collections.deque(maxlen=30)
        for line in proc.stdout:
            last.append(line)
            if f"{trials}/{trials} trials ended" in line and seconds is None:
                seconds = time.monotonic() - start
        if proc.wait() != 0 or seconds is None:
            raise SystemExit(f"search with {workers} workers failed (status {proc.returncode}):"
                             f"\n{''.join(last)}")
        return seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3, help="searches of each size")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1. Received: {args.repeats}")
    from seqsuite import registry

    seed = registry.resolve_config("forecasting", "smoke", ["data=sunspots"]).seed
    prov = record.provenance(record.command_line("distributed_tuning", argv), seeds=[seed],
                             preset="smoke",
                             trials=args.trials, epochs=args.epochs, repeats=args.repeats)
    seconds, loads = {1: [], 2: []}, {1: [], 2: []}
    for repeat in range(args.repeats):
        for workers in (1, 2):
            loads[workers].append(os.getloadavg()[0])
            seconds[workers].append(search_seconds(workers, args.trials, args.epochs))
            print(f"repeat {repeat + 1}/{args.repeats}, {workers} worker(s): "
                  f"{seconds[workers][-1]:.1f} s", flush=True)
    rows = []
    for workers in (1, 2):
        search = record.median_spread(seconds[workers])
        rows.append({"workers": workers, "load": max(loads[workers]), "search_s": search,
                     "per_hour": args.trials * 3600 / search["median"]})
    ratio = rows[1]["per_hour"] / rows[0]["per_hour"]
    record.write_result(
        "distributed_tuning", suite=SUITE, title=__doc__, provenance=prov,
        section_title=f"{args.trials} trials of {args.epochs} epochs",
        headline=[record.headline("trials per hour, 2 workers / 1", ratio, ".2f", "×")],
        tables=[record.table(
            "Search time",
            [record.column("workers", "workers"),
             record.column("load", "highest load before a run", ".1f"),
             record.column("search_s", "search s", ".1f"),
             record.column("per_hour", "trials per hour (median)", ".0f")], rows,
            notes=[f"Ratio 2 workers / 1 worker: {ratio:.2f}."])])
    return 0


if __name__ == "__main__":
    sys.exit(main())
