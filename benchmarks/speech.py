"""Speech benchmark: CER and WER on unseen synthetic voices, robustness, speed.

    python -m benchmarks.speech [--preset quick] [--seeds 0]

Targets (quick preset, 2 CPU cores, under 10 minutes including data generation):
CER <= 5% and WER <= 15% on the test split, whose voices are never heard in
training, greedy and beam. Robustness: the same test texts and voices with
noise at 10 dB SNR, and spoken at rates outside the training range (slow
80-110 and fast 250-300 words per minute; training uses 130-220). Speed:
utterances synthesised per second (generation and augmentation, into an
empty cache) and the real-time factor of beam-search transcription (seconds of
compute per second of audio). Prints markdown tables for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

TARGET_CER = 0.05
TARGET_WER = 0.15
ROBUSTNESS = {"noise 10 dB SNR": {"noise_snr_db": 10.0},
              "slow 80-110 wpm": {"rate": (80, 110)},
              "fast 250-300 wpm": {"rate": (250, 300)}}


def robustness_sets(config, count: int, cache: str) -> dict:
    """{name: Utterances}: the test voices and seeds with noise or other speaking rates."""
    from seqsuite.suites.speech import synth
    from seqsuite.suites.speech.data import Utterances

    voices = synth.split_variants(synth.Espeak.variants(), config.seed, 0.1, 0.2)["test"]
    out = {}
    for name, change in ROBUSTNESS.items():
        settings = synth.SynthSettings(rate=change.get("rate", (config.rate_min, config.rate_max)))
        spec = synth.CorpusSpec(count=count, variants=tuple(voices), seed=config.seed * 1000 + 2,
                                words=config.vocabulary_words, settings=settings,
                                noise_snr_db=change.get("noise_snr_db"))
        corpus = synth.cached_corpus("robustness", spec, cache, verbose=0)
        out[name] = Utterances([corpus.waveform(i) for i in range(len(corpus))],
                               list(corpus.texts), list(corpus.voices), list(corpus.kinds))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args(argv)

    from benchmarks import scratch_run
    from seqsuite import registry
    from seqsuite.shared.layers.ctc import error_rates
    from seqsuite.shared.run import runner
    from seqsuite.suites.speech import synth
    from seqsuite.suites.speech.train import transcribe_utterances

    suite = registry.get("speech")
    rows, robust, speed = [], [], []
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as cache:
            config = runner.resolve_config(suite, args.preset, [f"seed={seed}"])
            # Generation throughput: the training split's spec, into an empty cache.
            voices = synth.split_variants(synth.Espeak.variants(), seed, 0.1, 0.2)
            spec = synth.CorpusSpec(count=min(config.train_utterances, 500),
                                    variants=tuple(voices["train"]), seed=seed, augment=True)
            start = time.perf_counter()
            corpus = synth.generate(spec)
            generation = time.perf_counter() - start
            with scratch_run("speech", args.preset, [f"seed={seed}", f"cache_dir={cache}"]) as (
                    metrics, seconds, run_dir):
                rows.append((seed, metrics, seconds))
                config, model = runner.load_run(suite, run_dir)
                test = robustness_sets(config, config.test_utterances, cache)
                for name, utterances in test.items():
                    texts = transcribe_utterances(model, utterances, config)
                    robust.append((seed, name, {m: error_rates(utterances.texts, t)
                                                for m, t in texts.items()}))
                from seqsuite.suites.speech.data import load_splits

                clean = load_splits(dataclasses.replace(config, cache_dir=cache))[1]["test"]
                start = time.perf_counter()
                transcribe_utterances(model, clean, config, methods=("beam",))
                rtf = (time.perf_counter() - start) / clean.seconds()
            speed.append((seed, len(corpus) / generation, corpus.seconds() / generation, rtf))

    command = " ".join(["python -m benchmarks.speech", *(sys.argv[1:] if argv is None else argv)])
    print(f"\nspeech benchmark (synthetic voices, unseen test voices), preset={args.preset}\n")
    print(f"Command: `{command}`\n")
    print("| seed | decoding | CER | WER | CER <= 5% | WER <= 15% | train+eval s (incl. generation) |")
    print("|---|---|---|---|---|---|---|")
    for seed, metrics, seconds in rows:
        for method in ("greedy", "beam"):
            m = metrics["test"][method]
            print(f"| {seed} | {method} | {m['cer']:.4f} | {m['wer']:.4f} | "
                  f"{'PASS' if m['cer'] <= TARGET_CER else 'MISS'} | "
                  f"{'PASS' if m['wer'] <= TARGET_WER else 'MISS'} | {seconds:.0f} |")
    print("\nCER by utterance kind (test split, beam)\n")
    print("| seed | kind | CER | WER |")
    print("|---|---|---|---|")
    for seed, metrics, _ in rows:
        for kind, m in metrics.get("by_kind", {}).items():
            print(f"| {seed} | {kind} | {m['beam_cer']:.4f} | {m['beam_wer']:.4f} |")
    print("\nrobustness (test voices and texts)\n")
    print("| seed | condition | greedy CER | beam CER | beam WER |")
    print("|---|---|---|---|---|")
    for seed, name, m in robust:
        print(f"| {seed} | {name} | {m['greedy']['cer']:.4f} | {m['beam']['cer']:.4f} | "
              f"{m['beam']['wer']:.4f} |")
    print("\nspeed\n")
    print("| seed | generation utterances/s | generated audio s per s | "
          "real-time factor (beam) |")
    print("|---|---|---|---|")
    for seed, per_second, audio_rate, rtf in speed:
        print(f"| {seed} | {per_second:.1f} | {audio_rate:.1f} | {rtf:.4f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
