"""Translation quality benchmark: date normalisation, quick preset.

    python -m benchmarks.translation [--preset quick] [--attention luong bahdanau]

Targets: the quick preset trains in under 5 minutes on 2 CPU cores and reaches
>= 99% exact match on the test split (unseen dates in unseen surface forms);
beam search >= greedy. Prints a markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--attention", nargs="+", default=["luong"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from shared import runner

    suite = runner.get_suite("translation")
    rows = []
    for attention in args.attention:
        config = runner.resolve_config(suite, args.preset, [f"attention={attention}",
                                                            f"seed={args.seed}", "verbose=0"])
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as out:
            metrics = runner.train(suite, config, os.path.join(out, "run"), args.preset)
        rows.append((attention, metrics["test"], time.perf_counter() - start))
    print(f"\ntranslation benchmark (dates), preset={args.preset}, seed={args.seed}\n")
    print("| attention | greedy exact | beam exact | beam BLEU | exact >= 99% | beam >= greedy "
          "| train+eval s | < 300 s |")
    print("|---|---|---|---|---|---|---|---|")
    for attention, test, seconds in rows:
        greedy, beam = test["greedy"]["exact_match"], test["beam"]["exact_match"]
        print(f"| {attention} | {greedy:.4f} | {beam:.4f} | {test['beam']['bleu']:.2f} | "
              f"{'PASS' if beam >= 0.99 else 'MISS'} | {'PASS' if beam >= greedy else 'MISS'} | "
              f"{seconds:.0f} | {'PASS' if seconds < 300 else 'MISS'} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
