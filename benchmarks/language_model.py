"""Language-model quality benchmark: quick preset on CPython's documentation text.

    python -m benchmarks.language_model [--preset quick] [--cells lstm gru]

Target: the quick preset's test bits per character beat the count-based
trigram baseline measured on the same test characters. The table also shows the
stronger references the text issue asks for: an interpolated Kneser-Ney 5-gram and
the xz compressor (its conditional cost of the test text after the training text).
Writes benchmarks/results/language_model.json.
"""

from __future__ import annotations

import argparse
import os

from benchmarks import record, scratch_run

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
SUITE = "language_model"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--cells", nargs="+", default=["lstm"])
    args = parser.parse_args(argv)

    from seqsuite import registry

    seed = registry.resolve_config("language_model", args.preset).seed
    prov = record.provenance(record.command_line("language_model", argv), seeds=[seed],
                             preset=args.preset, cells=args.cells)
    rows = []
    for cell in args.cells:
        with scratch_run("language_model", args.preset, [f"cell={cell}"]) as (metrics, seconds, _):
            test = {k: v["bits_per_char"] for k, v in metrics["test"].items()}
        rows.append({"cell": cell, "model": test["model"], "trigram": test["trigram"],
                     "unigram": test["unigram"], "kneser_ney": test["kneser_ney"],
                     "xz": test["xz"], "beats": test["model"] < test["trigram"],
                     "beats_kn": test["model"] < test["kneser_ney"], "seconds": seconds})
    record.write_result(
        "language_model", suite=SUITE, title=__doc__, provenance=prov,
        section_title=f"pydoc topics, characters, preset {args.preset}",
        headline=[record.headline(f"{r['cell']} bits/char", r["model"], ".3f")
                  for r in rows] + [record.headline("trigram", rows[0]["trigram"], ".3f")],
        tables=[record.table(
            "Test bits per character",
            [record.column("cell", "cell"), record.column("model", "model bits/char", ".3f"),
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
