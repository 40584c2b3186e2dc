"""Translation quality benchmark: date normalisation, quick preset.

    python -m benchmarks.translation [--preset quick] [--attention luong bahdanau]

Targets: the quick preset trains in under 5 minutes on 2 CPU cores and reaches
>= 99% exact match on the test split (unseen dates in unseen surface forms);
beam search >= greedy. Also measured: the training-step time of the suite's
attention decoder as a ratio to the same model with `attention=none`, on the
same batch, in the same run. Prints markdown tables for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import time

from benchmarks import scratch_run

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def step_times(suite, preset: str, attentions, steps: int = 30) -> dict[str, float]:
    """Median seconds per training step of each attention variant, interleaved."""
    import random

    import numpy as np

    from seqsuite.shared import runner

    models, batch = {}, None
    for attention in attentions:
        config = runner.resolve_config(suite, preset,
                                       [f"attention={attention}", "verbose=0", "seed=0"])
        data, config, model = runner.prepare(suite, config)  # seeded, adapted
        batch = batch or next(iter(data.train))
        for _ in range(3):  # compile and warm up
            model.train_on_batch(*batch)
        models[attention] = model
    times = {a: [] for a in attentions}
    order = [a for a in attentions for _ in range(steps)]
    random.Random(0).shuffle(order)  # interleave so machine load hits every variant alike
    for attention in order:
        start = time.perf_counter()
        models[attention].train_on_batch(*batch)
        times[attention].append(time.perf_counter() - start)
    return {a: float(np.median(t)) for a, t in times.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--attention", nargs="+", default=["luong"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-quality", action="store_true", help="only time training steps")
    args = parser.parse_args(argv)

    from seqsuite import registry

    suite = registry.get("translation")
    variants = ["none", "luong", "bahdanau"]
    times = step_times(suite, args.preset, variants)
    print(f"\ntraining step, preset={args.preset} (batch, units and lengths of that preset)\n")
    print("| decoder | ms / step (median of 30) | x no attention |")
    print("|---|---|---|")
    for name in variants:
        print(f"| {name} | {1000 * times[name]:.1f} | {times[name] / times['none']:.2f}x |")
    if args.skip_quality:
        return 0
    rows = []
    for attention in args.attention:
        overrides = [f"attention={attention}", f"seed={args.seed}"]
        with scratch_run("translation", args.preset, overrides) as (metrics, seconds, _):
            rows.append((attention, metrics["test"], seconds))
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
