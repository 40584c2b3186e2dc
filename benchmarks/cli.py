"""How fast the command line answers before any training.

Target (issue: a fast, quiet command line): under 1 second each for an unknown
preset, `seqsuite list` and `seqsuite --help`, measured as the wall time of the
installed `seqsuite` command in a fresh process (median of 7 runs, with their range),
beside `python -c pass` as the interpreter's own start-up in the same run. Cases take
turns, so a slow spell of the shared machine slows them alike.

    python -m benchmarks.cli [--repeats 7]

Writes benchmarks/results/cli.json.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import record

SUITE = "cli"
COMMAND = str(Path(sys.executable).parent / "seqsuite")
# name -> (command, the exit status it must end with: 2 is the CLI's usage error).
CASES = {
    "unknown preset": ([COMMAND, "train", "forecasting", "--preset", "nosuch"], 2),
    "unknown config key": ([COMMAND, "train", "forecasting", "--set", "unitz=3"], 2),
    "missing data file": ([COMMAND, "train", "forecasting", "--set", "data=missing.csv"], 2),
    "seqsuite list": ([COMMAND, "list"], 0),
    "seqsuite --help": ([COMMAND, "--help"], 0),
    "python -c pass (reference)": ([sys.executable, "-c", "pass"], 0),
}
TARGET = 1.0


def walls(repeats: int) -> dict[str, list[float]]:
    """{case: [wall seconds]}: every case once per round, `repeats` rounds.

    A case that ends with another exit status stops the benchmark: a fast crash is no
    figure."""
    times = {name: [] for name in CASES}
    for _ in range(repeats):
        for name, (argv, status) in CASES.items():
            start = time.perf_counter()
            done = subprocess.run(argv, capture_output=True, text=True)
            times[name].append(time.perf_counter() - start)
            if done.returncode != status:
                raise SystemExit(f"{name}: `{' '.join(argv)}` exited with {done.returncode}, "
                                 f"expected {status}:\n{done.stderr[-2000:]}")
    return times


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="runs of each case")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1. Received: {args.repeats}")
    prov = record.provenance(record.command_line("cli", argv), repeats=args.repeats,
                             target_s=TARGET)
    rows = []
    for name, times in walls(args.repeats).items():
        seconds = record.median_spread(times)
        reference = "reference" in name
        rows.append({"case": name, "wall_s": seconds,
                     "target": None if reference else seconds["median"] < TARGET})
    cases = [r for r in rows if r["target"] is not None]
    slowest = max(cases, key=lambda r: r["wall_s"]["median"])
    record.write_result(
        "cli", suite=SUITE, title=__doc__, provenance=prov,
        section_title="Answers before TensorFlow loads",
        headline=[record.headline(f"slowest case ({slowest['case']})",
                                  slowest["wall_s"]["median"], ".3f", " s"),
                  record.headline("cases under 1 s", f"{sum(r['target'] for r in cases)}"
                                  f"/{len(cases)}")],
        tables=[record.table(
            "Wall time of the installed command in a fresh process",
            [record.column("case", "case"), record.column("wall_s", "wall s", ".3f"),
             record.column("target", f"target < {TARGET:g} s")], rows)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
