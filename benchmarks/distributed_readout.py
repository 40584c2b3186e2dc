"""The reservoir's closed-form readout under `--strategy multi_worker`: time and agreement.

    python -m benchmarks.distributed_readout [--preset quick] [--units 400] [--repeats 3]

Fits the reservoir suite (Mackey-Glass, `compare_lstm=false`) in one process and as two
MultiWorkerMirroredStrategy workers on loopback (TF_CONFIG), `--repeats` times each,
taking turns, and reports the median and range of the fit time each run records in
run.json (`fit_seconds`: the reservoir run, the ridge statistics, for two workers their
all-reduce, the solve, and the validation pass) and the largest difference between the two
readouts over the repeats. With two workers each sums `XᵀX` and `XᵀY` over half of the
rows; the reservoir run is sequential in time, so both run it over the whole series.
Writes benchmarks/results/distributed_readout.json.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks import record, train_with_workers

SUITE = "distributed"


def run(out: Path, preset: str, units: int, workers: int) -> float:
    argv = [sys.executable, "-m", "seqsuite.cli", "train", "reservoir", "--preset", preset,
            "--set", f"units={units}", "compare_lstm=false", "--out", str(out)]
    return train_with_workers(argv, out, workers)


def readout_difference(a: Path, b: Path) -> tuple[float, float]:
    """(largest absolute difference of the readout kernels, largest kernel entry)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import numpy as np

    import seqsuite

    seqsuite.register()
    ka, kb = (keras.saving.load_model(d / "model.keras").readout.kernel.numpy() for d in (a, b))
    return float(np.abs(ka - kb).max()), float(np.abs(kb).max())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--units", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each setting")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1. Received: {args.repeats}")
    from seqsuite import registry

    seed = registry.resolve_config("reservoir", args.preset, [f"units={args.units}"]).seed
    prov = record.provenance(record.command_line("distributed_readout", argv), seeds=[seed],
                             preset=args.preset, units=args.units, repeats=args.repeats)
    seconds, loads, differences = {1: [], 2: []}, {1: [], 2: []}, []
    for repeat in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            for workers in (1, 2):
                loads[workers].append(os.getloadavg()[0])
                seconds[workers].append(run(Path(tmp) / f"w{workers}", args.preset,
                                            args.units, workers))
                print(f"repeat {repeat + 1}/{args.repeats}, {workers} process(es): "
                      f"{seconds[workers][-1]:.2f} s", flush=True)
            differences.append(readout_difference(Path(tmp) / "w2", Path(tmp) / "w1"))
    fits = {w: record.median_spread(s) for w, s in seconds.items()}
    rows = [{"processes": "1" if w == 1 else "2 workers, loopback", "load": max(loads[w]),
             "fit_s": fits[w]} for w in (1, 2)]
    ratio = record.ratio(fits[2], fits[1])
    diff, scale = max(d for d, _ in differences), max(s for _, s in differences)
    record.write_result(
        "distributed_readout", suite=SUITE, title=__doc__, provenance=prov,
        section_title=f"Reservoir readout, {args.preset} preset, {args.units} units",
        headline=[record.headline("fit time 2 workers / 1 process", ratio, ".2f", "×"),
                  record.headline("largest readout difference", diff, ".1e")],
        tables=[record.table(
            "Fit time (run.json fit_seconds)",
            [record.column("processes", "processes"),
             record.column("load", "highest load before a run", ".1f"),
             record.column("fit_s", "fit s", ".2f")], rows,
            notes=[f"2 workers / 1 process, ratio of medians: {ratio:.2f}×."]),
            record.table(
            "Agreement of the readouts (2 workers against 1 process)",
            [record.column("difference", "largest difference over the repeats", ".1e"),
             record.column("scale", "largest kernel entry", ".3g"),
             record.column("median", "median of the repeats' largest differences", ".1e")],
            [{"difference": diff, "scale": scale,
              "median": statistics.median(d for d, _ in differences)}])])
    return 0


if __name__ == "__main__":
    sys.exit(main())
