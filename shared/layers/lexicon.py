"""Knowledge of words for CTC decoding: a lexicon with a unigram language model, n-best
rescoring, and snapping to a closed vocabulary. Every function runs in a graph, so a
SavedModel serves the fused transcript.

A character CTC model's beam search (`ctc_beam_candidates`) gives the `n` best
labellings `y_1 ... y_n` of an utterance with their log-probabilities `log P(y | x)`.
Rescoring picks

```
y* = argmax_y  log P(y | x) + lm_weight * Σ_{w in y} log P_lm(w) + word_bonus * |y|
```

where `|y|` counts the words of `y` and `P_lm(w)` is the word's relative frequency in
the lexicon (`Lexicon.from_counts`), or `exp(oov_log_prob)` for a word the lexicon lacks
(the n-best rescoring of Chow and Schwartz (1989) with a unigram model; the word bonus
offsets the model's preference for fewer words, as the insertion bonus of shallow fusion
does). `lm_weight = 0` and `word_bonus = 0` give the plain beam search's best.

`correct` then replaces each word the lexicon lacks by a lexicon word a few edits
away (the commonest among the nearest, as a spelling corrector would), since the
n best often share the same misspelt word.

`closed_vocabulary` (a command set, hot words) takes the candidate with the fewest
words outside the vocabulary and `snap`s those it still has to the vocabulary word
nearest in edit distance (ties: the earlier in the vocabulary), so the transcript
only holds vocabulary words.

Lookups hash the words (`tf.strings.to_hash_bucket_fast` into 2^62 buckets: a
collision between two of a few hundred thousand words has probability below 1e-7) and
search the sorted hashes, so the lexicon can be a constant of the graph or an input of
a signature.

Example:

    lexicon = Lexicon.from_counts({"yes": 30, "no": 20, "stop": 5})
    ids, scores = ctc_beam_candidates(logits, lengths, beam_width=16)  # (batch, n, time)
    texts = vocab.to_text(ids)                                          # (batch, n)
    best = rescore(texts, scores, *lexicon.tensors(), lm_weight=0.5, word_bonus=1.0)
    best = correct(best, *lexicon.tensors(), within=0.5)
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import tensorflow as tf

_BUCKETS = 2**62
_FAR = 1e9


class Lexicon:
    """Words with unigram log-probabilities, most frequent first (a user's word list:
    `Lexicon.from_counts(shared.data.text.read_word_counts(path))`).

    Args:
        words: distinct words (no spaces).
        log_probs: natural-log probability of each word.
        oov_log_prob: the log-probability given to a word outside the lexicon
            (default: that of the least frequent word minus log(10), i.e. ten
            times rarer than any lexicon word).
    """

    def __init__(self, words, log_probs, oov_log_prob: float | None = None):
        words = [str(w) for w in words]
        if not words:
            raise ValueError("a lexicon needs at least one word")
        if len(set(words)) != len(words):
            raise ValueError("lexicon words must be distinct")
        spaced = [w for w in words if not w or any(c.isspace() for c in w)]
        if spaced:
            raise ValueError(f"lexicon words cannot be empty or hold spaces: {spaced[:3]!r}")
        self.words = words
        self.log_probs = np.asarray(log_probs, dtype="float32")
        if self.log_probs.shape != (len(words),):
            raise ValueError("one log-probability per word")
        self.oov_log_prob = float(self.log_probs.min() - math.log(10)
                                  if oov_log_prob is None else oov_log_prob)

    def __len__(self) -> int:
        return len(self.words)

    @classmethod
    def from_counts(cls, counts: Mapping[str, float], oov_log_prob: float | None = None):
        """Relative frequencies of `counts` ({word: count > 0}), most frequent first."""
        items = sorted(((w, float(c)) for w, c in counts.items() if c > 0),
                       key=lambda item: -item[1])
        total = sum(c for _, c in items)
        return cls([w for w, _ in items], [math.log(c / total) for _, c in items],
                   oov_log_prob)

    def tensors(self):
        """(words tf.string (V,), log_probs float32 (V,), oov_log_prob float32 ()): the
        arguments `word_scores`, `rescore` and `snap` take."""
        return (tf.constant(self.words), tf.constant(self.log_probs),
                tf.constant(self.oov_log_prob, tf.float32))


def _lookup(tokens, words, log_probs, oov_log_prob):
    """Log-probability of each of `tokens` (1-D tf.string) and whether the lexicon has it."""
    words = tf.convert_to_tensor(words, tf.string)
    # A key no word hashes to (buckets are >= 0) keeps an empty lexicon searchable.
    keys = tf.concat([[-1], tf.strings.to_hash_bucket_fast(words, _BUCKETS)], axis=0)
    order = tf.argsort(keys)
    keys = tf.gather(keys, order)
    values = tf.gather(tf.concat([[0.0], tf.cast(log_probs, tf.float32)], axis=0), order)
    wanted = tf.strings.to_hash_bucket_fast(tokens, _BUCKETS)
    at = tf.minimum(tf.searchsorted(keys, wanted), tf.size(keys) - 1)
    known = tf.equal(tf.gather(keys, at), wanted)
    return tf.where(known, tf.gather(values, at), tf.cast(oov_log_prob, tf.float32)), known


def word_scores(texts, words, log_probs, oov_log_prob):
    """Per text (any shape of tf.string): (Σ log P_lm(w) float32, words int32, unknown
    words int32), each of `texts`' shape. Words are what `tf.strings.split` finds."""
    texts = tf.convert_to_tensor(texts, tf.string)
    shape = tf.shape(texts)
    tokens = tf.strings.split(tf.reshape(texts, [-1]))  # ragged (texts, words)
    scores, known = _lookup(tokens.flat_values, words, log_probs, oov_log_prob)
    total = tf.RaggedTensor.from_row_splits(scores, tokens.row_splits)
    unknown = tf.RaggedTensor.from_row_splits(tf.cast(~known, tf.int32), tokens.row_splits)
    count = tf.cast(tokens.row_lengths(), tf.int32)
    return (tf.reshape(tf.reduce_sum(total, axis=1), shape), tf.reshape(count, shape),
            tf.reshape(tf.reduce_sum(unknown, axis=1), shape))


