"""Translation quality benchmark: grapheme to phoneme on CMUdict (and dates), quick preset.

    python -m benchmarks.translation [--preset quick] [--attention luong bahdanau]
                                     [--dates] [--step-times] [--curve]

cmudict (the default): word error rate (words with any phoneme wrong) and
phoneme error rate on the test words, greedy and beam search, each word scored
against its closest pronunciation. Target: the quick preset trains and
evaluates in under 15 minutes on 2 CPU cores; beam WER <= greedy WER.
Published results on CMUdict (PUBLISHED) are written beside the figures.

`--dates`: date normalisation, with its targets: under 5 minutes, >= 99% exact
match on the test split (unseen dates in unseen surface forms), beam >= greedy.
`--curve`: how the word error rate falls with the training words (CURVE, the
quick preset otherwise): the evidence for how far the quick preset is from the
published figures, and why. `--step-times`: the training-step time of the attention decoder as a ratio to
the same model with `attention=none`, on the same batch, in the same run (the
median with its range of 30 interleaved steps; ratios of medians). Writes
benchmarks/results/translation.json (sections "main" for cmudict, "dates",
"step_times", "curve"), with the load average the runs shared the machine with.
"""

from __future__ import annotations

import argparse
import os
import time

from benchmarks import record, scratch_run

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
SUITE = "translation"
# (WER, PER) on CMUdict's fixed split (Bisani & Ney 2008: about 107,000 training and 12,000
# test words); the papers' own figures, as far as they could be checked offline.
PUBLISHED = {
    "encoder-decoder LSTM, no attention (Yao & Zweig 2015)": (0.2861, 0.0763),
    "alignment-based bidirectional LSTM (Yao & Zweig 2015)": (0.2355, 0.0545),
    "joint-sequence n-gram model (Bisani & Ney 2008)": (0.2453, 0.0588),
    "attention encoder-decoder (Toshniwal & Livescu 2016)": (0.2169, 0.0504),
}

# Training words of the learning curve (`--curve`); the quick preset takes 40,000.
CURVE = (5000, 10000, 20000)


def learning_curve(preset: str, seed: int, prov: dict) -> None:
    """cmudict WER at fewer training words than the quick preset's, same settings."""
    rows = []
    for words in CURVE:
        overrides = ["data=cmudict", f"max_examples={words}", f"seed={seed}"]
        with scratch_run("translation", preset, overrides) as (metrics, seconds, _):
            test, data = metrics["test"], metrics["data"]
        rows.append({"train_words": data["train_sources"], "test_words": data["test_sources"],
                     "greedy_wer": test["greedy"]["wer"], "beam_wer": test["beam"]["wer"],
                     "beam_per": test["beam"]["per"], "seconds": seconds})
        print(f"{words} words: beam WER {rows[-1]['beam_wer']:.4f}", flush=True)
    record.write_result(
        "translation", suite=SUITE, title=__doc__, provenance=prov, section="curve",
        section_title=f"Grapheme to phoneme: word error rate against training words, "
                      f"preset {preset}, seed {seed}",
        headline=[record.headline(f"beam WER at {r['train_words']} words", r["beam_wer"],
                                  ".4f") for r in rows],
        tables=[record.table(
            "Test words (the first of the same seeded test split)",
            [record.column("train_words", "train words"),
             record.column("test_words", "test words"),
             record.column("greedy_wer", "greedy WER", ".4f"),
             record.column("beam_wer", "beam WER", ".4f"),
             record.column("beam_per", "beam PER", ".4f"),
             record.column("seconds", "train+eval s", ".0f")], rows,
            notes=["`max_examples` caps every split, so the smaller runs are tested on the "
                   "first words of the same test split; the quick preset's 40,000 words are "
                   "the main section's row. The published systems train on about 107,000 "
                   "words."])])


