"""Language-model quality benchmark: quick preset on CPython's documentation text.

    python -m benchmarks.language_model [--preset quick] [--cells lstm gru]

Target: the quick preset's test bits per character beat the count-based
trigram baseline measured on the same test characters. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import os

from benchmarks import scratch_run

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--cells", nargs="+", default=["lstm"])
    args = parser.parse_args(argv)

    rows = []
    for cell in args.cells:
        with scratch_run("language_model", args.preset, [f"cell={cell}"]) as (metrics, seconds, _):
            test = {k: v["bits_per_char"] for k, v in metrics["test"].items()}
        rows.append((cell, test, seconds))
    print(f"\nlanguage-model benchmark (pydoc topics, characters), preset={args.preset}\n")
    print("| cell | model bits/char | trigram | unigram | beats trigram | train+eval s |")
    print("|---|---|---|---|---|---|")
    for cell, test, seconds in rows:
        print(f"| {cell} | {test['model']:.3f} | {test['trigram']:.3f} | {test['unigram']:.3f} "
              f"| {'PASS' if test['model'] < test['trigram'] else 'MISS'} | {seconds:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
