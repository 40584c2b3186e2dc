import itertools
import math

import numpy as np
import pytest
import tensorflow as tf

from seqsuite.shared.data.text import read_word_counts
from seqsuite.shared.errors import DataError
from seqsuite.shared.layers.ctc import CharVocabulary, ctc_beam_candidates
from seqsuite.shared.layers.lexicon import (
    Lexicon,
    closed_vocabulary,
    correct,
    rescore,
    snap,
    word_scores,
)

VOCAB = CharVocabulary("ab ")


def _labelling_probabilities(log_probs: np.ndarray) -> dict[str, float]:
    """P(y | x) of every labelling, by summing every path (blank = 0) that collapses to it."""
    out: dict[str, float] = {}
    for path in itertools.product(range(log_probs.shape[1]), repeat=log_probs.shape[0]):
        collapsed = [k for i, k in enumerate(path) if k != 0 and (i == 0 or path[i - 1] != k)]
        text = VOCAB.decode(collapsed)
        out[text] = out.get(text, 0.0) + math.exp(sum(log_probs[t, k] for t, k in enumerate(path)))
    return out


def test_beam_candidates_are_the_most_probable_labellings_by_hand():
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(1, 4, VOCAB.classes)).astype("float32") * 2
    log_probs = tf.nn.log_softmax(logits).numpy()[0]
    exact = sorted(_labelling_probabilities(log_probs).items(), key=lambda kv: -kv[1])
    # A beam as wide as every prefix there is keeps every path: the search is exact.
    ids, scores = ctc_beam_candidates(logits, beam_width=64, top_paths=4)
    texts = [t.decode() for t in VOCAB.to_text(ids).numpy()[0]]
    assert texts == [text for text, _ in exact[:4]]
    np.testing.assert_allclose(np.exp(scores.numpy()[0]), [p for _, p in exact[:4]], rtol=1e-4)


def test_rescoring_picks_by_acoustic_plus_weighted_words_and_bonus():
    lexicon = Lexicon.from_counts({"ab": 3, "ba": 1})
    assert lexicon.words == ["ab", "ba"]
    np.testing.assert_allclose(lexicon.log_probs, [math.log(0.75), math.log(0.25)], rtol=1e-6)
    assert lexicon.oov_log_prob == pytest.approx(math.log(0.25) - math.log(10))
    texts = tf.constant([["a b", "ab", "ba"]])
    scores = tf.constant([[-1.0, -1.4, -1.2]])
    oov = lexicon.oov_log_prob
    by_hand = {  # acoustic + w * sum(log P) + bonus * words, for (w, bonus)
        (0.0, 0.0): "a b",
        (1.0, 0.0): "ab",  # -1.4 + log .75 = -1.69 beats -1.2 + log .25 = -2.59, -1 + 2 oov
        (1.0, 10.0): "a b",  # two words: -1 + 2 * oov + 20 = 12.6
    }
    for (weight, bonus), expected in by_hand.items():
        totals = [-1.0 + weight * 2 * oov + bonus * 2, -1.4 + weight * math.log(0.75) + bonus,
                  -1.2 + weight * math.log(0.25) + bonus]
        assert ["a b", "ab", "ba"][int(np.argmax(totals))] == expected
        got = rescore(texts, scores, *lexicon.tensors(), lm_weight=weight, word_bonus=bonus)
        assert got.numpy()[0].decode() == expected, (weight, bonus)


def test_word_scores_count_words_and_unknown_ones():
    lexicon = Lexicon.from_counts({"yes": 3, "no": 1})
    lm, words, unknown = word_scores(tf.constant([["yes no", "maybe"], ["", "no no"]]),
                                     *lexicon.tensors())
    np.testing.assert_allclose(lm.numpy(), [[math.log(0.75) + math.log(0.25),
                                             lexicon.oov_log_prob], [0.0, 2 * math.log(0.25)]],
                               rtol=1e-6)
    assert words.numpy().tolist() == [[2, 1], [0, 2]]
    assert unknown.numpy().tolist() == [[0, 1], [0, 0]]


def test_a_closed_vocabulary_prefers_known_words_then_snaps_the_rest():
    vocabulary = tf.constant(["left", "right", "stop"])
    texts = tf.constant([["lefft", "left"], ["stap", "stbp"]])
    scores = tf.constant([[-1.0, -2.0], [-1.0, -2.0]])
    out = closed_vocabulary(texts, scores, vocabulary).numpy()
    assert [t.decode() for t in out] == ["left", "stop"]
    # Saying nothing has no unknown words, yet only wins when the audio says nothing;
    # the vocabulary is lower-cased and its empty entries dropped.
    texts = tf.constant([["sevn", ""], ["", "x"]])
    out = closed_vocabulary(texts, scores, tf.constant(["Seven", "", "two"])).numpy()
    assert out.tolist() == [b"seven", b""]
    # Snapping: nearest in edit distance, the earlier word on a tie; known words stay.
    snapped = snap(tf.constant(["rihgt stop", "xxxx", "", "stpo"]), vocabulary).numpy()
    assert [t.decode() for t in snapped] == ["right stop", "left", "", "stop"]
    tied = snap(tf.constant(["xxxx"]), tf.constant(["stop", "left", "right"])).numpy()
    assert tied.tolist() == [b"stop"]
    assert snap(tf.constant(["", ""]), vocabulary).numpy().tolist() == [b"", b""]  # no words


