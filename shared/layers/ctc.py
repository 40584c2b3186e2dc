"""Connectionist temporal classification: loss, decoding, character vocabularies, error rates.

CTC (Graves et al. 2006) trains a frame classifier over `classes = blank +
symbols` without frame-level alignments. A path `π` (one class per frame)
collapses to a labelling `B(π)` by merging repeats and then dropping blanks,
and for per-frame log-probabilities `log p_t` (a log-softmax of the logits)

```
P(y | x) = Σ_{π : B(π) = y} Π_t p_t[π_t],       loss = -log P(y | x)
```

summed over all alignments by the forward algorithm
(`tf.nn.ctc_loss` through `keras.ops.ctc_loss`). Here the blank is class 0 and
symbol `k` of a `CharVocabulary` is class `k + 1`, the convention of Keras's
`ctc_loss`/`ctc_decode` (`mask_index=0`).

- `CTCLoss`: a Keras loss for `model.compile`; labels are padded with `-1`,
  so their lengths need no second input; every frame of the logits counts, so
  a model masks its padded frames with `BlankPadding` (forcing the blank there
  adds `log 1 = 0`: the loss of the valid frames is unchanged).
- `ctc_decode(logits, lengths, method="greedy" | "beam", beam_width=...)`:
  greedy decoding takes the best class per frame and collapses it; beam
  search is prefix beam search (`tf.nn.ctc_beam_search_decoder`: the
  probability of a prefix sums every path that collapses to it, so a labelling
  spread over many low-probability paths can beat the single best path). Both
  are TensorFlow ops, so they run inside a SavedModel signature.
  `ctc_beam_candidates` gives the `n` best labellings of the beam search with their
  log-probabilities, for a rescorer with knowledge of words (`shared.layers.lexicon`).
- `CharVocabulary`: characters <-> class ids with the blank at 0, and
  `to_text` inside a graph.
- `error_rates`: corpus CER and WER with jiwer.

Example:

    vocab = CharVocabulary("abcdefghijklmnopqrstuvwxyz' ")
    logits = keras.layers.Dense(vocab.classes)(encoded)            # (batch, time, classes)
    logits = BlankPadding()(logits)                                # uses encoded's mask
    model.compile("adam", loss=CTCLoss())                          # labels: vocab.encode(...), -1 pad
    ids, _ = ctc_decode(model(x), lengths, method="beam", beam_width=8)
    texts = vocab.to_text(ids)                                     # tf.string (batch,)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import keras
import numpy as np
import tensorflow as tf
from keras import ops

BLANK = 0  # the blank's class id
PAD = -1  # the label id of padding, and of decoder output past a sequence's end
# The logit of every non-blank class at a padded frame: exp(-1e4) is exactly 0 in
# float32 (and in float16 after Keras's cast), so the blank has probability 1 there.
_IMPOSSIBLE = -1e4
METHODS = ("greedy", "beam")


class CharVocabulary:
    """Characters <-> CTC class ids: the blank is 0, `characters[k]` is `k + 1`.

    Args:
        characters: the symbols, one character each, no repeats (e.g.
            `"abcdefghijklmnopqrstuvwxyz' "`).

    `encode` refuses a character outside the vocabulary with a ValueError
    naming it; normalise text first (a suite decides how: case, digits as
    words, punctuation).
    """

    def __init__(self, characters: str):
        characters = str(characters)
        if not characters:
            raise ValueError("CharVocabulary needs at least one character. Received: ''")
        repeated = sorted({c for c in characters if characters.count(c) > 1})
        if repeated:
            raise ValueError(f"CharVocabulary characters must be unique. Received repeats "
                             f"of {repeated!r}")
        self.characters = characters
        self._ids = {c: i + 1 for i, c in enumerate(characters)}

    @property
    def classes(self) -> int:
        """Number of output classes: the characters plus the blank."""
        return len(self.characters) + 1

    def __len__(self) -> int:
        return len(self.characters)

    def __eq__(self, other) -> bool:
        return isinstance(other, CharVocabulary) and other.characters == self.characters

    def __repr__(self) -> str:
        return f"CharVocabulary({self.characters!r})"

    def unknown(self, text: str) -> list[str]:
        """Characters of `text` the vocabulary lacks, sorted."""
        return sorted({c for c in text if c not in self._ids})

    def encode(self, text: str) -> list[int]:
        """Class ids of `text`'s characters (no blank)."""
        missing = self.unknown(text)
        if missing:
            raise ValueError(f"characters {missing!r} of {text!r} are not in the vocabulary "
                             f"{self.characters!r}; normalise the text first")
        return [self._ids[c] for c in text]

    def encode_batch(self, texts: Iterable[str]) -> np.ndarray:
        """Ids of several texts, int32 (batch, longest), padded with `PAD`."""
        rows = [self.encode(t) for t in texts]
        out = np.full((len(rows), max([1, *map(len, rows)])), PAD, dtype="int32")
        for i, row in enumerate(rows):
            out[i, : len(row)] = row
        return out

    def decode(self, ids: Iterable[int]) -> str:
        """The text of class ids; blanks and padding (ids <= 0) are skipped."""
        return "".join(self.characters[i - 1] for i in map(int, ids) if i > 0)

    def to_text(self, ids) -> tf.Tensor:
        """Graph version of `decode`: int (..., time) -> tf.string (...), e.g. (batch,)."""
        table = tf.constant(["", *self.characters])  # blank -> ""
        ids = tf.convert_to_tensor(ids)
        ids = tf.where(ids > 0, ids, tf.zeros_like(ids))  # padding -> ""
        return tf.strings.reduce_join(tf.gather(table, ids), axis=-1)


