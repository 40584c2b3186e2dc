"""Captioning benchmark: quick preset on digit scenes of unseen combinations, with and
without attention.

    python -m benchmarks.captioning [--preset quick] [--seeds 0]

Targets on the test scenes (combinations of digits and relations never seen in
training, digit images never used in training): BLEU-4 >= 0.9 and exact match
>= 80% (beam search). Beside it the same decoder without attention
(`attention=false`, started from the pooled grid): its quality, and the
training-step time of both, measured on the same batches in this process (the
ratio is attention / no attention). Prints a markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import time

from benchmarks import scratch_run

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def step_seconds(config, steps: int = 30) -> float:
    """Median seconds of one training step (forward, backward, update) on the training
    batches of `config`'s data, after three warm-up steps."""
    import keras
    import numpy as np

    from seqsuite.shared.run import runner
    from seqsuite.suites.captioning.suite import SUITE

    data, config, model = runner.prepare(SUITE, config)
    batches = list(data.train.take(steps + 3))
    times = []
    for i, (x, y) in enumerate(batches):
        start = time.perf_counter()
        model.train_on_batch(x, y)
        if i >= 3:
            times.append(time.perf_counter() - start)
    keras.backend.clear_session()
    return float(np.median(times))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args(argv)

    from seqsuite import registry

    rows = []
    for seed in args.seeds:
        row = {"seed": seed}
        for attention in ("true", "false"):
            overrides = [f"seed={seed}", f"attention={attention}"]
            config = registry.resolve_config("captioning", args.preset, overrides)
            row[f"step_{attention}"] = step_seconds(config)
            with scratch_run("captioning", args.preset, overrides) as (metrics, seconds, run):
                row[attention] = metrics["test"]
                row[f"seconds_{attention}"] = seconds
                print(f"seed {seed} attention={attention}: {seconds:.0f} s, "
                      f"beam {metrics['test']['beam']}", flush=True)
        rows.append(row)
    print(f"\ncaptioning benchmark, preset={args.preset} (test: unseen combinations)\n")
    print("| seed | attention | greedy BLEU-4 | greedy exact | beam BLEU-4 | beam exact | "
          "exact left of / above / count (beam) | targets | train+eval s | step ms |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        for attention in ("true", "false"):
            greedy, beam = row[attention]["greedy"], row[attention]["beam"]
            hit = beam["bleu4"] >= 0.9 and beam["exact_match"] >= 0.8
            relations = " / ".join(f"{beam.get('exact_' + r, float('nan')):.3f}"
                                   for r in ("left_of", "above", "count"))
            print(f"| {row['seed']} | {'yes' if attention == 'true' else 'no'} | "
                  f"{greedy['bleu4']:.4f} | {greedy['exact_match']:.4f} | {beam['bleu4']:.4f} | "
                  f"{beam['exact_match']:.4f} | {relations} | {'PASS' if hit else 'MISS'} | "
                  f"{row['seconds_' + attention]:.0f} | {1000 * row['step_' + attention]:.1f} |")
        print(f"\nseed {row['seed']}: training-step time with / without attention = "
              f"{row['step_true'] / row['step_false']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
