"""Train, evaluate and export the sentiment suite.

    python -m seqsuite.suites.sentiment.train --preset quick --out runs/sentiment
    seqsuite predict --run runs/sentiment "The plot was not bad, although the acting was dull."
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import tensorflow as tf

from seqsuite.shared.plots import plot_word_attention
from seqsuite.suites.sentiment.config import Config
from seqsuite.suites.sentiment.data import SentimentData, prepare_reviews
from seqsuite.suites.sentiment.model import attention_model
from seqsuite.suites.sentiment.reviews import CONSTRUCTIONS

EMPTY = "(empty)"  # what `predict` prints for a text with no tokens
N_ATTENTION_PLOTS = 3


def classification_scores(truth, predicted, labels: list[str]) -> tuple[dict, dict]:
    """({accuracy, macro_f1}, {label: {precision, recall, f1, support}})."""
    truth, predicted = np.asarray(truth), np.asarray(predicted)
    per_class = {}
    for index, label in enumerate(labels):
        tp = float(np.sum((predicted == index) & (truth == index)))
        precision = tp / max(float(np.sum(predicted == index)), 1.0)
        recall = tp / max(float(np.sum(truth == index)), 1.0)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {"precision": precision, "recall": recall, "f1": f1,
                            "support": int(np.sum(truth == index))}
    summary = {"accuracy": float(np.mean(truth == predicted)),
               "macro_f1": float(np.mean([c["f1"] for c in per_class.values()]))}
    return summary, per_class


def bag_of_words_baseline(data: SentimentData, config: Config) -> np.ndarray:
    """Test-split predictions of a unigram logistic regression on the same prepared tokens.

    The regularisation strength is chosen on the validation split.
    """
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    def tokens(split):
        return [t.decode("utf-8") for t in
                prepare_reviews(data.texts[split], config.lowercase).numpy()]

    counts = CountVectorizer(tokenizer=str.split, lowercase=False, token_pattern=None,
                             max_features=config.max_vocab)
    x = {"train": counts.fit_transform(tokens("train"))}
    x["val"], x["test"] = counts.transform(tokens("val")), counts.transform(tokens("test"))
    best, best_accuracy = None, -1.0
    for c in (0.1, 1.0, 10.0):
        classifier = LogisticRegression(C=c, max_iter=2000).fit(x["train"], data.labels["train"])
        accuracy = classifier.score(x["val"], data.labels["val"])
        if accuracy > best_accuracy:
            best, best_accuracy = classifier, accuracy
    return best.predict(x["test"])


def probabilities_of(model, texts: list[str], config: Config, batch_size: int = 256):
    prepared = prepare_reviews(texts, config.lowercase)
    return model.predict(prepared, batch_size=batch_size, verbose=0)


def plot_attention_examples(model, data: SentimentData, config: Config, run_dir: Path,
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
        paths.append(plot_word_attention(words, weights[i], Path(run_dir) / f"attention_{i}.png",
                                         title=title))
    return paths


def evaluate(model, data: SentimentData, config: Config, run_dir: Path) -> dict:
    """Test accuracy, macro F1 and per-class scores of the model and the bag-of-words
    baseline; accuracy per construction on the embedded reviews; attention plots."""
    truth = data.labels["test"]
    predicted = {"model": np.argmax(probabilities_of(model, data.texts["test"], config), -1),
                 "bag_of_words": bag_of_words_baseline(data, config)}
    test, per_class = {}, {}
    for name, guess in predicted.items():
        test[name], classes = classification_scores(truth, guess, config.labels)
        for label, scores in classes.items():
            per_class[f"{name} {label}"] = scores
    metrics = {"test": test, "per_class": per_class}
    if data.constructions:
        kinds = np.asarray(data.constructions["test"])
        metrics["by_construction"] = {
            kind: {**{name: float(np.mean(guess[kinds == kind] == truth[kinds == kind]))
                      for name, guess in predicted.items()},
                   "reviews": int(np.sum(kinds == kind))}
            for kind in CONSTRUCTIONS if kind in kinds}
    plot_attention_examples(model, data, config, run_dir)
    metrics["data"] = {"corpus": data.name, "train": len(data.texts["train"]),
                       "val": len(data.texts["val"]), "test": len(data.texts["test"]),
                       "vocab": config.vocab_size, "skipped_empty": data.skipped_empty}
    return metrics


def predict(model, config: Config, texts: list[str]) -> list[str]:
    """One line per text: the most likely label, its probability, the text (`seqsuite predict`).

    A text with no tokens gets uniform probabilities and the label "(empty)".
    """
    texts = list(texts)
    probabilities = probabilities_of(model, texts, config)
    blank = tf.equal(tf.strings.length(prepare_reviews(texts, config.lowercase)), 0).numpy()
    lines = []
    for text, p, empty in zip(texts, probabilities, blank):
        best = int(np.argmax(p))
        label = EMPTY if empty else config.labels[best]
        lines.append(f"{label}\t{p[best]:.3f}\t{text}")
    return lines


def main(argv: list[str] | None = None) -> int:
    from seqsuite.cli import main as cli_main

    return cli_main(["train", "sentiment", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