def label_lengths(labels) -> tf.Tensor:
    """Lengths of labels padded with `PAD` (any negative id): int32 (batch,)."""
    return ops.sum(ops.cast(ops.greater_equal(labels, 0), "int32"), axis=-1)


def ctc_loss(labels, logits, label_length=None, logit_length=None, blank: int = BLANK):
    """Per-sequence CTC negative log-likelihood, float (batch,).

    Args:
        labels: int (batch, max_label_length), class ids; positions past a
            sequence's length may hold anything (they are ignored).
        logits: float (batch, time, classes), unnormalised scores.
        label_length: int (batch,); default: the count of non-negative labels.
        logit_length: int (batch,); default: every frame.
        blank: the blank's class id (default 0).
    """
    labels = ops.convert_to_tensor(labels)
    if label_length is None:
        label_length = label_lengths(labels)
    if logit_length is None:
        logit_length = ops.full((ops.shape(logits)[0],), ops.shape(logits)[1], dtype="int32")
    # Padding may be negative; give it a valid id, the lengths mask it out anyway.
    labels = ops.where(ops.greater_equal(labels, 0), labels, ops.zeros_like(labels))
    return ops.ctc_loss(labels, logits, label_length, logit_length, mask_index=blank)


@keras.saving.register_keras_serializable(package="seqsuite")
class CTCLoss(keras.losses.Loss):
    """CTC loss for `model.compile`: labels padded with -1, logits over every frame.

    Args:
        blank: the blank's class id (default 0).
        reduction, name, dtype: as for any `keras.losses.Loss` (default: the
            mean over the batch of each sequence's negative log-likelihood).

    Call arguments:
        y_true: int (batch, max_label_length), class ids, -1 after each label's end.
        y_pred: float (batch, time, classes), logits; padded frames forced to the
            blank (`BlankPadding`), so each sequence's whole length is used.
    """

    def __init__(self, blank: int = BLANK, reduction="sum_over_batch_size", name="ctc_loss",
                 dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        self.blank = int(blank)

    def call(self, y_true, y_pred):
        return ctc_loss(y_true, y_pred, blank=self.blank)

    def get_config(self):
        return {**super().get_config(), "blank": self.blank}


@keras.saving.register_keras_serializable(package="seqsuite")
class BlankPadding(keras.layers.Layer):
    """Forces the blank at padded frames, so CTC over all frames equals CTC over the valid ones.

    At a frame where the mask is False the output logits are 0 for the blank and
    -1e4 for every other class (probability 1 for the blank); valid frames pass
    unchanged. The mask is consumed: the output carries none (a Keras loss would
    otherwise weight CTC's per-sequence values by a per-frame mask).

    Args:
        blank: the blank's class id (default 0).

    Call arguments:
        inputs: float (batch, time, classes), logits.
        mask: bool (batch, time), True at valid frames; taken from the inputs'
            Keras mask when not given. Without a mask the inputs pass unchanged.
    """

    def __init__(self, blank: int = BLANK, **kwargs):
        super().__init__(**kwargs)
        self.blank = int(blank)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return inputs
        classes = ops.shape(inputs)[-1]
        forced = ops.where(ops.arange(classes) == self.blank, 0.0, _IMPOSSIBLE)
        forced = ops.cast(forced, inputs.dtype)  # (classes,)
        return ops.where(ops.expand_dims(ops.cast(mask, "bool"), -1), inputs, forced)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "blank": self.blank}


