"""Train, evaluate and export the tagging suite.

    seqsuite train tagging --preset quick --out runs/tagging
    seqsuite predict --run runs/tagging "def f ( x ) :"

Entity-level scores follow conlleval (and seqeval's default mode): an entity
is a maximal chunk of one type, B- starts one, I- continues one of the same
type, and an I- after O or after another type starts a new one (E- and S-
tags of IOBES are honoured too; a tag without a prefix, such as a POS tag, is
a one-token entity). A predicted entity counts only with the exact span and
type of a gold one. Precision, recall and F1 are micro-averaged over all
entities of the test split; token accuracy counts every token, O included.
"""

from __future__ import annotations

import collections
import re
from pathlib import Path

import tensorflow as tf

from seqsuite.shared.errors import DataError
from seqsuite.shared.evaluation.metrics import precision_recall_f1
from seqsuite.shared.run.baselines import JsonBaseline
from seqsuite.shared.run.suite import Evaluation
from seqsuite.suites.tagging.config import Config
from seqsuite.suites.tagging.data import TaggingData
from seqsuite.suites.tagging.features import FeatureCRF
from seqsuite.suites.tagging.model import split_tokens, tag_ids


def _split(tag: str) -> tuple[str, str]:
    """(prefix, type) of a tag: O; B/I/E/S-TYPE; else a one-token entity of its own type."""
    if tag == "O":
        return "O", ""
    if len(tag) > 2 and tag[1] == "-" and tag[0] in "BIES":
        return tag[0], tag[2:]
    return "S", tag


def entities(tags: list[str]) -> list[tuple[str, int, int]]:
    """(type, start, end) of each entity in one sentence's tags; end is exclusive."""
    found, start = [], None
    prev_prefix, prev_type = "O", ""
    for i, tag in enumerate([*tags, "O"]):
        prefix, kind = _split(tag)
        ends = (prev_prefix in "ES" or (prev_prefix in "BI" and prefix in "BSO")
                or (prev_prefix != "O" and prev_type != kind))
        if start is not None and ends:
            found.append((prev_type, start, i))
            start = None
        if (prefix in "BS" or (prev_prefix in "ESO" and prefix in "EI")
                or (prefix != "O" and prev_type != kind)):
            start = i
        prev_prefix, prev_type = prefix, kind
    return found


def entity_scores(gold: list[list[str]], predicted: list[list[str]]):
    """(micro precision/recall/F1 and token accuracy, {type: scores and support})."""
    true = {(i, *e) for i, tags in enumerate(gold) for e in entities(tags)}
    found = {(i, *e) for i, tags in enumerate(predicted) for e in entities(tags)}
    correct = true & found
    tokens = sum(len(tags) for tags in gold)
    same = sum(g == p for gs, ps in zip(gold, predicted) for g, p in zip(gs, ps))
    overall = {**precision_recall_f1(len(correct), len(found), len(true)),
               "token_accuracy": same / tokens if tokens else 0.0}
    by_type = {}
    for kind in sorted({e[1] for e in true | found}):
        n_true = sum(e[1] == kind for e in true)
        by_type[kind] = {**precision_recall_f1(sum(e[1] == kind for e in correct),
                                               sum(e[1] == kind for e in found), n_true),
                         "support": n_true}
    return overall, by_type


def tag_sentences(model, config: Config, sentences: list[list[str]],
                  batch_size: int = 256) -> list[list[str]]:
    """The model's tags for token lists, batched by length."""
    run = tf.function(lambda tokens: tag_ids(model, config, tokens),
                      input_signature=[tf.TensorSpec([None, None], tf.string)])
    order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
    out = [None] * len(sentences)
    for b in range(0, len(order), batch_size):
        rows = order[b : b + batch_size]
        width = max(len(sentences[i]) for i in rows)
        tokens = [sentences[i] + [""] * (width - len(sentences[i])) for i in rows]
        ids = run(tf.constant(tokens)).numpy()
        for i, row in zip(rows, ids):
            out[i] = [config.tags[j] for j in row[: len(sentences[i])]]
    return out


def fit_most_frequent_tag(train) -> dict:
    """Baseline: each training token's most frequent tag, and the overall most frequent
    tag for unseen tokens (ties go to the tag seen first)."""
    counts = collections.defaultdict(collections.Counter)
    overall = collections.Counter()
    for tokens, tags in train:
        for token, tag in zip(tokens, tags):
            counts[token][tag] += 1
            overall[tag] += 1
    return {"default": overall.most_common(1)[0][0],
            "tags": {token: c.most_common(1)[0][0] for token, c in counts.items()}}


def most_frequent_tag(baseline: dict, sentences: list[list[str]]) -> list[list[str]]:
    """The baseline's tags for token lists."""
    best, default = baseline["tags"], baseline["default"]
    return [[best.get(t, default) for t in tokens] for tokens in sentences]


