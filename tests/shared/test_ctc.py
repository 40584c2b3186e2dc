"""Tests for shared.layers.ctc: hand-computed examples, every path enumerated in NumPy, the layer harness."""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras.src import testing

from seqsuite.shared.layers.ctc import (
    BlankPadding,
    CharVocabulary,
    CTCLoss,
    ctc_decode,
    ctc_loss,
    error_rates,
    label_lengths,
)


def collapse(path, blank=0):
    """B(π): merge repeats, then drop blanks."""
    merged = [k for i, k in enumerate(path) if i == 0 or k != path[i - 1]]
    return tuple(k for k in merged if k != blank)


def labelling_probabilities(probs):
    """{labelling: P(labelling)} for one sequence of frame probabilities, by enumerating paths."""
    out = {}
    for path in itertools.product(range(probs.shape[1]), repeat=len(probs)):
        p = float(np.prod([probs[t, k] for t, k in enumerate(path)]))
        out[collapse(path)] = out.get(collapse(path), 0.0) + p
    return out


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# Two frames over {blank, a}: p_1 = (0.4, 0.6), p_2 = (0.3, 0.7). The label "a" has
# three paths, (a, -), (-, a), (a, a): P = 0.6*0.3 + 0.4*0.7 + 0.6*0.7 = 0.88.
HAND_PROBS = np.array([[[0.4, 0.6], [0.3, 0.7]]])


def test_loss_of_the_hand_computed_example():
    loss = ctc_loss(np.array([[1]]), np.log(HAND_PROBS))
    np.testing.assert_allclose(loss.numpy(), [-np.log(0.88)], rtol=1e-5)


def test_decoding_the_hand_computed_examples():
    # Best path (a, a) collapses to "a".
    ids, _ = ctc_decode(np.log(HAND_PROBS))
    assert ids.numpy().tolist() == [[1, -1]]
    # p = (0.55, 0.45) twice: the best path is (-, -), so greedy says "", but
    # P("a") = 0.45*0.55 + 0.55*0.45 + 0.45*0.45 = 0.6975 > P("") = 0.3025: beam says "a".
    tie = np.log(np.array([[[0.55, 0.45], [0.55, 0.45]]]))
    greedy, _ = ctc_decode(tie, method="greedy")
    beam, score = ctc_decode(tie, method="beam", beam_width=4)
    assert greedy.numpy().tolist() == [[-1, -1]]
    assert beam.numpy().tolist() == [[1, -1]]
    np.testing.assert_allclose(score.numpy(), [np.log(0.6975)], rtol=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_loss_matches_path_enumeration_with_padding(seed):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(3, 4, 3)).astype("float32")  # (batch, time, blank + 2 symbols)
    labels = np.array([[1, 2, -1], [2, 2, -1], [1, -1, -1]])
    lengths = np.array([4, 4, 2])
    got = ctc_loss(labels, logits, logit_length=lengths).numpy()
    for b in range(3):
        table = labelling_probabilities(softmax(logits[b, : lengths[b]]))
        target = tuple(int(k) for k in labels[b] if k >= 0)
        np.testing.assert_allclose(got[b], -np.log(table[target]), rtol=1e-4)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_wide_beam_finds_the_most_probable_labelling(seed):
    rng = np.random.default_rng(seed)
    logits = (rng.normal(size=(2, 4, 3)) * 0.7).astype("float32")
    lengths = np.array([4, 3])
    ids, score = ctc_decode(logits, lengths, method="beam", beam_width=32)
    for b in range(2):
        table = labelling_probabilities(softmax(logits[b, : lengths[b]]))
        best = max(table, key=table.get)
        assert tuple(k for k in ids.numpy()[b] if k >= 0) == best
        np.testing.assert_allclose(score.numpy()[b], np.log(table[best]), rtol=1e-4)


def test_greedy_decoding_respects_lengths_and_merges_repeats():
    best = np.array([[1, 1, 0, 1, 2, 2], [2, 0, 2, 1, 1, 1]])  # best class per frame
    logits = np.eye(3, dtype="float32")[best] * 5
    ids, _ = ctc_decode(logits, np.array([6, 3]))
    assert ids.shape == (2, 6)
    assert ids.numpy().tolist() == [[1, 1, 2, -1, -1, -1], [2, 2, -1, -1, -1, -1]]


def test_decode_rejects_unknown_method():
    with pytest.raises(ValueError, match="method"):
        ctc_decode(np.zeros((1, 2, 3)), method="viterbi")


