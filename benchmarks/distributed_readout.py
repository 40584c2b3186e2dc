"""The reservoir's closed-form readout under `--strategy multi_worker`: time and agreement.

    python -m benchmarks.distributed_readout [--preset quick] [--units 400]

Fits the reservoir suite (Mackey-Glass, `compare_lstm=false`) once in one
process and once as two MultiWorkerMirroredStrategy workers on loopback
(TF_CONFIG), and reports the fit time each run records in run.json
(`fit_seconds`: the reservoir run, the ridge statistics, for two workers
their all-reduce, the solve, and the validation pass) and the largest
difference between the two readouts. With two workers each sums `XᵀX` and
`XᵀY` over half of the rows; the reservoir run is sequential in time, so
both run it over the whole series.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from benchmarks import train_with_workers


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
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2):
            load = os.getloadavg()[0]
            seconds = run(Path(tmp) / f"w{workers}", args.preset, args.units, workers)
            rows.append((workers, load, seconds))
        diff, scale = readout_difference(Path(tmp) / "w2", Path(tmp) / "w1")
    print(f"\nreservoir readout, {args.preset} preset, {args.units} units\n")
    print("| processes | load before | fit s |")
    print("|---|---|---|")
    for workers, load, seconds in rows:
        print(f"| {workers} | {load:.1f} | {seconds:.2f} |")
    print(f"\nfit time, 2 workers / 1 process: {rows[1][2] / rows[0][2]:.2f}x")
    print(f"largest readout difference: {diff:.2e} (largest entry {scale:.2e})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
