"""Sentiment quality benchmark: embedded compositional reviews, quick preset.

    python -m benchmarks.sentiment [--preset quick] [--seeds 0 1 2]

Targets on the test split (unseen aspect-adjective-construction combinations):
the attention classifier reaches >= 97% accuracy and beats the bag-of-words
logistic regression on the same split by >= 10 points; the quick preset
trains in a few minutes on 2 CPU cores. Prints markdown tables for
BENCHMARKS.md: one row per seed, then accuracy per construction.
"""

from __future__ import annotations

import argparse
import os
import sys

from benchmarks import scratch_run

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

TARGET_ACCURACY = 0.97
TARGET_MARGIN = 0.10


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args(argv)


    rows = []
    for seed in args.seeds:
        with scratch_run("sentiment", args.preset, [f"seed={seed}"]) as (metrics, seconds, _):
            rows.append((seed, metrics, seconds))

    command = " ".join(["python -m benchmarks.sentiment", *(sys.argv[1:] if argv is None else argv)])
    print(f"\nsentiment benchmark (embedded reviews), preset={args.preset}\n")
    print(f"Command: `{command}`\n")
    print("| seed | model accuracy | model macro F1 | bag-of-words accuracy | bag-of-words macro F1 "
          "| accuracy >= 97% | >= bag-of-words + 10 pts | train+eval s |")
    print("|---|---|---|---|---|---|---|---|")
    for seed, metrics, seconds in rows:
        model, bow = metrics["test"]["model"], metrics["test"]["bag_of_words"]
        print(f"| {seed} | {model['accuracy']:.4f} | {model['macro_f1']:.4f} | "
              f"{bow['accuracy']:.4f} | {bow['macro_f1']:.4f} | "
              f"{'PASS' if model['accuracy'] >= TARGET_ACCURACY else 'MISS'} | "
              f"{'PASS' if model['accuracy'] - bow['accuracy'] >= TARGET_MARGIN else 'MISS'} | "
              f"{seconds:.0f} |")
    print("\naccuracy per construction (test split)\n")
    print("| seed | construction | reviews | model | bag-of-words |")
    print("|---|---|---|---|---|")
    for seed, metrics, _ in rows:
        for kind, scores in sorted(metrics["by_construction"].items()):
            print(f"| {seed} | {kind} | {scores['reviews']} | {scores['model']:.4f} | "
                  f"{scores['bag_of_words']:.4f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
