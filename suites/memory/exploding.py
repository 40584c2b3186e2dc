"""Exploding gradients, and what clipping does about them.

An IRNN (ReLU, identity recurrent kernel) whose recurrent kernel is scaled by
`recurrent_gain > 1` has step Jacobians of norm about the gain wherever its
units are active, so `dL/dh_t` grows like `gain^(T - t)` backwards through
time and one step of plain SGD can throw the weights far away. The same
network is trained three times with the suite's ordinary training path and
`log_gradients=true`: without clipping, with `clip_norm` (the global norm is
rescaled to at most that value, keeping the direction) and with `clip_value`
(each element is cut to `[-v, v]`, changing the direction), for four
epochs; the preset decides the data size and the width.

    python -m seqsuite.suites.memory.exploding --preset quick --out runs/exploding

writes `exploding.png` (the gradient norm of every step and the loss per
epoch, one line per setting), `summary.json`, and each setting's `history.csv` and
`gradients.csv` in a subdirectory.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

SETTINGS = {  # name -> overrides
    "no clipping": [],
    "clip_norm=1": ["clip_norm=1.0"],
    "clip_value=0.1": ["clip_value=0.1"],
}
# The demonstration network: an IRNN scaled past the edge, trained by plain SGD (Adam
# would hide the explosion by normalising every update).
NETWORK = ["task=adding", "length=50", "cell=simple", "recurrent_init=identity",
           "recurrent_gain=1.05", "optimizer=sgd", "learning_rate=0.01", "log_gradients=true",
           "epochs=4", "patience=0"]


def run(preset: str = "quick", out: Path = Path("runs/exploding"), overrides=(),
        overwrite: bool = False) -> dict:
    """Train the network of `NETWORK` once per clipping setting into `out`; return, per
    setting, whether and where it diverged, its last finite loss and its gradient norms."""
    from seqsuite.shared.errors import TrainingError
    from seqsuite.shared.evaluation.diagnostics import plot_gradient_log
    from seqsuite.shared.run import runner
    from seqsuite.shared.run.files import replacing
    from seqsuite.shared.run.suite import fit_suite
    from seqsuite.suites.memory.suite import SUITE as suite

    summary = {}
    with replacing(Path(out), overwrite, "exploding-gradient demonstration") as staged:
        for name, clipping in SETTINGS.items():
            config = runner.resolve_config(suite, preset, [*NETWORK, *overrides, *clipping])
            data, config, model = runner.prepare(suite, config)
            directory = staged / name.replace("=", "_").replace(" ", "_")
            directory.mkdir()
            diverged = None
            try:
                fit_suite(suite, model, data, config, directory)
            except TrainingError as err:
                diverged = str(err).split(";")[0]
            summary[name] = _summarise(directory, diverged)
            print(f"{name}: {summary[name]['result']}", flush=True)
        plot_gradient_log({name: staged / name.replace("=", "_").replace(" ", "_")
                           for name in SETTINGS}, staged / "exploding.png",
                          title="IRNN, recurrent gain 1.05, SGD: adding problem, T=50")
        (staged / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def _summarise(directory: Path, diverged: str | None) -> dict:
    from seqsuite.suites.memory.train import read_csv

    steps = read_csv(directory / "gradients.csv")
    history = read_csv(directory / "history.csv")
    norms = [float(s["grad_norm"]) for s in steps]
    finite = [n for n in norms if math.isfinite(n)]
    losses = [float(r["loss"]) for r in history if math.isfinite(float(r["loss"]))]
    if diverged:
        result = diverged
    elif losses:
        result = f"trained; last epoch's loss {losses[-1]:.4f}"
    else:
        result = "no finished epoch"
    return {
        "result": result,
        "diverged": diverged is not None,
        "steps": len(steps),
        "last_finite_loss": losses[-1] if losses else None,
        "max_grad_norm": max(finite) if finite else None,
        "median_grad_norm": sorted(finite)[len(finite) // 2] if finite else None,
        "clipped_fraction": (sum(int(s["clipped"]) for s in steps) / len(steps)) if steps else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="quick", choices=("smoke", "quick", "full"))
    parser.add_argument("--out", type=Path, default=Path("runs/exploding"))
    parser.add_argument("--overwrite", action="store_true")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                        help="further config overrides, e.g. epochs=3")
    args = parser.parse_args(argv)
    from seqsuite.shared.errors import SeqsuiteError

    try:
        run(args.preset, args.out, args.set, args.overwrite)
    except SeqsuiteError as err:
        print(f"seqsuite: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