def ctc_decode(logits, lengths=None, method: str = "greedy", beam_width: int = 8,
               blank: int = BLANK):
    """Best labelling per sequence: (ids int32 (batch, time) padded with -1, log-score (batch,)).

    Args:
        logits: float (batch, time, classes).
        lengths: int (batch,) valid frames per sequence; default: every frame.
        method: "greedy" (best class per frame, repeats merged, blanks dropped)
            or "beam" (prefix beam search keeping `beam_width` prefixes).
        beam_width: prefixes kept per step in beam search (default 8).
        blank: the blank's class id (default 0).

    The score is the negative sum of the best frame logits for greedy decoding
    (TensorFlow's convention) and the log-probability of the prefix for beam
    search. Runs in a graph (SavedModel signatures).
    """
    if method not in METHODS:
        raise ValueError(f"ctc_decode method must be one of {METHODS}. Received: {method!r}")
    if int(beam_width) < 1:
        raise ValueError(f"beam_width must be >= 1. Received: beam_width={beam_width}")
    logits = tf.convert_to_tensor(logits)
    batch, time = tf.shape(logits)[0], tf.shape(logits)[1]
    if lengths is None:
        lengths = tf.fill([batch], time)
    if method == "beam":
        ids, scores = ctc_beam_candidates(logits, lengths, beam_width, 1, blank)
        return ids[:, 0], scores[:, 0]
    ids, scores = ops.ctc_decode(logits, lengths, strategy="greedy", mask_index=blank)
    return _padded(tf.cast(ids[0], tf.int32), time), tf.reshape(scores, [batch, -1])[:, 0]


def ctc_beam_candidates(logits, lengths=None, beam_width: int = 8, top_paths: int | None = None,
                        blank: int = BLANK):
    """The `top_paths` best labellings of prefix beam search, best first: (ids int32
    (batch, top_paths, time) padded with -1, log-probabilities float32 (batch, top_paths)).

    Args:
        logits: float (batch, time, classes).
        lengths: int (batch,) valid frames per sequence; default: every frame.
        beam_width: prefixes kept per step (default 8).
        top_paths: labellings returned, at most `beam_width` (default: `beam_width`).
        blank: the blank's class id (default 0).

    What a rescorer reads (`shared.layers.lexicon.rescore`). Runs in a graph.
    """
    top_paths = int(beam_width if top_paths is None else top_paths)
    if not 1 <= top_paths <= int(beam_width):
        raise ValueError(f"top_paths must be in [1, beam_width={beam_width}]. Received: "
                         f"top_paths={top_paths}")
    logits = tf.convert_to_tensor(logits)
    batch, time = tf.shape(logits)[0], tf.shape(logits)[1]
    if lengths is None:
        lengths = tf.fill([batch], time)
    # The beam decoder wants log-probabilities (it sums them along a prefix).
    ids, scores = ops.ctc_decode(tf.nn.log_softmax(logits), lengths, strategy="beam_search",
                                 beam_width=int(beam_width), top_paths=top_paths,
                                 mask_index=blank)
    ids = tf.stack([_padded(tf.cast(ids[k], tf.int32), time) for k in range(top_paths)], axis=1)
    return ids, tf.reshape(scores, [batch, top_paths])


def _padded(ids, time):
    """Keras's decoders give (batch, longest output); keep the time axis even when every
    output is shorter, so callers can rely on it."""
    ids = ids[:, :time]
    return tf.pad(ids, [[0, 0], [0, time - tf.shape(ids)[1]]], constant_values=PAD)


def error_rates(references: Sequence[str], hypotheses: Sequence[str]) -> dict[str, float]:
    """Corpus character and word error rates (jiwer): `{"cer": ..., "wer": ..., "utterances": n}`.

    CER = (substitutions + deletions + insertions) / reference characters
    (spaces included), WER the same over words, both summed over the corpus
    before dividing. References that are empty (a silent clip) have no rate of
    their own; their hypotheses' words and characters count as insertions.
    """
    import jiwer

    references, hypotheses = list(references), list(hypotheses)
    if len(references) != len(hypotheses):
        raise ValueError(f"error_rates needs one hypothesis per reference. Received "
                         f"{len(references)} references and {len(hypotheses)} hypotheses")
    kept = [(r, h) for r, h in zip(references, hypotheses) if r.strip()]
    extra_words = sum(len(h.split()) for r, h in zip(references, hypotheses) if not r.strip())
    extra_chars = sum(len(h.strip()) for r, h in zip(references, hypotheses) if not r.strip())
    if not kept:
        return {"cer": float(extra_chars > 0), "wer": float(extra_words > 0),
                "utterances": len(references)}
    refs, hyps = zip(*kept)
    words = jiwer.process_words(list(refs), list(hyps))
    chars = jiwer.process_characters(list(refs), list(hyps))

    def rate(out, extra):
        errors = out.substitutions + out.deletions + out.insertions + extra
        return errors / max(out.hits + out.substitutions + out.deletions, 1)

    return {"cer": float(rate(chars, extra_chars)), "wer": float(rate(words, extra_words)),
            "utterances": len(references)}
