import keras
import numpy as np
import pytest
import tensorflow as tf
from keras.src import testing

from seqsuite.shared.layers.cells import LayerNormLSTMCell, ZoneoutCell
from seqsuite.shared.layers.regularisers import (
    ActivationRegularization,
    DropoutEmbedding,
    LockedDropout,
    TiedEmbedding,
    WeightDropRNN,
)


def simple_rnn(x, kernel, recurrent, bias):
    """NumPy: h_t = tanh(x_t W + h_{t-1} U + b), h_0 = 0; all steps."""
    h = np.zeros((x.shape[0], recurrent.shape[0]))
    out = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ kernel + h @ recurrent + bias)
        out.append(h)
    return np.stack(out, 1)


class WeightDropRNNTest(testing.TestCase):
    def test_layer_harness(self):
        self.run_layer_test(
            WeightDropRNN, init_kwargs={"cell": keras.layers.GRUCell(4), "weight_drop": 0.3,
                                        "seed": 1, "return_sequences": True},
            input_shape=(2, 5, 3), expected_output_shape=(2, 5, 4),
            expected_num_trainable_weights=3, expected_num_non_trainable_variables=2,
            expected_num_seed_generators=2, run_training_check=False)

    def test_one_mask_for_every_step_and_dropped_weights_get_no_gradient(self):
        rng = np.random.default_rng(0)
        x = rng.normal(size=(3, 6, 2)).astype("float32")
        layer = WeightDropRNN(keras.layers.SimpleRNNCell(5), weight_drop=0.5, seed=3,
                              return_sequences=True)
        layer.build(x.shape)
        kernel, recurrent, bias = (np.asarray(w) for w in layer.cell.weights)
        with tf.GradientTape() as tape:
            out = layer(x, training=True)
            loss = tf.reduce_sum(out)
        grad = tape.gradient(loss, layer.cell.recurrent_kernel).numpy()
        kept = grad != 0
        assert 0.2 < 1 - kept.mean() < 0.8  # about half the recurrent weights dropped
        # The output is the RNN with one dropped kernel U * m / (1 - p) at every step.
        np.testing.assert_allclose(out, simple_rnn(x, kernel, recurrent * kept / 0.5, bias),
                                   atol=1e-5)
        # The variable itself is untouched, and inference uses all of it.
        np.testing.assert_array_equal(layer.cell.recurrent_kernel.numpy(), recurrent)
        np.testing.assert_allclose(layer(x), simple_rnn(x, kernel, recurrent, bias), atol=1e-5)

    def test_works_through_library_cells_and_bidirectional_and_saving(self):
        for cell in (LayerNormLSTMCell(3), ZoneoutCell(keras.layers.LSTMCell(3), rate=[0.1, 0.1])):
            inputs = keras.Input((4, 2))
            rnn = keras.layers.Bidirectional(WeightDropRNN(cell, weight_drop=0.4, seed=0))
            model = keras.Model(inputs, rnn(inputs))
            x = np.ones((2, 4, 2), "float32")
            assert not np.allclose(model(x, training=True), model(x, training=False))
            path = self.get_temp_dir() + "/weight_drop.keras"
            model.save(path)
            np.testing.assert_allclose(keras.models.load_model(path)(x), model(x), atol=1e-6)
        with pytest.raises(ValueError, match="weight_drop must be in \\[0, 1\\)"):
            WeightDropRNN(keras.layers.GRUCell(2), weight_drop=1.0)


class LockedDropoutTest(testing.TestCase):
    def test_layer_harness(self):
        self.run_layer_test(LockedDropout, init_kwargs={"rate": 0.5, "seed": 1},
                            input_shape=(2, 3, 4), expected_output_shape=(2, 3, 4),
                            expected_num_seed_generators=1, supports_masking=True)

    def test_the_mask_is_fixed_across_time(self):
        x = np.ones((8, 20, 16), "float32")
        y = np.asarray(LockedDropout(0.4, seed=0)(x, training=True))
        np.testing.assert_array_equal(y, np.repeat(y[:, :1], 20, axis=1))
        assert set(np.unique(y)) == {0.0, 1 / 0.6} or np.allclose(sorted(set(np.unique(y))), [0, 1 / 0.6])
        assert 0.2 < (y[:, 0] == 0).mean() < 0.6
        assert not np.array_equal(y[0, 0], y[1, 0])  # one mask per sequence
        np.testing.assert_array_equal(LockedDropout(0.4)(x), x)


