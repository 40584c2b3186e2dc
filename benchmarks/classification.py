"""Sequence-classification benchmark: the embedded recordings on their official splits.

    python -m benchmarks.classification [--preset quick] [--seeds 0 1 2]
        [--data japanese_vowels basic_motions] [--models rnn esn]

For each embedded set, model and seed: test accuracy and macro F1 of the
recurrent classifier (rnn) or the echo state network (esn), beside the 1-NN
Euclidean and 1-NN DTW baselines fitted in the same run (those do not depend
on the seed or the model, so they are printed once per set). Anchor: Jaeger,
Lukoševičius, Popovici & Siewert (2007), "Optimization and applications of
echo state networks with leaky-integrator neurons", Neural Networks 20(3),
report zero test errors on Japanese Vowels (370 test utterances).
Target: >= 98% test accuracy on Japanese Vowels for both models.
Prints markdown tables for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import sys

from benchmarks import scratch_run

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

TARGET = {"japanese_vowels": 0.98}  # both models
BASELINES = ("1nn_euclidean", "1nn_dtw")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--data", nargs="+", default=["japanese_vowels", "basic_motions"])
    parser.add_argument("--models", nargs="+", default=["rnn", "esn"])
    args = parser.parse_args(argv)

    rows, baselines = [], {}
    for data in args.data:
        for model in args.models:
            for seed in args.seeds:
                overrides = [f"data={data}", f"model={model}", f"seed={seed}"]
                with scratch_run("classification", args.preset, overrides) as (metrics, seconds, _):
                    rows.append((data, model, seed, metrics["test"][model], seconds))
                    baselines[data] = {name: metrics["test"][name] for name in BASELINES}
                print(f"{data} {model} seed {seed}: accuracy "
                      f"{metrics['test'][model]['accuracy']:.4f} ({seconds:.0f} s)", flush=True)

    command = " ".join(["python -m benchmarks.classification",
                        *(sys.argv[1:] if argv is None else argv)])
    print(f"\nclassification benchmark, preset={args.preset}\n")
    print(f"Command: `{command}`\n")
    print("| data | model | seed | test accuracy | macro F1 | errors | target | train+eval s |")
    print("|---|---|---|---|---|---|---|---|")
    for data, model, seed, scores, seconds in rows:
        target = TARGET.get(data)
        verdict = "-" if target is None else (
            f"{'PASS' if scores['accuracy'] >= target else 'MISS'} (>= {target:.0%})")
        print(f"| {data} | {model} | {seed} | {scores['accuracy']:.4f} | "
              f"{scores['macro_f1']:.4f} | {scores['errors']} | {verdict} | {seconds:.0f} |")
    print("\n| data | baseline | test accuracy | macro F1 | errors |")
    print("|---|---|---|---|---|")
    for data, scores in baselines.items():
        for name, row in scores.items():
            print(f"| {data} | {name} | {row['accuracy']:.4f} | {row['macro_f1']:.4f} | "
                  f"{row['errors']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
