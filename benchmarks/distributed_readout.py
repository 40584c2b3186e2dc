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
import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(out: Path, preset: str, units: int, workers: int) -> float:
    argv = [sys.executable, "-m", "seqsuite.cli", "train", "reservoir", "--preset", preset,
            "--set", f"units={units}", "compare_lstm=false", "--out", str(out)]
    if workers == 1:
        subprocess.run(argv, check=True, capture_output=True)
    else:
        cluster = {"worker": [f"127.0.0.1:{_port()}" for _ in range(workers)]}
        procs = [subprocess.Popen(
            [*argv, "--strategy", "multi_worker"], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env=dict(os.environ, TF_CONFIG=json.dumps(
                {"cluster": cluster, "task": {"type": "worker", "index": i}})))
            for i in range(workers)]
        if any(p.wait() != 0 for p in procs):
            raise SystemExit("multi_worker run failed")
    return json.loads((out / "run.json").read_text())["fit_seconds"]


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