def test_vocabulary_round_trip_and_graph_text():
    vocab = CharVocabulary("abc ")
    assert vocab.classes == 5 and vocab.encode("ab c") == [1, 2, 4, 3]
    padded = vocab.encode_batch(["ab", "c"])
    assert padded.tolist() == [[1, 2], [3, -1]]
    assert label_lengths(padded).numpy().tolist() == [2, 1]
    assert vocab.decode([0, 1, -1, 3]) == "ac"
    assert vocab.to_text(np.array([[1, 0, 4, 3], [-1, -1, -1, -1]])).numpy().tolist() == [
        b"a c", b""]
    with pytest.raises(ValueError, match=r"\['z'\]"):
        vocab.encode("abz")
    with pytest.raises(ValueError, match="unique"):
        CharVocabulary("aba")


def test_blank_padding_forces_the_blank_and_keeps_the_loss_of_valid_frames():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 5, 3)).astype("float32")
    mask = np.arange(5) < np.array([[5], [3]])
    padded = BlankPadding()(logits, mask=mask).numpy()
    np.testing.assert_array_equal(padded[0], logits[0])
    np.testing.assert_array_equal(padded[1, :3], logits[1, :3])
    assert (padded[1, 3:, 0] == 0).all() and (padded[1, 3:, 1:] < -1e3).all()
    labels = np.array([[1, 2], [2, -1]])
    whole = CTCLoss(reduction=None)(labels, padded).numpy()
    valid = ctc_loss(labels, logits, logit_length=np.array([5, 3])).numpy()
    np.testing.assert_allclose(whole, valid, rtol=1e-5)


def test_blank_padding_takes_the_keras_mask_and_consumes_it():
    x = keras.Input((None, 3))
    masked = keras.layers.Masking(0.0)(x)
    out = BlankPadding()(keras.layers.Dense(4)(masked))
    model = keras.Model(x, out)
    data = np.ones((1, 3, 3), "float32")
    data[0, 2] = 0
    y = model(data).numpy()
    assert y[0, 2, 0] == 0 and (y[0, 2, 1:] < -1e3).all()
    assert getattr(out, "_keras_mask", None) is None


class BlankPaddingLayerTest(testing.TestCase):
    def test_layer_harness(self):
        self.run_layer_test(
            BlankPadding,
            init_kwargs={"blank": 0},
            input_shape=(2, 4, 5),
            expected_output_shape=(2, 4, 5),
            expected_num_trainable_weights=0,
            supports_masking=True,
        )


@pytest.mark.slow
def test_ctc_loss_trains_a_tiny_model_and_survives_save(tmp_path):
    keras.utils.set_random_seed(0)
    # Each frame's features name the class of one alignment of its label, plus noise.
    paths = np.array([[1, 1, 0, 2, 2, 0]] * 4 + [[2, 0, 1, 0, 1, 1]] * 4)
    x = np.eye(4, dtype="float32")[paths] + np.random.default_rng(0).normal(
        scale=0.1, size=(8, 6, 4)).astype("float32")
    y = np.array([[1, 2, -1]] * 4 + [[2, 1, 1]] * 4)
    inputs = keras.Input((None, 4))
    model = keras.Model(inputs, BlankPadding()(keras.layers.Dense(3)(inputs)))
    model.compile(keras.optimizers.Adam(0.05), loss=CTCLoss())
    history = model.fit(x, y, epochs=30, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras")
    assert isinstance(again.loss, CTCLoss)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0))


def test_decoding_exports_in_a_graph():
    fn = tf.function(lambda logits, n: ctc_decode(logits, n, method="beam", beam_width=3)[0],
                     input_signature=[tf.TensorSpec([None, None, 3]), tf.TensorSpec([None], tf.int32)])
    logits = np.log(np.array([[[0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.9, 0.05, 0.05]]], "float32"))
    assert fn(logits, tf.constant([3])).numpy().tolist() == [[1, 2, -1]]


def test_error_rates_count_corpus_edits():
    rates = error_rates(["hello world", "abc"], ["hello word", ""])
    # words: "world"->"word" (1 substitution), "abc" deleted (1) over 3 words
    assert rates["wer"] == pytest.approx(2 / 3)
    # characters: one deletion in "world", three in "abc", over 11 + 3 characters
    assert rates["cer"] == pytest.approx(4 / 14)
    with_silence = error_rates(["", "abc"], ["xy", "abc"])  # a silent clip heard as "xy"
    assert with_silence["cer"] == pytest.approx(2 / 3) and with_silence["wer"] == pytest.approx(1)
    assert error_rates(["a b"], ["a b"]) == {"cer": 0.0, "wer": 0.0, "utterances": 1}
    with pytest.raises(ValueError, match="one hypothesis per reference"):
        error_rates(["a"], [])
