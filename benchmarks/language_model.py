"""Language-model quality benchmark: quick preset on CPython's documentation text.

    python -m benchmarks.language_model [--preset quick] [--cells lstm gru] [--seeds 0 1 2]

Target: the quick preset's test bits per character beat the count-based
trigram baseline measured on the same test characters. The table also shows the
stronger references the text issue asks for: an interpolated Kneser-Ney 5-gram and
the xz compressor (its conditional cost of the test text after the training text).
Each cell runs once per seed; the headline is the median over seeds.
Writes benchmarks/results/language_model.json.
"""

from __future__ import annotations

import argparse
import os
import statistics

from benchmarks import record, scratch_run

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
SUITE = "language_model"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--cells", nargs="+", default=["lstm"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args(argv)

    prov = record.provenance(record.command_line("language_model", argv), seeds=args.seeds,
                             preset=args.preset, cells=args.cells)
    rows = []
    for cell in args.cells:
        for seed in args.seeds:
            with scratch_run("language_model", args.preset, [f"cell={cell}", f"seed={seed}"]) as (
                    metrics, seconds, _):
                test = {k: v["bits_per_char"] for k, v in metrics["test"].items()}
            rows.append({"cell": cell, "seed": seed, "model": test["model"],
                         "trigram": test["trigram"],
                         "unigram": test["unigram"], "kneser_ney": test["kneser_ney"],
                         "xz": test["xz"], "beats": test["model"] < test["trigram"],
                         "beats_kn": test["model"] < test["kneser_ney"], "seconds": seconds})
    record.write_result(
        "language_model", suite=SUITE, title=__doc__, provenance=prov,
        section_title=f"pydoc topics, characters, preset {args.preset}",
        headline=[record.headline(
            f"{cell} bits/char (median of {len(args.seeds)} seeds)",
            statistics.median(r["model"] for r in rows if r["cell"] == cell), ".3f")
            for cell in args.cells] + [
            record.headline("Kneser-Ney 5-gram", rows[0]["kneser_ney"], ".3f"),
            record.headline("trigram", rows[0]["trigram"], ".3f")],
        tables=[record.table(
            "Test bits per character",
            [record.column("cell", "cell"), record.column("seed", "seed"),
             record.column("model", "model bits/char", ".3f"),
             record.column("trigram", "trigram", ".3f"),
             record.column("unigram", "unigram", ".3f"),
             record.column("kneser_ney", "Kneser-Ney 5-gram", ".3f"),
             record.column("xz", "xz", ".3f"),
             record.column("beats", "beats trigram"),
             record.column("beats_kn", "beats Kneser-Ney"),
             record.column("seconds", "train+eval s (one run)", ".0f")], rows)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
