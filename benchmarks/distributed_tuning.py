"""Distributed tuning throughput: trials per hour with 1 and with 2 local workers.

    python -m benchmarks.distributed_tuning [--trials 4] [--epochs 2]

Runs `seqsuite tune forecasting --workers N` (sunspots, smoke preset) and
times the search from the chief's start to its "T/T trials ended" line, so
the figure includes each worker's start-up (importing TensorFlow, loading
the data) but not the final training of the best config. Also reports the
machine's load average before each run: the cores are shared.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time


def search_seconds(workers: int, trials: int, epochs: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        argv = [sys.executable, "-m", "seqsuite.cli", "tune", "forecasting", "--workers",
                str(workers), "--max-trials", str(trials), "--preset", "smoke", "--set",
                "data=sunspots", f"epochs={epochs}", "--out", os.path.join(tmp, "t")]
        start = time.monotonic()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        seconds = None
        for line in proc.stdout:
            if f"{trials}/{trials} trials ended" in line and seconds is None:
                seconds = time.monotonic() - start
        if proc.wait() != 0 or seconds is None:
            raise SystemExit(f"search with {workers} workers failed")
        return seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args(argv)
    rows = []
    for workers in (1, 2):
        load = os.getloadavg()[0]
        seconds = search_seconds(workers, args.trials, args.epochs)
        rows.append((workers, load, seconds, args.trials * 3600 / seconds))
    print(f"\ndistributed tuning, {args.trials} trials of {args.epochs} epochs, "
          f"{os.cpu_count()} cores\n")
    print("| workers | load before | search s | trials per hour |")
    print("|---|---|---|---|")
    for workers, load, seconds, rate in rows:
        print(f"| {workers} | {load:.1f} | {seconds:.1f} | {rate:.0f} |")
    print(f"\nratio 2 workers / 1 worker: {rows[1][3] / rows[0][3]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