def rescore(texts, scores, words, log_probs, oov_log_prob, lm_weight=0.0, word_bonus=0.0):
    """The best of each row's candidates: tf.string (batch,).

    Args:
        texts: tf.string (batch, n) candidate transcripts.
        scores: float (batch, n) their acoustic log-probabilities; -inf for a missing
            candidate.
        words, log_probs, oov_log_prob: the lexicon (`Lexicon.tensors()`).
        lm_weight: weight of the word log-probabilities (0: the acoustic best).
        word_bonus: added per word.
    """
    lm, count, _ = word_scores(texts, words, log_probs, oov_log_prob)
    total = (tf.cast(scores, tf.float32) + tf.cast(lm_weight, tf.float32) * lm
             + tf.cast(word_bonus, tf.float32) * tf.cast(count, tf.float32))
    best = tf.argmax(total, axis=1, output_type=tf.int32)
    return tf.gather(texts, best, batch_dims=1)


def correct(texts, words, log_probs, oov_log_prob, within=0.5, prior_weight=0.0):
    """`texts` (tf.string, any shape) with each word outside the lexicon replaced by the
    lexicon word `w` minimising `edits(word, w) - prior_weight * log P_lm(w)` among
    those at most `max(1, floor(within * len(word)))` edits away (ties: the more
    frequent); a word with none in reach stays. Words are joined by single spaces.
    `within = 0` changes nothing.

    Each distinct unknown word is compared with the lexicon on its own, and only with
    the words whose bag distance (letters one has and the other lacks, a lower bound
    of the edit distance) is within reach: a few dozen edit distances per unknown
    word against a 20,000-word lexicon, and memory of the lexicon's size.
    """
    texts = tf.convert_to_tensor(texts, tf.string)
    words = tf.convert_to_tensor(words, tf.string)
    log_probs = tf.cast(log_probs, tf.float32)
    _, known = _lookup(tf.strings.split(tf.reshape(texts, [-1])).flat_values, words,
                       log_probs, oov_log_prob)

    def reach(length):
        return tf.maximum(1, tf.cast(tf.floor(tf.cast(within, tf.float32)
                                              * tf.cast(length, tf.float32)), tf.int32))

    def fix(flat):
        fixed = _nearest(tf.boolean_mask(flat, ~known), words, log_probs, reach,
                         prior_weight)
        return tf.tensor_scatter_nd_update(flat, tf.where(~known), fixed)

    return _map_words(texts, lambda flat: tf.cond(
        tf.cast(within, tf.float32) > 0, lambda: fix(flat), lambda: flat))


