"""Train, evaluate and export the sentiment suite.

    seqsuite train sentiment --preset quick --out runs/sentiment
    seqsuite predict --run runs/sentiment "The plot was not bad, although the acting was dull."
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf

from seqsuite.shared.evaluation.metrics import classification_scores
from seqsuite.shared.evaluation.plots import plot_word_attention
from seqsuite.shared.run.baselines import JsonBaseline
from seqsuite.shared.run.suite import Evaluation
from seqsuite.suites.sentiment.config import Config
from seqsuite.suites.sentiment.data import SentimentData, prepare_reviews
from seqsuite.suites.sentiment.model import attention_model, path_model
from seqsuite.suites.sentiment.ngrams import baseline_tokens, fit_counts, ngram_counts
from seqsuite.suites.sentiment.reviews import CONSTRUCTIONS

EMPTY = "(empty)"  # what `predict` prints for a text with no tokens
N_ATTENTION_PLOTS = 3


TFIDF_C = (1.0, 3.0, 10.0, 30.0, 100.0)  # inverse regularisation strengths tried on validation


def tfidf_features(counts, idf: np.ndarray):
    """scikit-learn's default TF-IDF of a count matrix: counts times the smoothed
    idf `ln((1 + n) / (1 + df)) + 1`, each row scaled to unit L2 norm."""
    from sklearn.preprocessing import normalize

    return normalize(counts.multiply(idf[None, :]).tocsr())


class TfidfLogisticRegression(JsonBaseline):
    """The baseline (`shared.run.baselines.Baseline`): TF-IDF word unigram and bigram
    features and a logistic regression, on the same prepared tokens the model reads.

    Saved as `model.json` (n-gram vocabulary, idf, weights, classes, the chosen C):
    plain numbers, so evaluating a run never unpickles code.
    """

    name = "tfidf_logreg"
    file = "model.json"

    def fit(self, data: SentimentData, config: Config) -> None:
        """Fit once, the inverse regularisation strength C chosen from `TFIDF_C` on the
        validation split (never the test split)."""
        from sklearn.feature_extraction.text import TfidfTransformer
        from sklearn.linear_model import LogisticRegression

        # Unigrams and bigrams of at least two training texts: keeping them all would
        # quadruple the saved vocabulary (31,549 n-grams against 128,292 on
        # rotten_tomatoes) for a validation accuracy within a point (seeds 0 and 1).
        counts, train_counts = fit_counts(baseline_tokens(data.texts["train"], config.lowercase))
        idf = TfidfTransformer().fit(train_counts).idf_
        x_train = tfidf_features(train_counts, idf)
        x_val = tfidf_features(counts.transform(baseline_tokens(data.texts["val"], config.lowercase)), idf)
        best, best_c, best_accuracy = None, None, -1.0
        for c in TFIDF_C:
            classifier = LogisticRegression(C=c, max_iter=2000).fit(x_train, data.labels["train"])
            accuracy = classifier.score(x_val, data.labels["val"])
            if accuracy > best_accuracy:
                best, best_c, best_accuracy = classifier, c, accuracy
        self.fitted = {
            "vocabulary": {token: int(column) for token, column in counts.vocabulary_.items()},
            "idf": idf.tolist(), "coef": best.coef_.tolist(),
            "intercept": best.intercept_.tolist(), "classes": best.classes_.tolist(),
            "C": best_c, "val_accuracy": float(best_accuracy)}

    def predict(self, texts: list[str], config: Config) -> np.ndarray:
        """Class ids the fitted logistic regression gives `texts` (as sklearn's `predict`)."""
        fitted = self.fitted
        counts = ngram_counts(vocabulary=fitted["vocabulary"]).transform(
            baseline_tokens(texts, config.lowercase))
        x = tfidf_features(counts, np.asarray(fitted["idf"], dtype="float64"))
        coef = np.asarray(fitted["coef"], dtype="float64")  # (1 or classes, features)
        scores = x @ coef.T + np.asarray(fitted["intercept"], dtype="float64")
        classes = np.asarray(fitted["classes"])
        if coef.shape[0] == 1:  # two classes: one score, positive means the second
            return classes[(scores[:, 0] > 0).astype(int)]
        return classes[np.argmax(scores, axis=1)]

    def score(self, data: SentimentData, config: Config) -> dict:
        """{name: accuracy and macro F1} on the test split."""
        summary, _ = classification_scores(data.labels["test"],
                                           self.predict(data.texts["test"], config),
                                           config.labels)
        return {self.name: summary}

    def settings(self) -> dict:
        """What fitting chose: C, its validation accuracy, the number of n-grams."""
        return {"C": self.fitted["C"], "val_accuracy": self.fitted["val_accuracy"],
                "features": len(self.fitted["vocabulary"])}


def baselines(config: Config) -> list:
    """`Suite.baselines`: the TF-IDF + logistic regression baseline, beside every model."""
    return [TfidfLogisticRegression()]


def probabilities_of(model, texts: list[str], config: Config, batch_size: int = 256):
    prepared = prepare_reviews(texts, config.lowercase)
    return model.predict(prepared, batch_size=batch_size, verbose=0)


def plot_attention_examples(model, data: SentimentData, config: Config, out: Path,
                            count: int = N_ATTENTION_PLOTS) -> list[Path]:
    """`attention_0.png` ...: the first `count` test reviews, words shaded by weight."""
    prepared = prepare_reviews(data.texts["test"][:count], config.lowercase)
    probabilities, weights = attention_model(model).predict(prepared, verbose=0)
    vectorizer = model.get_layer("vectorizer")
    vocabulary = vectorizer.get_vocabulary()
    paths = []
    for i, row in enumerate(vectorizer(prepared).numpy()):  # (time,) token ids
        words = [vocabulary[t] for t in row if t > 0]
        predicted = int(np.argmax(probabilities[i]))
        title = (f"true {config.labels[data.labels['test'][i]]}, predicted "
                 f"{config.labels[predicted]} ({probabilities[i, predicted]:.2f})")
        paths.append(plot_word_attention(words, weights[i], Path(out) / f"attention_{i}.png",
                                         title=title))
    return paths


def evaluate(model, data: SentimentData, config: Config, where: Evaluation) -> dict:
    """Test accuracy, macro F1 and per-class scores of the model, of each of its paths
    alone (the ablation; with a linear path) and of the TF-IDF baseline fitted at
    training; the fusion weights; accuracy per construction on the generated reviews;
    attention plots in `where.out`. Trains nothing."""
    truth = data.labels["test"]
    tfidf = where.baselines[TfidfLogisticRegression.name]
    predicted = {"model": np.argmax(probabilities_of(model, data.texts["test"], config), -1)}
    if config.linear_ngrams:  # the ablation: each path of the fused model alone
        paths = path_model(model).predict(prepare_reviews(data.texts["test"], config.lowercase),
                                          batch_size=256, verbose=0)
        predicted.update({f"{name} alone": np.argmax(p, -1) for name, p in paths.items()})
    predicted[tfidf.name] = tfidf.predict(data.texts["test"], config)
    test, per_class = {}, {}
    for name, guess in predicted.items():
        test[name], classes = classification_scores(truth, guess, config.labels)
        for label, scores in classes.items():
            per_class[f"{name} {label}"] = scores
    metrics = {"test": test, "per_class": per_class, "baseline": tfidf.settings()}
    if config.fusion is not None:
        metrics["fusion"] = {"ngrams weight": config.fusion[0], "network weight": config.fusion[1]}
        metrics["ngram_path"] = dict(config.ngram_path or {})
    if data.constructions:
        kinds = np.asarray(data.constructions["test"])
        metrics["by_construction"] = {
            kind: {**{name: float(np.mean(guess[kinds == kind] == truth[kinds == kind]))
                      for name, guess in predicted.items()},
                   "reviews": int(np.sum(kinds == kind))}
            for kind in CONSTRUCTIONS if kind in kinds}
    plot_attention_examples(model, data, config, where.out)
    metrics["data"] = {"corpus": data.name, "train": len(data.texts["train"]),
                       "val": len(data.texts["val"]), "test": len(data.texts["test"]),
                       "vocab": config.vocab_size, "skipped_empty": data.skipped_empty}
    return metrics


def predict(run, args) -> list[str]:
    """One line per text: the most likely label, its probability, the text (`seqsuite predict`).

    A text with no tokens gets uniform probabilities and the label "(empty)".
    """
    model, config, texts = run.model, run.config, list(args.texts)
    probabilities = probabilities_of(model, texts, config)
    blank = tf.equal(tf.strings.length(prepare_reviews(texts, config.lowercase)), 0).numpy()
    lines = []
    for text, p, empty in zip(texts, probabilities, blank):
        best = int(np.argmax(p))
        label = EMPTY if empty else config.labels[best]
        lines.append(f"{label}\t{p[best]:.3f}\t{text}")
    return lines


def search_space(hp) -> dict:
    clip = hp.Choice("clip_norm", [0.0, 1.0, 5.0])
    return {
        "cell": hp.Choice("cell", ["lstm", "gru", "layernorm_lstm"]),
        "units": hp.Choice("units", [32, 64, 128]),
        "embedding_dim": hp.Choice("embedding_dim", [32, 64, 128]),
        "attention_units": hp.Choice("attention_units", [32, 64]),
        "dropout": hp.Choice("dropout", [0.0, 0.2, 0.4]),
        "word_dropout": hp.Choice("word_dropout", [0.0, 0.1, 0.3]),
        "zoneout_h": hp.Choice("zoneout_h", [0.0, 0.05, 0.1]),
        "linear_ngrams": hp.Choice("linear_ngrams", [0, 1, 2, 3]),
        "optimizer": hp.Choice("optimizer", ["adam", "adamw", "rmsprop"]),
        "learning_rate": hp.Choice("learning_rate", [1e-3, 3e-3]),
        "batch_size": hp.Choice("batch_size", [32, 64, 128]),
        "clip_norm": clip or None,  # 0 in the space means "no clipping"
    }
