"""Tagging benchmark: identifier roles in Python source, softmax head against CRF head.

    python -m benchmarks.tagging [--preset quick] [--heads softmax crf] [--seeds 0 1 2]

Target: on the embedded data (stdlib files the quick preset never trained on)
entity-level F1 >= 0.95 on the test split, the quick preset training and
evaluating in under 5 minutes on 2 CPU cores. Both heads are trained on the
same data with the same seed; the table also counts predicted `I-` tags that
do not continue an entity of their type (an invalid BIO move, which a CRF
learns to avoid). The time target is judged on the median (with its range) of the runs
of each head, one per seed. Writes benchmarks/results/tagging.json.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

from benchmarks import record, scratch_run
from seqsuite.shared.data.sources import read_text

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
SUITE = "tagging"
BUDGET_S = 300


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
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    args = parser.parse_args(argv)

    prov = record.provenance(record.command_line("tagging", argv), seeds=args.seeds,
                             preset=args.preset, heads=args.heads)
    rows, data = [], None
    for seed in args.seeds:
        for head in args.heads:
            overrides = [f"head={head}", f"seed={seed}"]
            with scratch_run("tagging", args.preset, overrides) as (metrics, seconds, run_dir):
                invalid = invalid_continuations(run_dir / "test_predictions.conll")
            m, base = metrics["test"][head], metrics["test"]["most_frequent_tag"]
            data = metrics["data"]
            rows.append({"head": head, "seed": seed, "precision": m["precision"],
                         "recall": m["recall"], "f1": m["f1"],
                         "token_accuracy": m["token_accuracy"], "invalid": invalid,
                         "baseline_f1": base["f1"], "target": m["f1"] >= 0.95,
                         "seconds": seconds})
            print(f"{head} seed {seed}: F1 {m['f1']:.4f}", file=sys.stderr)
    quality = record.table(
        f"{data['corpus']}: {data['train_files']} train / {data['test_files']} test files, "
        f"{data['test_entities']} test entities",
        [record.column("head", "head"), record.column("seed", "seed"),
         record.column("precision", "precision", ".4f"), record.column("recall", "recall", ".4f"),
         record.column("f1", "entity F1", ".4f"),
         record.column("token_accuracy", "token acc", ".4f"),
         record.column("invalid", "invalid I-"),
         record.column("baseline_f1", "most-frequent-tag F1", ".4f"),
         record.column("target", "F1 >= 0.95"),
         record.column("seconds", "train+eval s (one run)", ".0f")], rows)
    budget = []
    for head in args.heads:
        seconds = record.median_spread(r["seconds"] for r in rows if r["head"] == head)
        budget.append({"head": head, "seconds": seconds, "target": seconds["median"] < BUDGET_S})
    time_budget = record.table(
        "Time budget: train and evaluate, over the seeds' runs",
        [record.column("head", "head"), record.column("seconds", "train+eval s", ".0f"),
         record.column("target", f"median < {BUDGET_S} s")], budget)
    record.write_result(
        "tagging", suite=SUITE, title=__doc__, provenance=prov, tables=[quality, time_budget],
        section_title=f"Identifier roles, preset {args.preset}",
        headline=[record.headline(f"{head} entity F1", statistics.median(
            r["f1"] for r in rows if r["head"] == head), ".4f") for head in args.heads])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