def closed_vocabulary(texts, scores, vocabulary):
    """The best of each row's candidates under a closed vocabulary: tf.string (batch,).

    The vocabulary (tf.string (V,)) is lower-cased and its empty entries dropped. The
    candidate with the fewest words outside it wins, the acoustically better on a tie
    (an empty candidate only when the acoustic best is empty); its remaining outside
    words are `snap`ped to the nearest vocabulary words. An empty vocabulary leaves the
    acoustic best. `texts` tf.string (batch, n), `scores` (batch, n), best first.
    """
    vocabulary = _clean(vocabulary)
    flat = tf.zeros([tf.size(vocabulary)], tf.float32)
    _, count, unknown = word_scores(texts, vocabulary, flat, 0.0)
    # Fewest unknown words first: 1e4 nats outweigh any acoustic difference; saying
    # nothing has no unknown words, so it only wins when the audio says nothing.
    total = tf.cast(scores, tf.float32) - 1e4 * tf.cast(unknown, tf.float32)
    empty = tf.logical_and(count == 0, (count[:, :1] > 0))
    total = tf.where(empty, -_FAR, total)
    best = tf.gather(texts, tf.argmax(total, axis=1, output_type=tf.int32), batch_dims=1)
    return tf.cond(tf.size(vocabulary) > 0, lambda: snap(best, vocabulary), lambda: best)


def snap(texts, vocabulary):
    """`texts` (tf.string, any shape) with every word outside `vocabulary` (tf.string
    (V,), non-empty) replaced by the nearest vocabulary word in edit distance
    (characters; ties: the earlier vocabulary word). Words are joined by single spaces."""
    vocabulary = tf.convert_to_tensor(vocabulary, tf.string)
    uniform = tf.zeros([tf.size(vocabulary)], tf.float32)

    def fix(flat):
        _, known = _lookup(flat, vocabulary, uniform, 0.0)
        fixed = _nearest(tf.boolean_mask(flat, ~known), vocabulary, uniform,
                         lambda length: tf.fill(tf.shape(length), _MAX_REACH), 0.0)
        return tf.tensor_scatter_nd_update(flat, tf.where(~known), fixed)

    return _map_words(texts, fix)


_MAX_REACH = 2**30


def _clean(vocabulary):
    """Lower-cased, stripped, without empty entries."""
    vocabulary = tf.strings.strip(tf.strings.lower(tf.convert_to_tensor(vocabulary, tf.string),
                                                   encoding="utf-8"))
    return tf.boolean_mask(vocabulary, tf.strings.length(vocabulary) > 0)


def _map_words(texts, function):
    """`function` (flat tf.string words -> as many words) applied to the words of
    `texts` (any shape), rejoined by single spaces."""
    texts = tf.convert_to_tensor(texts, tf.string)
    shape = tf.shape(texts)
    tokens = tf.strings.split(tf.reshape(texts, [-1]))
    mapped = tf.RaggedTensor.from_row_splits(function(tokens.flat_values), tokens.row_splits)
    return tf.reshape(tf.strings.reduce_join(mapped, axis=1, separator=" "), shape)


