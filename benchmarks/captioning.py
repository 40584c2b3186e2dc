"""Captioning benchmark: quick preset on digit scenes of unseen combinations, with and
without attention.

    python -m benchmarks.captioning [--preset quick] [--seeds 0]

Targets on the test scenes (combinations of digits and relations never seen in
training, digit images never used in training): BLEU-4 >= 0.9 and exact match
>= 80% (beam search). Beside it the same decoder without attention
(`attention=false`, started from the pooled grid): its quality, and the
training-step time of both, measured on the same batches in this process (the
ratio is attention / no attention, of the medians). Writes
benchmarks/results/captioning.json.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from benchmarks import record, scratch_run

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
SUITE = "captioning"


def step_seconds(config, steps: int = 30) -> list[float]:
    """Seconds of each of `steps` training steps (forward, backward, update) on the
    training batches of `config`'s data, after three warm-up steps."""
    import keras

    from seqsuite.shared.run import runner
    from seqsuite.suites.captioning.suite import SUITE as CAPTIONING

    data, config, model = runner.prepare(CAPTIONING, config)
    # Repeated: a small preset has fewer training batches than steps.
    batches = list(data.train.repeat().take(steps + 3))
    times = []
    for i, (x, y) in enumerate(batches):
        start = time.perf_counter()
        model.train_on_batch(x, y)
        if i >= 3:
            times.append(time.perf_counter() - start)
    keras.backend.clear_session()
    return times


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args(argv)

    from seqsuite import registry

    prov = record.provenance(record.command_line("captioning", argv), seeds=args.seeds,
                             preset=args.preset, step_times="30 steps after 3 warm-up")
    rows, ratios = [], []
    for seed in args.seeds:
        steps = {}
        for attention in ("true", "false"):
            overrides = [f"seed={seed}", f"attention={attention}"]
            config = registry.resolve_config("captioning", args.preset, overrides)
            steps[attention] = record.scaled(record.median_spread(step_seconds(config)), 1e3)
            with scratch_run("captioning", args.preset, overrides) as (metrics, seconds, run):
                greedy, beam = metrics["test"]["greedy"], metrics["test"]["beam"]
                print(f"seed {seed} attention={attention}: {seconds:.0f} s, "
                      f"beam {beam}", flush=True)
            rows.append({
                "seed": seed, "attention": "yes" if attention == "true" else "no",
                "greedy_bleu4": greedy["bleu4"], "greedy_exact": greedy["exact_match"],
                "beam_bleu4": beam["bleu4"], "beam_exact": beam["exact_match"],
                **{f"exact_{r}": beam.get("exact_" + r) for r in ("left_of", "above", "count")},
                "targets": beam["bleu4"] >= 0.9 and beam["exact_match"] >= 0.8,
                "seconds": seconds, "step_ms": steps[attention]})
        ratios.append({"seed": seed, "with_ms": steps["true"], "without_ms": steps["false"],
                       "ratio": record.ratio(steps["true"], steps["false"])})
    quality = record.table(
        "Test scenes (unseen combinations, unseen digit images)",
        [record.column("seed", "seed"), record.column("attention", "attention"),
         record.column("greedy_bleu4", "greedy BLEU-4", ".4f"),
         record.column("greedy_exact", "greedy exact", ".4f"),
         record.column("beam_bleu4", "beam BLEU-4", ".4f"),
         record.column("beam_exact", "beam exact", ".4f"),
         record.column("exact_left_of", "exact left of (beam)", ".3f"),
         record.column("exact_above", "exact above (beam)", ".3f"),
         record.column("exact_count", "exact count (beam)", ".3f"),
         record.column("targets", "BLEU-4 >= 0.9 and exact >= 80%"),
         record.column("seconds", "train+eval s (one run)", ".0f"),
         record.column("step_ms", "step ms", ".1f")], rows)
    steps = record.table(
        "Training-step time with / without attention",
        [record.column("seed", "seed"), record.column("with_ms", "with attention, ms", ".1f"),
         record.column("without_ms", "without, ms", ".1f"),
         record.column("ratio", "ratio of medians", ".2f", "×")], ratios)
    with_attention = [r for r in rows if r["attention"] == "yes"]
    record.write_result(
        "captioning", suite=SUITE, title=__doc__, provenance=prov, tables=[quality, steps],
        section_title=f"preset {args.preset}",
        headline=[record.headline("beam BLEU-4 (attention)", statistics.median(
                      r["beam_bleu4"] for r in with_attention), ".4f"),
                  record.headline("beam exact match", statistics.median(
                      r["beam_exact"] for r in with_attention), ".4f"),
                  record.headline("step time with / without attention", statistics.median(
                      r["ratio"] for r in ratios), ".2f", "×")])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
