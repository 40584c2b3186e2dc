"""Text preparation and vocabularies shared by the text suites.

Tokenisation happens in two steps that run identically in the tf.data pipeline
and inside exported SavedModels: `prepare` (lower-casing and spacing out
punctuation, TensorFlow string ops only) and a `keras.layers.TextVectorization`
that splits on whitespace ("word") or into characters ("char") with no further
standardisation. Vocabularies are computed once from the training split and
given to every vectoriser with `set_vocabulary`, so the pipeline and the model
can never disagree on an id; `build_vocabulary` is the one rule that makes them.
"""

from __future__ import annotations

import collections
import math
from collections.abc import Mapping
from pathlib import Path

import keras
import tensorflow as tf

from seqsuite.shared.data.sources import read_text
from seqsuite.shared.errors import DataError

# Start and end of a target sequence: single control characters in char mode
# (so they stay one token), bracketed words in word mode.
SPECIALS = {"char": ("\x02", "\x03"), "word": ("[start]", "[end]")}
_PUNCT = r"([.,!?;:¿¡()\"])"


class Vocabulary(list):
    """A token list that `shared.run.runner.adapt` installs with `set_vocabulary`."""


def prepare(texts, lowercase: bool, tokens: str):
    """Standardise a string tensor: optional lower-casing; in word mode punctuation
    becomes its own token and whitespace is collapsed."""
    texts = tf.convert_to_tensor(texts)
    if lowercase:
        texts = tf.strings.lower(texts, encoding="utf-8")
    if tokens == "word":
        texts = tf.strings.regex_replace(texts, _PUNCT, r" \1 ")
        texts = tf.strings.strip(tf.strings.regex_replace(texts, r"\s+", " "))
    return texts


def wrap(texts, tokens: str):
    """Add the start and end tokens around prepared target texts."""
    start, end = SPECIALS[tokens]
    sep = " " if tokens == "word" else ""
    return tf.strings.join([start, texts, end], separator=sep)


def vectorizer(tokens: str, length: int, vocabulary=None, name=None):
    """A TextVectorization layer that only splits (texts are `prepare`d already)."""
    layer = keras.layers.TextVectorization(
        standardize=None, split="character" if tokens == "char" else "whitespace",
        output_mode="int", output_sequence_length=length, name=name)
    if vocabulary is not None:
        layer.set_vocabulary(list(vocabulary)[2:])  # index 0 is padding, 1 is [UNK]
    return layer


def count_tokens(texts, tokens: str) -> collections.Counter:
    """How often each token of prepared `texts` occurs, split as `vectorizer` splits:
    on whitespace ("word") or into characters ("char")."""
    texts = tf.convert_to_tensor(texts)
    if tokens == "char":
        pieces = tf.strings.unicode_split(texts, "UTF-8")
    else:
        pieces = tf.strings.split(texts)
    counts = collections.Counter(pieces.flat_values.numpy().tolist())  # bytes -> count
    return collections.Counter({token.decode("utf-8"): n for token, n in counts.items()})


def build_vocabulary(counts: Mapping[str, int], max_size: int | None = None,
                     min_count: int = 1) -> Vocabulary:
    """Padding `""` and `[UNK]` (ids 0 and 1), then every token counted at least
    `min_count` times, most frequent first (ties in code-point order), at most
    `max_size` tokens in all (None: no limit).

    The one vocabulary rule of every suite: `counts` may come from
    `count_tokens` or from a `collections.Counter` of any token list. A token
    that spans lines (a multi-line string literal, a lone U+2028) stays out:
    Keras saves a vocabulary one token per line, so it would not load again.
    """
    kept = sorted((t for t, n in counts.items()
                   if n >= min_count and t not in ("", "[UNK]") and t.splitlines() == [t]),
                  key=lambda t: (-counts[t], t))
    if max_size is not None:
        kept = kept[: max(0, max_size - 2)]
    return Vocabulary(["", "[UNK]", *kept])


def detokenize(ids, vocabulary, tokens: str, end_id: int):
    """Token ids (batch, time) -> strings, stopping at `end_id`, dropping padding."""
    ids = tf.convert_to_tensor(ids)
    keep = tf.cumsum(tf.cast(tf.equal(ids, end_id), tf.int32), axis=1) == 0
    keep = keep & (ids > 0)
    words = tf.gather(tf.constant(list(vocabulary)), tf.where(keep, ids, 0))
    words = tf.where(keep, words, "")
    if tokens == "char":
        return tf.strings.reduce_join(words, axis=1)
    joined = tf.strings.reduce_join(words, axis=1, separator=" ")
    return tf.strings.strip(tf.strings.regex_replace(joined, r"\s+", " "))


def read_word_counts(path, alphabet: str | None = None,
                     what: str = "vocabulary file") -> dict[str, float]:
    """{word: count} of a word list: one word per line, optionally `word<TAB>count`
    (default count 1, so a plain list makes every word as likely); blank lines skipped,
    words lower-cased, repeats summed. DataError (one line, naming the fix) for a
    missing, binary, empty or non-UTF-8 file, a line with a space in its word, a count
    that is not a positive number, or a word with a character outside `alphabet`."""
    path = Path(path)
    text = read_text(path, what, "give a text file with one word per line")
    counts: dict[str, float] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        word, _, count = line.strip().partition("\t")
        word = word.strip().lower()
        if " " in word:
            raise DataError(f"{what} {path}:{number}: {word!r} holds a space; give one word per "
                            "line (word<TAB>count)")
        try:
            value = float(count) if count.strip() else 1.0
        except ValueError:
            raise DataError(f"{what} {path}:{number}: count {count!r} is not a number; write "
                            "word<TAB>count or the word alone") from None
        if not (value > 0 and math.isfinite(value)):
            raise DataError(f"{what} {path}:{number}: count {count!r} must be a positive number")
        if alphabet is not None:
            missing = sorted({c for c in word if c not in alphabet})
            if missing:
                raise DataError(f"{what} {path}:{number}: {word!r} has characters {missing!r} the "
                                f"model cannot write; use only {alphabet.strip()!r}")
        counts[word] = counts.get(word, 0.0) + value
    if not counts:
        raise DataError(f"{what} '{path}' holds no words; give one word per line")
    return counts
