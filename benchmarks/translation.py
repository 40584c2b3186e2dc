"""Translation quality benchmark: grapheme to phoneme on CMUdict (and dates), quick preset.

    python -m benchmarks.translation [--preset quick] [--attention luong bahdanau]
                                     [--dates] [--step-times]

cmudict (the default): word error rate (words with any phoneme wrong) and
phoneme error rate on the test words, greedy and beam search, each word scored
against its closest pronunciation. Target: the quick preset trains and
evaluates in under 15 minutes on 2 CPU cores; beam WER <= greedy WER.
Published encoder-decoder results on CMUdict are in BENCHMARKS.md.

`--dates`: date normalisation, with its targets: under 5 minutes, >= 99% exact
match on the test split (unseen dates in unseen surface forms), beam >= greedy.
`--step-times`: the training-step time of the attention decoder as a ratio to
the same model with `attention=none`, on the same batch, in the same run.
Prints markdown tables for BENCHMARKS.md, with the load average the runs
shared the machine with.
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

    from seqsuite.shared.run import runner

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
    parser.add_argument("--dates", action="store_true", help="also run date normalisation")
    parser.add_argument("--step-times", action="store_true",
                        help="also time training steps with and without attention")
    parser.add_argument("--skip-quality", action="store_true", help="only time training steps")
    args = parser.parse_args(argv)

    from seqsuite import registry

    suite = registry.get("translation")
    if args.step_times or args.skip_quality:
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
        overrides = ["data=cmudict", f"attention={attention}", f"seed={args.seed}"]
        before = os.getloadavg()[0]
        with scratch_run("translation", args.preset, overrides) as (metrics, seconds, _):
            rows.append((attention, metrics, seconds, before, os.getloadavg()[0]))
    print(f"\ngrapheme to phoneme (cmudict), preset={args.preset}, seed={args.seed}\n")
    print("| attention | train / test words | greedy WER | greedy PER | beam WER | beam PER "
          "| beam <= greedy | train+eval s | < 900 s | load before / after |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for attention, metrics, seconds, before, after in rows:
        greedy, beam, data = metrics["test"]["greedy"], metrics["test"]["beam"], metrics["data"]
        print(f"| {attention} | {data['train_sources']} / {data['test_sources']} | "
              f"{greedy['wer']:.4f} | {greedy['per']:.4f} | {beam['wer']:.4f} | "
              f"{beam['per']:.4f} | {'PASS' if beam['wer'] <= greedy['wer'] else 'MISS'} | "
              f"{seconds:.0f} | {'PASS' if seconds < 900 else 'MISS'} | "
              f"{before:.1f} / {after:.1f} |")
    if not args.dates:
        return 0
    rows = []
    for attention in args.attention:
        overrides = ["data=dates", f"attention={attention}", f"seed={args.seed}"]
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