def test_correction_within_reach_prefers_fewer_edits_then_frequency():
    lexicon = Lexicon.from_counts({"the": 100, "then": 10, "cat": 5, "cart": 1,
                                   "elephant": 2, "don't": 3})
    texts = tf.constant([["teh cat", "thn"], ["elefant cqt", ""], ["zzzzzzzz", "cast dont"]])
    fixed = correct(texts, *lexicon.tensors(), within=0.5).numpy()
    # "teh" is 2 edits from "the" (reach 1 for 3 letters): it stays; "cast" is one edit
    # from both "cat" and "cart": the more frequent wins; nothing near "zzzzzzzz".
    assert fixed.tolist() == [[b"teh cat", b"the"], [b"elephant cat", b""],
                              [b"zzzzzzzz", b"cat don't"]]
    assert correct(texts, *lexicon.tensors(), within=0.0).numpy().tolist() == \
        texts.numpy().tolist()
    wide = correct(tf.constant(["teh"]), *lexicon.tensors(), within=0.7).numpy()
    assert wide.tolist() == [b"the"]
    # The prior: with weight w, cost = edits - w log P; "thx" is one edit from "the" and
    # from nothing else, "cst" one from "cat" and "cart" alike.
    assert correct(tf.constant(["cst"]), *lexicon.tensors(), within=0.34,
                   prior_weight=1.0).numpy().tolist() == [b"cat"]
    empty = correct(tf.constant([], tf.string), *lexicon.tensors(), within=0.5)
    assert empty.shape == (0,)


def test_correction_by_hand_against_a_brute_force_search():
    rng = np.random.default_rng(0)
    letters = list("abcde")
    words = sorted({"".join(rng.choice(letters, rng.integers(2, 6))) for _ in range(60)})
    counts = {w: float(rng.integers(1, 50)) for w in words}
    lexicon = Lexicon.from_counts(counts)
    queries = ["".join(rng.choice(letters, rng.integers(2, 7))) for _ in range(30)]

    def edits(a, b):
        row = list(range(len(b) + 1))
        for i, x in enumerate(a, 1):
            row, previous = [i], row
            for j, y in enumerate(b, 1):
                row.append(min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (x != y)))
        return row[-1]

    expected = []
    for q in queries:
        if q in counts:
            expected.append(q)
            continue
        reach = max(1, int(0.5 * len(q)))
        costs = [(edits(q, w) - 0.3 * p, k) for k, (w, p) in
                 enumerate(zip(lexicon.words, lexicon.log_probs)) if edits(q, w) <= reach]
        expected.append(lexicon.words[min(costs)[1]] if costs else q)
    got = correct(tf.constant(queries), *lexicon.tensors(), within=0.5, prior_weight=0.3)
    assert [t.decode() for t in got.numpy()] == expected


def test_the_lexicon_can_be_an_input_of_a_graph():
    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.string),
                                  tf.TensorSpec([None, None], tf.float32),
                                  tf.TensorSpec([None], tf.string)])
    def pick(texts, scores, vocabulary):
        return closed_vocabulary(texts, scores, vocabulary)

    out = pick(tf.constant([["go", "no"]]), tf.constant([[-1.0, -3.0]]), tf.constant(["no"]))
    assert out.numpy()[0] == b"no"
    empty = pick(tf.constant([["go"]]), tf.constant([[-1.0]]), tf.constant([], tf.string))
    assert empty.numpy()[0] == b"go"  # nothing to close over: the acoustic best


@pytest.mark.parametrize("content, message", [
    (None, "not found"),
    (b"yes\x00no\n", "binary file"),
    (b"", "holds no words"),
    (b"\n  \n", "holds no words"),
    (b"caf\xe9\n", "not UTF-8"),
    (b"yes\nno way\n", "holds a space"),
    (b"yes\t0\n", "must be a positive number"),
    (b"yes\tinf\n", "must be a positive number"),
    (b"yes\tmany\n", "is not a number"),
    (b"yes\nno1\n", "cannot write"),
])
def test_bad_vocabulary_files_get_one_line_errors(tmp_path, content, message):
    path = tmp_path / "words.txt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DataError, match=message) as err:
        read_word_counts(path, "abcdefghijklmnopqrstuvwxyz' ")
    assert "\n" not in str(err.value)


def test_a_vocabulary_file_reads_counts_and_lower_cases(tmp_path):
    path = tmp_path / "words.txt"
    path.write_text("\ufeffYes\t2\nno\t6\n\nstop\n", encoding="utf-8")  # a BOM too
    lexicon = Lexicon.from_counts(read_word_counts(path))
    assert lexicon.words == ["no", "yes", "stop"]
    np.testing.assert_allclose(np.exp(lexicon.log_probs), [6 / 9, 2 / 9, 1 / 9], rtol=1e-6)