def _histograms(strings):
    """Letter counts (strings, 64) int32, code points folded modulo 64 (folding only
    lowers the bag distance, so it stays a lower bound of the edit distance)."""
    codes = tf.strings.unicode_decode(strings, "UTF-8")
    return tf.cast(tf.reduce_sum(tf.one_hot(codes % 64, 64, dtype=tf.int32), axis=1), tf.int32)


def _nearest(queries, words, log_probs, reach, prior_weight):
    """For each of `queries` (1-D tf.string), the word of `words` minimising
    `edits - prior_weight * log_prob` among those within `reach(query length)` edits
    (ties: the earlier word), or the query itself when none is."""
    unique, index = tf.unique(queries)
    length = tf.strings.length(unique, unit="UTF8_CHAR")
    limits = reach(length)
    lengths = tf.strings.length(words, unit="UTF8_CHAR")
    letters = _histograms(words)
    prior = tf.cast(prior_weight, tf.float32)
    padded = tf.concat([words, [""]], axis=0)
    padded_log_probs = tf.concat([tf.cast(log_probs, tf.float32), [0.0]], axis=0)
    nearest = tf.cond(tf.size(unique) > 0, lambda: _search(
        unique, length, limits, words, lengths, letters, padded, padded_log_probs, prior),
        lambda: unique)
    return tf.gather(nearest, index)


# Compiled once per process: run eagerly, map_fn would call `one` from Python per word.
@tf.function(reduce_retracing=True)
def _search(unique, length, limits, words, lengths, letters, padded, padded_log_probs, prior):
    def one(args):
        query, size, limit = args
        common = tf.reduce_sum(tf.minimum(_histograms(query[None])[0][None, :], letters), axis=1)
        bag = tf.maximum(size - common, lengths - common)
        # The last candidate, the empty word past the lexicon's end, keeps the list from
        # being empty (edit_distance refuses no pairs); it is never chosen.
        candidates = tf.concat([tf.cast(tf.where(bag <= limit)[:, 0], tf.int32),
                                [tf.size(words)]], axis=0)
        edits = tf.reshape(tf.edit_distance(
            _sparse(tf.strings.unicode_split(
                tf.fill(tf.shape(candidates), query), "UTF-8")),
            _sparse(tf.strings.unicode_split(tf.gather(padded, candidates), "UTF-8")),
            normalize=False), [-1])
        cost = tf.where(
            tf.logical_and(edits <= tf.cast(limit, tf.float32), candidates < tf.size(words)),
            edits - prior * tf.gather(padded_log_probs, candidates), _FAR)
        lowest = tf.reduce_min(tf.concat([cost, [_FAR]], axis=0))
        first = tf.reduce_min(tf.concat(
            [tf.boolean_mask(candidates, cost <= lowest), [tf.size(words)]], axis=0))
        return tf.where(lowest < _FAR / 2, tf.gather(words, tf.minimum(first, tf.size(words) - 1)),
                        query)

    return tf.map_fn(one, (unique, length, limits), fn_output_signature=tf.string)


def _sparse(ragged):
    """A ragged (pairs, chars) tf.string as the (pairs, 1, chars) SparseTensor
    `tf.edit_distance` wants (a one-element batch per pair)."""
    sparse = ragged.to_sparse()
    index = sparse.indices
    index = tf.stack([index[:, 0], tf.zeros_like(index[:, 0]), index[:, 1]], axis=1)
    dense_shape = tf.stack([sparse.dense_shape[0], tf.constant(1, tf.int64),
                            tf.maximum(sparse.dense_shape[1], 1)])
    return tf.SparseTensor(index, sparse.values, dense_shape)