class DropoutEmbeddingTest(testing.TestCase):
    def test_layer_harness(self):
        self.run_layer_test(DropoutEmbedding, init_kwargs={"input_dim": 10, "output_dim": 4,
                                                           "dropout": 0.2, "seed": 0},
                            input_data=np.array([[1, 2], [3, 0]], "int32"),
                            expected_output_shape=(2, 2, 4), expected_num_trainable_weights=1,
                            expected_num_seed_generators=1, run_training_check=False)

    def test_a_dropped_word_is_zero_everywhere_in_the_batch(self):
        layer = DropoutEmbedding(50, 8, dropout=0.5, seed=2)
        ids = np.tile(np.arange(50), (3, 2))  # every word, several times per row
        out = np.asarray(layer(ids, training=True))
        table = np.asarray(layer.embeddings)
        dropped = np.all(out[0, :50] == 0, axis=-1)
        assert 10 < dropped.sum() < 40
        for row in range(3):
            for copy in (0, 50):
                np.testing.assert_allclose(out[row, copy:copy + 50],
                                           table * (~dropped)[:, None] / 0.5, atol=1e-6)
        np.testing.assert_allclose(layer(ids)[0, :50], table, atol=1e-6)


class ActivationRegularizationTest(testing.TestCase):
    def test_layer_harness(self):
        self.run_layer_test(ActivationRegularization, init_kwargs={"alpha": 2.0, "beta": 1.0},
                            input_shape=(2, 3, 4), expected_output_shape=(2, 3, 4),
                            supports_masking=True, expected_num_losses=0)

    def test_penalty_matches_numpy_over_unmasked_steps(self):
        rng = np.random.default_rng(0)
        h = rng.normal(size=(2, 5, 3)).astype("float32")
        mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
        layer = ActivationRegularization(alpha=2.0, beta=0.5)
        ar = np.mean(np.concatenate([h[0, :3], h[1]]) ** 2)
        diffs = np.concatenate([np.diff(h[0, :3], axis=0), np.diff(h[1], axis=0)])
        tar = np.mean(diffs ** 2)
        assert float(layer.penalty(h, mask)) == pytest.approx(2.0 * ar + 0.5 * tar, rel=1e-5)
        inputs = keras.Input((5, 3))
        model = keras.Model(inputs, layer(inputs))
        model.compile(loss="mse", optimizer="sgd")
        model(h, training=True)
        assert len(model.losses) == 1
        np.testing.assert_array_equal(model(h), h)


class TiedEmbeddingTest(testing.TestCase):
    def test_one_table_embeds_and_scores(self):
        layer = TiedEmbedding(7, 4, mask_zero=True)
        ids = np.array([[1, 2, 0]])
        x = layer(ids)
        logits = layer(np.asarray(x), logits=True)
        table = np.asarray(layer.embeddings)
        np.testing.assert_allclose(logits, np.asarray(x) @ table.T, atol=1e-5)
        assert len(layer.trainable_weights) == 2  # the table and the output bias

    def test_gradients_of_both_uses_reach_the_one_table_and_it_saves(self):
        ids = keras.Input((None,), dtype="int32")
        tied = TiedEmbedding(11, 6, name="tied")
        h = keras.layers.LSTM(6, return_sequences=True)(tied(ids))
        model = keras.Model(ids, tied(h, logits=True))
        assert model.output_shape == (None, None, 11)
        assert sum(w.shape == (11, 6) for w in model.trainable_weights) == 1
        x = np.array([[1, 2, 3]], "int32")
        path = self.get_temp_dir() + "/tied.keras"
        model.save(path)
        np.testing.assert_allclose(keras.models.load_model(path)(x), model(x), atol=1e-6)