class MostFrequentTag(JsonBaseline):
    """The most-frequent-tag baseline (`shared.run.baselines.Baseline`), counted on the
    training split (`fit_most_frequent_tag`) and saved as `tags.json`: token -> tag."""

    name = "most_frequent_tag"
    file = "tags.json"

    def fit(self, data: TaggingData, config: Config) -> None:
        self.fitted = fit_most_frequent_tag(data.sentences["train"])

    def score(self, data: TaggingData, config: Config) -> dict:
        """{name: entity P/R/F1 and token accuracy} on the test split."""
        tokens = [t for t, _ in data.sentences["test"]]
        gold = [g for _, g in data.sentences["test"]]
        scores, _ = entity_scores(gold, most_frequent_tag(self.fitted, tokens))
        return {self.name: scores}


def baselines(config: Config) -> list:
    """`Suite.baselines`: the most frequent tag and the feature CRF, beside every model."""
    return [MostFrequentTag(), FeatureCRF()]


def write_conll(path: Path, sentences, gold, predicted) -> None:
    """`token gold predicted` lines (conlleval's input); whitespace inside a token is ␣."""
    with Path(path).open("w", encoding="utf-8") as f:
        for tokens, g, p in zip(sentences, gold, predicted):
            for row in zip(tokens, g, p):
                f.write(" ".join([re.sub(r"\s", "␣", row[0]), row[1], row[2]]) + "\n")
            f.write("\n")


def evaluate(model, data: TaggingData, config: Config, where: Evaluation) -> dict:
    """Entity P/R/F1 and token accuracy on the test split, beside the most-frequent-tag
    and feature-CRF baselines fitted at training; the model's scores on the validation
    split (what settings are chosen by); per-type scores; `test_predictions.conll` in
    `where.out`. Trains nothing."""
    tokens = [t for t, _ in data.sentences["test"]]
    gold = [g for _, g in data.sentences["test"]]
    predicted = tag_sentences(model, config, tokens)
    scores, by_type = entity_scores(gold, predicted)
    write_conll(where.out / "test_predictions.conll", tokens, gold, predicted)
    info = {"corpus": data.name, "test_sentences": len(tokens),
            "test_tokens": sum(len(t) for t in tokens),
            "test_entities": sum(len(entities(g)) for g in gold),
            "tags": len(config.tags), "vocab": config.vocab_size}
    if data.files:
        info.update({f"{split}_files": len(names) for split, names in data.files.items()})
    test = {config.head: scores}
    for baseline in where.baselines.values():
        test.update(baseline.score(data, config))
    # The validation split's scores: what settings are chosen by (never the test split's).
    val_tokens = [t for t, _ in data.sentences["val"]]
    validation, _ = entity_scores([g for _, g in data.sentences["val"]],
                                  tag_sentences(model, config, val_tokens))
    return {"test": test, "validation": {config.head: validation}, "types": by_type,
            "data": info}


def predict(run, args) -> list[str]:
    """`seqsuite predict --run RUN TEXT ...`: a `token/TAG ...` line per text of
    space-separated tokens."""
    model, config, texts = run.model, run.config, args.texts
    for number, text in enumerate(texts, start=1):
        if not text.split():
            raise DataError(f"text {number} is empty; pass space-separated tokens, "
                            "e.g. \"def f ( x ) :\"")
    tokens = split_tokens(list(texts)).numpy()
    ids = tag_ids(model, config, tokens).numpy()
    return [" ".join(f"{t.decode('utf-8')}/{config.tags[i]}" for t, i in zip(row, tags) if i >= 0)
            for row, tags in zip(tokens, ids)]


def search_space(hp) -> dict:
    # `head` stays out: sequence NLL and per-token cross-entropy are not comparable
    # validation losses. Tune within one head with --set head=...
    clip = hp.Choice("clip_norm", [0.0, 1.0, 5.0])
    return {
        "cell": hp.Choice("cell", ["lstm", "gru", "layernorm_lstm"]),
        "units": hp.Choice("units", [32, 64, 128]),
        "layers": hp.Int("layers", 1, 2),
        "embedding_dim": hp.Choice("embedding_dim", [32, 64, 100]),
        "shape_dim": hp.Choice("shape_dim", [4, 8, 16]),
        "char_filters": hp.Choice("char_filters", [0, 25, 50]),
        "linear_features": hp.Boolean("linear_features"),
        "dropout": hp.Choice("dropout", [0.0, 0.3, 0.5]),
        "min_count": hp.Choice("min_count", [1, 2, 3]),
        "optimizer": hp.Choice("optimizer", ["adam", "adamw", "rmsprop"]),
        "learning_rate": hp.Choice("learning_rate", [1e-3, 3e-3]),
        "batch_size": hp.Choice("batch_size", [32, 64]),
        "clip_norm": clip or None,  # 0 in the space means "no clipping"
    }