def step_times(suite, preset: str, attentions, steps: int = 30) -> dict[str, dict]:
    """`median_spread` of the ms per training step of each attention variant, interleaved."""
    import random

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
    return {a: record.scaled(record.median_spread(t), 1e3) for a, t in times.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--attention", nargs="+", default=["luong"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dates", action="store_true", help="also run date normalisation")
    parser.add_argument("--step-times", action="store_true",
                        help="also time training steps with and without attention")
    parser.add_argument("--skip-quality", action="store_true", help="only time training steps")
    parser.add_argument("--curve", action="store_true",
                        help="only the learning curve (WER against training words)")
    args = parser.parse_args(argv)

    from seqsuite import registry

    suite = registry.get("translation")
    command = record.command_line("translation", argv)
    if args.curve:
        learning_curve(args.preset, args.seed, record.provenance(
            command, seeds=[args.seed], preset=args.preset, data="cmudict",
            train_words=list(CURVE)))
        return 0
    if args.step_times or args.skip_quality:
        prov = record.provenance(command, seeds=[0], preset=args.preset, steps=30, warmup=3)
        variants = ["none", "luong", "bahdanau"]
        times = step_times(suite, args.preset, variants)
        rows = [{"decoder": name, "step_ms": times[name],
                 "ratio": record.ratio(times[name], times["none"])} for name in variants]
        record.write_result(
            "translation", suite=SUITE, title=__doc__, provenance=prov, section="step_times",
            section_title=f"Attention decoder step time, preset {args.preset}",
            headline=[record.headline(f"{r['decoder']} step × none", r["ratio"], ".2f", "×")
                      for r in rows if r["decoder"] != "none"],
            tables=[record.table(
                "Training step (batch, units and lengths of the preset)",
                [record.column("decoder", "decoder"), record.column("step_ms", "ms / step", ".1f"),
                 record.column("ratio", "× no attention (medians)", ".2f", "×")], rows)])
    if args.skip_quality:
        return 0
    prov = record.provenance(command, seeds=[args.seed], preset=args.preset, data="cmudict",
                             attention=args.attention)
    rows = []
    for attention in args.attention:
        overrides = ["data=cmudict", f"attention={attention}", f"seed={args.seed}"]
        before = os.getloadavg()[0]
        with scratch_run("translation", args.preset, overrides) as (metrics, seconds, _):
            greedy, beam, data = metrics["test"]["greedy"], metrics["test"]["beam"], metrics["data"]
        rows.append({"attention": attention, "train_words": data["train_sources"],
                     "test_words": data["test_sources"], "greedy_wer": greedy["wer"],
                     "greedy_per": greedy["per"], "beam_wer": beam["wer"], "beam_per": beam["per"],
                     "beam_better": beam["wer"] <= greedy["wer"], "seconds": seconds,
                     "budget": seconds < 900, "load_before": before,
                     "load_after": os.getloadavg()[0]})
    record.write_result(
        "translation", suite=SUITE, title=__doc__, provenance=prov,
        section_title=f"Grapheme to phoneme (cmudict), preset {args.preset}, seed {args.seed}",
        headline=[record.headline(f"cmudict beam WER ({r['attention']})", r["beam_wer"], ".4f")
                  for r in rows],
        tables=[record.table(
            "Test words",
            [record.column("attention", "attention"),
             record.column("train_words", "train words"),
             record.column("test_words", "test words"),
             record.column("greedy_wer", "greedy WER", ".4f"),
             record.column("greedy_per", "greedy PER", ".4f"),
             record.column("beam_wer", "beam WER", ".4f"),
             record.column("beam_per", "beam PER", ".4f"),
             record.column("beam_better", "beam <= greedy"),
             record.column("seconds", "train+eval s (one run)", ".0f"),
             record.column("budget", "< 900 s"),
             record.column("load_before", "load before", ".1f"),
             record.column("load_after", "load after", ".1f")], rows),
            record.table(
                "Published results on CMUdict (not measured here)",
                [record.column("system", "system"), record.column("wer", "WER", ".4f"),
                 record.column("per", "PER", ".4f")],
                [{"system": system, "wer": wer, "per": per}
                 for system, (wer, per) in PUBLISHED.items()],
                notes=["On the fixed split of Bisani & Ney (2008); this benchmark's split is a "
                       "seeded one of the same kind, so the comparison is close, not exact."])])
    if not args.dates:
        return 0
    prov = record.provenance(command, seeds=[args.seed], preset=args.preset, data="dates",
                             attention=args.attention)
    rows = []
    for attention in args.attention:
        overrides = ["data=dates", f"attention={attention}", f"seed={args.seed}"]
        with scratch_run("translation", args.preset, overrides) as (metrics, seconds, _):
            test = metrics["test"]
        greedy, beam = test["greedy"]["exact_match"], test["beam"]["exact_match"]
        rows.append({"attention": attention, "greedy_exact": greedy, "beam_exact": beam,
                     "beam_bleu": test["beam"]["bleu"], "target": beam >= 0.99,
                     "beam_better": beam >= greedy, "seconds": seconds,
                     "budget": seconds < 300})
    record.write_result(
        "translation", suite=SUITE, title=__doc__, provenance=prov, section="dates",
        section_title=f"Date normalisation, preset {args.preset}, seed {args.seed}",
        headline=[record.headline(f"dates beam exact ({r['attention']})", r["beam_exact"],
                                  ".4f") for r in rows],
        tables=[record.table(
            "Test pairs (unseen dates in unseen surface forms)",
            [record.column("attention", "attention"),
             record.column("greedy_exact", "greedy exact", ".4f"),
             record.column("beam_exact", "beam exact", ".4f"),
             record.column("beam_bleu", "beam BLEU", ".2f"),
             record.column("target", "exact >= 99%"),
             record.column("beam_better", "beam >= greedy"),
             record.column("seconds", "train+eval s (one run)", ".0f"),
             record.column("budget", "< 300 s")], rows)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
