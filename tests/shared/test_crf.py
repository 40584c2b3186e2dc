"""Tests for shared.layers.crf: Keras's layer harness, and every tag sequence enumerated in NumPy."""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras.src import testing

from seqsuite.shared.layers.crf import (
    CRF,
    CRFLoss,
    chain_potentials,
    crf_decode,
    crf_log_likelihood,
    crf_log_norm,
    crf_sequence_score,
)

BATCH, TIMESTEPS, TAGS = 4, 5, 3

MASKS = {
    "full": np.ones((BATCH, TIMESTEPS), bool),
    "right_padding": np.arange(TIMESTEPS) < np.array([5, 3, 1, 0])[:, None],
    "left_padding": np.arange(TIMESTEPS) >= np.array([0, 2, 4, 5])[:, None],
    "holes": np.array([[1, 0, 1, 0, 1], [0, 1, 1, 0, 0], [1, 1, 0, 1, 1], [0, 0, 0, 0, 1]], bool),
}


def parameters(seed=0, boundary=True):
    rng = np.random.default_rng(seed)
    emissions = rng.normal(size=(BATCH, TIMESTEPS, TAGS)).astype("float32")
    transitions = rng.normal(size=(TAGS, TAGS)).astype("float32")
    start = rng.normal(size=TAGS).astype("float32") if boundary else None
    end = rng.normal(size=TAGS).astype("float32") if boundary else None
    return emissions, transitions, start, end


def enumerate_sequences(emissions, transitions, start, end, mask):
    """{tag sequence over the valid steps: score}, by the definition in shared/layers/crf.py."""
    steps = np.flatnonzero(mask)
    scores = {}
    for tags in itertools.product(range(TAGS), repeat=len(steps)):
        score = sum(float(emissions[t, y]) for t, y in zip(steps, tags))
        score += sum(float(transitions[a, b]) for a, b in zip(tags, tags[1:]))
        if tags and start is not None:
            score += float(start[tags[0]]) + float(end[tags[-1]])
        scores[tags] = score
    return scores


def reference(emissions, transitions, start, end, mask):
    """Per row: log Z, the best path, its score, and all scores, by enumeration."""
    rows = []
    for b in range(len(mask)):
        scores = enumerate_sequences(emissions[b], transitions, start, end, mask[b])
        values = np.array(list(scores.values()))
        log_z = values.max() + np.log(np.exp(values - values.max()).sum())
        best = max(scores, key=scores.get)
        rows.append((log_z, best, scores[best], scores))
    return rows


def random_tags(mask, seed=1):
    tags = np.random.default_rng(seed).integers(0, TAGS, size=mask.shape)
    return np.where(mask, tags, -1)


class CRFLayerTest(testing.TestCase):
    """Keras's own harness: shapes, weights, config round trip, fit, mixed precision."""

    def test_crf_with_boundary(self):
        self.run_layer_test(
            CRF,
            init_kwargs={"transitions_initializer": "glorot_uniform",
                         "transitions_regularizer": "l2"},
            input_shape=(BATCH, TIMESTEPS, TAGS),
            expected_output_shape=(BATCH, TIMESTEPS, TAGS, TAGS),
            expected_output_dtype="float32",
            expected_num_trainable_weights=3,
            expected_num_non_trainable_weights=0,
            expected_num_losses=1,
            supports_masking=True,
        )

    def test_crf_without_boundary(self):
        self.run_layer_test(
            CRF,
            init_kwargs={"use_boundary": False},
            input_shape=(BATCH, TIMESTEPS, TAGS),
            expected_output_shape=(BATCH, TIMESTEPS, TAGS, TAGS),
            expected_num_trainable_weights=1,
            expected_num_non_trainable_weights=0,
            supports_masking=True,
        )

    def test_weights_are_named_and_sized(self):
        layer = CRF()
        layer.build((None, None, TAGS))
        self.assertEqual([w.path.split("/")[-1] for w in layer.weights],
                         ["transitions", "start_transitions", "end_transitions"])
        self.assertEqual(tuple(layer.transitions.shape), (TAGS, TAGS))

    def test_unknown_tag_count_is_a_value_error(self):
        with self.assertRaisesRegex(ValueError, "known number of tags"):
            CRF().build((None, None, None))


@pytest.mark.parametrize("boundary", [True, False])
@pytest.mark.parametrize("mask_name", list(MASKS))
def test_log_norm_score_and_viterbi_match_enumeration(boundary, mask_name):
    emissions, transitions, start, end = parameters(boundary=boundary)
    mask = MASKS[mask_name]
    potentials = chain_potentials(emissions, transitions, start, end, mask)
    expected = reference(emissions, transitions, start, end, mask)
    np.testing.assert_allclose(crf_log_norm(potentials).numpy(), [r[0] for r in expected],
                               rtol=1e-5, atol=1e-5)
    tags = random_tags(mask)
    np.testing.assert_allclose(
        crf_sequence_score(potentials, tags).numpy(),
        [r[3][tuple(tags[b][mask[b]])] for b, r in enumerate(expected)], rtol=1e-5, atol=1e-5)
    best, best_score = crf_decode(potentials)
    for b, row in enumerate(expected):
        assert tuple(best.numpy()[b][mask[b]]) == row[1]
    np.testing.assert_allclose(best_score.numpy(), [r[2] for r in expected], rtol=1e-5, atol=1e-5)


