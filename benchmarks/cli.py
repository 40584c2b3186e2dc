"""How fast the command line answers before any training: `python -m benchmarks.cli`.

Target (issue: a fast, quiet command line): under 1 second each for an unknown
preset, `seqsuite list` and `seqsuite --help`, measured as the wall time of the
installed `seqsuite` command in a fresh process (median of 7 runs), beside
`python -c pass` as the interpreter's own start-up in the same run.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMAND = str(Path(sys.executable).parent / "seqsuite")
CASES = {
    "unknown preset": [COMMAND, "train", "forecasting", "--preset", "nosuch"],
    "unknown config key": [COMMAND, "train", "forecasting", "--set", "unitz=3"],
    "missing data file": [COMMAND, "train", "forecasting", "--set", "data=missing.csv"],
    "seqsuite list": [COMMAND, "list"],
    "seqsuite --help": [COMMAND, "--help"],
    "python -c pass (reference)": [sys.executable, "-c", "pass"],
}
TARGET = 1.0


def wall(argv: list[str], repeats: int = 7) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    print(f"{'case':<30}{'median s':>10}  target < {TARGET} s")
    for name, argv in CASES.items():
        seconds = wall(argv)
        verdict = "" if "reference" in name else ("PASS" if seconds < TARGET else "MISS")
        print(f"{name:<30}{seconds:>10.3f}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
