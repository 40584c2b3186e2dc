"""Tagging benchmark: identifier roles in Python source, softmax head against CRF head.

    python -m benchmarks.tagging [--preset quick] [--heads softmax crf] [--seeds 0]

Target: on the embedded data (stdlib files the quick preset never trained on)
entity-level F1 >= 0.95 on the test split, the quick preset training and
evaluating in under 5 minutes on 2 CPU cores. Both heads are trained on the
same data with the same seed; the table also counts predicted `I-` tags that
do not continue an entity of their type (an invalid BIO move, which a CRF
learns to avoid). Prints a markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from benchmarks import scratch_run
from seqsuite.shared.data.sources import read_text

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def invalid_continuations(path: Path) -> int:
    """Predicted I-X tags (last column of a `token gold predicted` file) after neither B-X nor I-X."""
    count, previous = 0, "O"
    for line in read_text(path, "predictions file", "train the run again").splitlines():
        if not line.strip():
            previous = "O"
            continue
        tag = line.split()[-1]
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            count += 1
        previous = tag
    return count


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--heads", nargs="+", default=["softmax", "crf"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    args = parser.parse_args(argv)


    rows = []
    for seed in args.seeds:
        for head in args.heads:
            overrides = [f"head={head}", f"seed={seed}"]
            with scratch_run("tagging", args.preset, overrides) as (metrics, seconds, run_dir):
                invalid = invalid_continuations(run_dir / "test_predictions.conll")
            rows.append((head, seed, metrics, invalid, seconds))
            print(f"{head} seed {seed}: F1 {metrics['test'][head]['f1']:.4f}", file=sys.stderr)
    data = rows[0][2]["data"]
    command = "python -m benchmarks.tagging " + " ".join(argv if argv is not None else sys.argv[1:])
    print(f"\ntagging benchmark ({data['corpus']}: {data['train_files']} train / "
          f"{data['test_files']} test files, {data['test_entities']} test entities), "
          f"preset={args.preset}\n\nCommand: `{command.strip()}`\n")
    print("| head | seed | precision | recall | entity F1 | token acc | invalid I- | "
          "most-frequent-tag F1 | F1 >= 0.95 | train+eval s | < 300 s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for head, seed, metrics, invalid, seconds in rows:
        m, base = metrics["test"][head], metrics["test"]["most_frequent_tag"]
        print(f"| {head} | {seed} | {m['precision']:.4f} | {m['recall']:.4f} | {m['f1']:.4f} | "
              f"{m['token_accuracy']:.4f} | {invalid} | {base['f1']:.4f} | "
              f"{'PASS' if m['f1'] >= 0.95 else 'MISS'} | {seconds:.0f} | "
              f"{'PASS' if seconds < 300 else 'MISS'} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