def test_the_layer_computes_what_the_functions_compute():
    emissions, *_ = parameters()
    mask = MASKS["right_padding"]
    layer = CRF(transitions_initializer="glorot_uniform", boundary_initializer="random_normal")
    potentials = layer(emissions, mask=mask)
    expected = chain_potentials(emissions, layer.transitions, layer.start_transitions,
                                layer.end_transitions, mask)
    np.testing.assert_allclose(potentials.numpy(), expected.numpy())
    # The Keras mask of the input is picked up when no mask is passed.
    masked = keras.layers.Masking(0.0)(np.where(mask[..., None], emissions, 0.0))
    np.testing.assert_allclose(layer(masked).numpy(), expected.numpy())


def test_mask_and_labels_can_come_as_a_mask_argument():
    emissions, transitions, start, end = parameters()
    mask = MASKS["holes"]
    potentials = chain_potentials(emissions, transitions, start, end, mask)
    tags = random_tags(mask)
    np.testing.assert_allclose(
        crf_log_likelihood(potentials, np.where(mask, tags, 2), mask=mask).numpy(),
        crf_log_likelihood(potentials, tags).numpy(), rtol=1e-6)


def test_padding_changes_nothing():
    """Results on a padded batch equal those on each sequence alone, whatever the padding holds."""
    emissions, transitions, start, end = parameters()
    mask = MASKS["right_padding"]
    noisy = np.where(mask[..., None], emissions, 100.0).astype("float32")
    padded = chain_potentials(noisy, transitions, start, end, mask)
    tags = random_tags(mask)
    log_likelihood = crf_log_likelihood(padded, tags).numpy()
    best, _ = crf_decode(padded)
    for b in range(BATCH):
        n = int(mask[b].sum())
        if n == 0:
            assert log_likelihood[b] == 0.0  # one empty sequence, probability 1
            continue
        alone = chain_potentials(emissions[b : b + 1, :n], transitions, start, end)
        assert crf_log_likelihood(alone, tags[b : b + 1, :n]).numpy()[0] == pytest.approx(
            log_likelihood[b], rel=1e-6)
        np.testing.assert_array_equal(crf_decode(alone)[0].numpy()[0], best.numpy()[b, :n])


def test_gradient_of_log_norm_is_the_tag_marginals():
    emissions, transitions, start, end = parameters()
    mask = MASKS["right_padding"]
    x = tf.constant(emissions)
    with tf.GradientTape() as tape:
        tape.watch(x)
        log_z = tf.reduce_sum(crf_log_norm(chain_potentials(x, transitions, start, end, mask)))
    gradient = tape.gradient(log_z, x).numpy()
    marginals = np.zeros_like(gradient)
    for b, (z, _, _, scores) in enumerate(reference(emissions, transitions, start, end, mask)):
        steps = np.flatnonzero(mask[b])
        for tags, score in scores.items():
            for t, y in zip(steps, tags):
                marginals[b, t, y] += np.exp(score - z)
    np.testing.assert_allclose(gradient, marginals, atol=1e-5)
    assert np.all(np.isfinite(gradient))


def tagger(num_words=6, num_tags=TAGS):
    tokens = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(num_words, 8, mask_zero=True)(tokens)
    x = keras.layers.Bidirectional(keras.layers.LSTM(8, return_sequences=True))(x)
    model = keras.Model(tokens, CRF(name="crf")(keras.layers.Dense(num_tags)(x)))
    model.compile(keras.optimizers.Adam(0.05), loss=CRFLoss())
    return model


def toy_data(n=64, seed=0):
    """Words 1..5 (0 pads); the tag of a word is 1 after an even word and 2 after an odd
    one (0 first): a task that needs the previous token."""
    rng = np.random.default_rng(seed)
    words = rng.integers(1, 6, size=(n, 7))
    lengths = rng.integers(2, 8, size=n)
    mask = np.arange(7) < lengths[:, None]
    words = np.where(mask, words, 0)
    tags = np.concatenate([np.zeros((n, 1), int), 1 + words[:, :-1] % 2], axis=1)
    return words, np.where(mask, tags, -1), mask


@pytest.mark.slow
def test_training_reduces_the_negative_log_likelihood():
    keras.utils.set_random_seed(0)
    words, tags, mask = toy_data()
    model = tagger()
    before = model.evaluate(words, tags, verbose=0)
    model.fit(words, tags, epochs=40, batch_size=16, verbose=0)
    after = model.evaluate(words, tags, verbose=0)
    assert after < 0.1 * before
    best, _ = crf_decode(model(words))
    assert np.mean(best.numpy()[mask] == tags[mask]) == 1.0


@pytest.mark.slow
def test_keras_file_round_trip_keeps_layer_and_loss(tmp_path):
    words, tags, _ = toy_data(16)
    model = tagger()
    model.fit(words, tags, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")  # registered: no custom_objects
    np.testing.assert_allclose(loaded(words).numpy(), model(words).numpy(), rtol=1e-6)
    assert isinstance(loaded.loss, CRFLoss)
    assert loaded.evaluate(words, tags, verbose=0) == pytest.approx(
        model.evaluate(words, tags, verbose=0), rel=1e-5)


@pytest.mark.slow
def test_decoding_exports_with_unknown_batch_and_time(tmp_path):
    emissions, transitions, start, end = parameters()
    module = tf.Module()
    module.decode = tf.function(
        lambda e: crf_decode(chain_potentials(e, transitions, start, end))[0],
        input_signature=[tf.TensorSpec([None, None, TAGS], tf.float32)])
    tf.saved_model.save(module, str(tmp_path / "decode"))
    loaded = tf.saved_model.load(str(tmp_path / "decode"))
    for time in (1, TIMESTEPS):
        x = emissions[:, :time]
        np.testing.assert_array_equal(
            loaded.decode(x).numpy(),
            crf_decode(chain_potentials(x, transitions, start, end))[0].numpy())
