"""Sentiment quality benchmark: real critic snippets against a TF-IDF baseline, quick preset.

    python -m benchmarks.sentiment [--preset quick] [--seeds 0 1 2] [--reviews]

Target on the rotten_tomatoes test split (12,752 Rotten Tomatoes snippets of
Pang and Lee, split by movie; no movie of the test split is seen in training):
the attention classifier's accuracy beats the TF-IDF word+bigram logistic
regression fitted in the same run on the same split (its C chosen on the
validation split). Published results on the comparable MR set (10,662
snippets, 10-fold cross-validation; PUBLISHED) are written beside them. `--reviews` also
runs the generated compositional reviews (the word-order diagnostic) with its
own targets: >= 97% accuracy and >= 10 points above the baseline. Writes
benchmarks/results/sentiment.json (sections "main" and "reviews"), with the load average
the runs shared the machine with.
"""

from __future__ import annotations

import argparse
import os
import statistics

from benchmarks import record, scratch_run

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
SUITE = "sentiment"

REVIEWS_ACCURACY = 0.97
REVIEWS_MARGIN = 0.10
# Accuracy on MR (Pang & Lee 2005 sentence polarity: 10,662 snippets from the same source,
# balanced, 10-fold cross-validation), from Kim (2014, EMNLP, Table 2, which quotes Wang &
# Manning 2012 for the Bayes models).
PUBLISHED = {"CNN, word vectors learned from scratch (CNN-rand)": 0.761,
             "multinomial naive Bayes, unigrams and bigrams": 0.790,
             "NBSVM, unigrams and bigrams": 0.794,
             "CNN, pretrained word2vec vectors, static": 0.810,
             "CNN, pretrained word2vec vectors, fine-tuned": 0.815}


def _runs(data: str, preset: str, seeds) -> list[tuple[int, dict, float, tuple]]:
    rows = []
    for seed in seeds:
        before = os.getloadavg()
        with scratch_run("sentiment", preset, [f"data={data}", f"seed={seed}"]) as (
                metrics, seconds, _):
            rows.append((seed, metrics, seconds, (before[0], os.getloadavg()[0])))
    return rows


def rotten_tomatoes(preset: str, seeds, prov: dict) -> None:
    rows = []
    for seed, metrics, seconds, load in _runs("rotten_tomatoes", preset, seeds):
        model, tfidf, data = metrics["test"]["model"], metrics["test"]["tfidf_logreg"], metrics["data"]
        rows.append({"seed": seed, "train": data["train"], "val": data["val"],
                     "test": data["test"], "accuracy": model["accuracy"],
                     "macro_f1": model["macro_f1"], "tfidf_accuracy": tfidf["accuracy"],
                     "tfidf_macro_f1": tfidf["macro_f1"], "C": metrics["baseline"]["C"],
                     "beats": model["accuracy"] > tfidf["accuracy"], "seconds": seconds,
                     "load_before": load[0], "load_after": load[1]})
    table = record.table(
        "rotten_tomatoes test split (split by movie)",
        [record.column("seed", "seed"), record.column("train", "train"),
         record.column("val", "val"), record.column("test", "test"),
         record.column("accuracy", "model accuracy", ".4f"),
         record.column("macro_f1", "model macro F1", ".4f"),
         record.column("tfidf_accuracy", "TF-IDF accuracy", ".4f"),
         record.column("tfidf_macro_f1", "TF-IDF macro F1", ".4f"),
         record.column("C", "TF-IDF C", "g"), record.column("beats", "model > TF-IDF"),
         record.column("seconds", "train+eval s (one run)", ".0f"),
         record.column("load_before", "load before", ".1f"),
         record.column("load_after", "load after", ".1f")], rows)
    published = record.table(
        "Published results on the comparable MR set (not measured here)",
        [record.column("system", "system on MR"),
         record.column("accuracy", "accuracy (10-fold CV)", ".1%")],
        [{"system": system, "accuracy": accuracy} for system, accuracy in PUBLISHED.items()],
        notes=["Kim (2014, EMNLP), Table 2; MR is Pang & Lee's sentence polarity set, from "
               "the same source as rotten_tomatoes but split at random, not by movie."])
    record.write_result(
        "sentiment", suite=SUITE, title=__doc__, provenance=prov, tables=[table, published],
        section_title=f"Rotten Tomatoes against TF-IDF, preset {preset}",
        headline=[record.headline(f"model accuracy (median of {len(rows)} seeds)",
                                  statistics.median(r["accuracy"] for r in rows), ".4f"),
                  record.headline("TF-IDF", statistics.median(r["tfidf_accuracy"]
                                                              for r in rows), ".4f")])


def reviews(preset: str, seeds, prov: dict) -> None:
    rows, kinds = [], []
    for seed, metrics, seconds, _ in _runs("reviews", preset, seeds):
        model = metrics["test"]["model"]["accuracy"]
        tfidf = metrics["test"]["tfidf_logreg"]["accuracy"]
        rows.append({"seed": seed, "accuracy": model, "tfidf_accuracy": tfidf,
                     "target": model >= REVIEWS_ACCURACY,
                     "margin": model - tfidf >= REVIEWS_MARGIN, "seconds": seconds})
        for kind, scores in sorted(metrics["by_construction"].items()):
            kinds.append({"seed": seed, "construction": kind, "reviews": scores["reviews"],
                          "model": scores["model"], "tfidf": scores["tfidf_logreg"]})
    table = record.table(
        "Generated reviews, test split",
        [record.column("seed", "seed"), record.column("accuracy", "model accuracy", ".4f"),
         record.column("tfidf_accuracy", "TF-IDF accuracy", ".4f"),
         record.column("target", f"accuracy >= {REVIEWS_ACCURACY:.0%}"),
         record.column("margin", f">= TF-IDF + {100 * REVIEWS_MARGIN:.0f} pts"),
         record.column("seconds", "train+eval s (one run)", ".0f")], rows)
    by_kind = record.table(
        "Accuracy per construction (test split)",
        [record.column("seed", "seed"), record.column("construction", "construction"),
         record.column("reviews", "reviews"), record.column("model", "model", ".4f"),
         record.column("tfidf", "TF-IDF", ".4f")], kinds)
    record.write_result(
        "sentiment", suite=SUITE, title=__doc__, provenance=prov, tables=[table, by_kind],
        section="reviews", section_title=f"Word-order diagnostic (generated reviews), "
                                         f"preset {preset}",
        headline=[record.headline("reviews: model accuracy",
                                  statistics.median(r["accuracy"] for r in rows), ".4f")])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--reviews", action="store_true",
                        help="also run the generated reviews diagnostic")
    args = parser.parse_args(argv)

    command = record.command_line("sentiment", argv)
    rotten_tomatoes(args.preset, args.seeds, record.provenance(
        command, seeds=args.seeds, preset=args.preset, data="rotten_tomatoes"))
    if args.reviews:
        reviews(args.preset, args.seeds, record.provenance(
            command, seeds=args.seeds, preset=args.preset, data="reviews"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
