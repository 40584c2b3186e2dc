"""Speech benchmark: CER and WER on unseen synthetic voices, robustness, speed.

    python -m benchmarks.speech [--preset quick] [--seeds 0] [--repeats 3]

Targets (quick preset, 2 CPU cores, under 10 minutes including data generation):
CER <= 5% and WER <= 15% on the test split, whose voices are never heard in
training, greedy, beam, and beam rescored with the lexicon and corrected ("lm", the
SavedModel's decoding), with an ablation of the decoding over beam widths. Robustness: the same test texts and voices with
noise at 10 dB SNR, and spoken at rates outside the training range (slow
80-110 and fast 250-300 words per minute; training uses 130-220). Speed:
utterances synthesised per second (generation and augmentation, into an
empty cache) and the real-time factor of beam-search transcription (seconds of
compute per second of audio), each the median with its range of `--repeats` runs.
Writes benchmarks/results/speech.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import tempfile
import time

from benchmarks import record

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
SUITE = "speech"

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


def decoding_ablation(suite, model, config, splits, seed: int) -> list[dict]:
    """Test CER and WER of the beam, the rescored beam and the rescored and corrected beam
    at beam widths 8, 16 and 32; each variant's settings chosen on the validation split
    (`calibrate`; the rescored variant is the same choice with the correction off)."""
    from seqsuite.shared.layers.ctc import error_rates
    from seqsuite.suites.speech.data import SpeechData
    from seqsuite.suites.speech.train import calibrate, transcribe_utterances

    data = SpeechData(splits=splits, name="synthetic voices", skipped={})
    test, rows = splits["test"], []
    for width in (8, 16, 32):
        wide = dataclasses.replace(config, beam_width=width)
        learned = calibrate(model, data, wide)
        variants = {"beam": (wide, "beam"),
                    "rescored": (dataclasses.replace(wide, **{**learned, "correct_within": 0.0,
                                                              "correct_prior": 0.0}), "lm"),
                    "rescored + corrected": (dataclasses.replace(wide, **learned), "lm")}
        for name, (chosen, method) in variants.items():
            texts = transcribe_utterances(model, test, chosen, methods=(method,))[method]
            rates = error_rates(test.texts, texts)
            rows.append({"seed": seed, "beam_width": width, "decoding": name,
                         "cer": rates["cer"], "wer": rates["wer"],
                         **{k: (getattr(chosen, k) if method == "lm" else "")
                            for k in ("lm_weight", "word_bonus", "correct_within",
                                      "correct_prior")}})
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--repeats", type=int, default=3,
                        help="timed runs of generation and of transcription")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1. Received: {args.repeats}")

    from benchmarks import scratch_run
    from seqsuite import registry
    from seqsuite.shared.layers.ctc import error_rates
    from seqsuite.shared.run import runner
    from seqsuite.suites.speech import synth
    from seqsuite.suites.speech.data import load_splits
    from seqsuite.suites.speech.train import transcribe_utterances

    prov = record.provenance(record.command_line("speech", argv), seeds=args.seeds,
                             preset=args.preset, repeats=args.repeats)
    suite = registry.get("speech")
    rows, kinds, robust, speed, ablation = [], [], [], [], []
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as cache:
            config = runner.resolve_config(suite, args.preset, [f"seed={seed}"])
            # Generation throughput: the training split's spec, in memory.
            voices = synth.split_variants(synth.Espeak.variants(), seed, 0.1, 0.2)
            spec = synth.CorpusSpec(count=min(config.train_utterances, 500),
                                    variants=tuple(voices["train"]), seed=seed, augment=True)
            generation = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                corpus = synth.generate(spec)
                generation.append(time.perf_counter() - start)
            with scratch_run("speech", args.preset, [f"seed={seed}", f"cache_dir={cache}"]) as (
                    metrics, seconds, run_dir):
                config, model = runner.load_run(suite, run_dir)
                test = robustness_sets(config, config.test_utterances, cache)
                for name, utterances in test.items():
                    texts = transcribe_utterances(model, utterances, config)
                    m = {k: error_rates(utterances.texts, t) for k, t in texts.items()}
                    robust.append({"seed": seed, "condition": name,
                                   "greedy_cer": m["greedy"]["cer"],
                                   "beam_cer": m["beam"]["cer"], "beam_wer": m["beam"]["wer"],
                                   "lm_cer": m["lm"]["cer"], "lm_wer": m["lm"]["wer"]})
                splits = load_splits(dataclasses.replace(config, cache_dir=cache))[1]
                clean = splits["test"]
                ablation.extend(decoding_ablation(suite, model, config, splits, seed))
                rtf = {"beam": [], "lm": []}
                for _ in range(args.repeats):
                    for method in rtf:
                        start = time.perf_counter()
                        transcribe_utterances(model, clean, config, methods=(method,))
                        rtf[method].append((time.perf_counter() - start) / clean.seconds())
            for method in ("greedy", "beam", "lm"):
                m = metrics["test"][method]
                rows.append({"seed": seed, "decoding": method, "cer": m["cer"], "wer": m["wer"],
                             "cer_target": m["cer"] <= TARGET_CER,
                             "wer_target": m["wer"] <= TARGET_WER, "seconds": seconds})
            for kind, m in metrics.get("by_kind", {}).items():
                kinds.append({"seed": seed, "kind": kind, "cer": m["beam_cer"],
                              "wer": m["beam_wer"], "lm_cer": m["lm_cer"], "lm_wer": m["lm_wer"]})
            speed.append({"seed": seed,
                          "per_second": record.median_spread(len(corpus) / g for g in generation),
                          "audio_rate": record.median_spread(corpus.seconds() / g
                                                             for g in generation),
                          "rtf": record.median_spread(rtf["beam"]),
                          "rtf_lm": record.median_spread(rtf["lm"])})

    quality = record.table(
        "Test split (voices never heard in training)",
        [record.column("seed", "seed"), record.column("decoding", "decoding"),
         record.column("cer", "CER", ".4f"), record.column("wer", "WER", ".4f"),
         record.column("cer_target", f"CER <= {TARGET_CER:.0%}"),
         record.column("wer_target", f"WER <= {TARGET_WER:.0%}"),
         record.column("seconds", "train+eval s (one run, incl. generation)", ".0f")], rows)
    by_kind = record.table(
        "By utterance kind (test split)",
        [record.column("seed", "seed"), record.column("kind", "kind"),
         record.column("cer", "beam CER", ".4f"), record.column("wer", "beam WER", ".4f"),
         record.column("lm_cer", "lm CER", ".4f"), record.column("lm_wer", "lm WER", ".4f")],
        kinds)
    robustness = record.table(
        "Robustness (test voices and texts)",
        [record.column("seed", "seed"), record.column("condition", "condition"),
         record.column("greedy_cer", "greedy CER", ".4f"),
         record.column("beam_cer", "beam CER", ".4f"),
         record.column("beam_wer", "beam WER", ".4f"),
         record.column("lm_cer", "lm CER", ".4f"),
         record.column("lm_wer", "lm WER", ".4f")], robust)
    ablations = record.table(
        "Decoding ablation (test split; weights, bonus and correction chosen on validation)",
        [record.column("seed", "seed"), record.column("beam_width", "beam width"),
         record.column("decoding", "decoding"), record.column("cer", "CER", ".4f"),
         record.column("wer", "WER", ".4f"), record.column("lm_weight", "LM weight"),
         record.column("word_bonus", "word bonus"),
         record.column("correct_within", "correction reach"),
         record.column("correct_prior", "correction prior")], ablation)
    speeds = record.table(
        "Speed",
        [record.column("seed", "seed"),
         record.column("per_second", "generation utterances/s", ".1f"),
         record.column("audio_rate", "generated audio s per s", ".1f"),
         record.column("rtf", "real-time factor (beam)", ".4f"),
         record.column("rtf_lm", "real-time factor (lm)", ".4f")], speed)
    beam = [r for r in rows if r["decoding"] == "beam"]
    lm = [r for r in rows if r["decoding"] == "lm"]
    record.write_result(
        "speech", suite=SUITE, title=__doc__, provenance=prov,
        tables=[quality, by_kind, ablations, robustness, speeds],
        section_title=f"Synthetic voices, unseen test voices, preset {args.preset}",
        headline=[record.headline("beam CER", statistics.median(r["cer"] for r in beam), ".4f"),
                  record.headline("beam WER", statistics.median(r["wer"] for r in beam), ".4f"),
                  record.headline("lm WER", statistics.median(r["wer"] for r in lm), ".4f")])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
