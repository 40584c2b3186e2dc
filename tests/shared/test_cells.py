
"""Tests for shared.layers.cells: Keras's layer harness plus NumPy references."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from absl.testing import parameterized
from keras.src import testing

from seqsuite.shared.layers.cells import (
    LayerNormLSTMCell,
    LayerNormSimpleRNNCell,
    PeepholeLSTMCell,
    ZoneoutCell,
    ZoneoutLSTM,
)
from seqsuite.shared.layers.cells.layer_norm import _LayerNormalization

BATCH, TIMESTEPS, FEATURES, UNITS = 3, 4, 5, 3


# NumPy references: one step of each update rule, written as in the docstrings.


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def layer_norm(x, gamma, beta, epsilon):
    mean = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + epsilon) * gamma + beta


def lstm_step(cell, x, states):
    h, c = states
    z = x @ value(cell.kernel) + h @ value(cell.recurrent_kernel) + value(cell.bias)
    z_i, z_f, z_g, z_o = np.split(z, 4, axis=-1)
    c = sigmoid(z_f) * c + sigmoid(z_i) * np.tanh(z_g)
    h = sigmoid(z_o) * np.tanh(c)
    return [h, c]


def peephole_lstm_step(cell, x, states):
    h, c_prev = states
    z = x @ value(cell.kernel) + h @ value(cell.recurrent_kernel) + value(cell.bias)
    z_i, z_f, z_g, z_o = np.split(z, 4, axis=-1)
    i = sigmoid(z_i + value(cell.input_gate_peephole_weights) * c_prev)
    f = sigmoid(z_f + value(cell.forget_gate_peephole_weights) * c_prev)
    c = f * c_prev + i * np.tanh(z_g)
    o = sigmoid(z_o + value(cell.output_gate_peephole_weights) * c)
    return [o * np.tanh(c), c]


def layer_norm_lstm_step(cell, x, states):
    h, c = states

    def norm(layer, v):
        return layer_norm(v, value(layer.gamma), value(layer.beta), cell.norm_epsilon)

    z = (
        norm(cell.kernel_norm, x @ value(cell.kernel))
        + norm(cell.recurrent_norm, h @ value(cell.recurrent_kernel))
        + value(cell.bias)
    )
    z_i, z_f, z_g, z_o = np.split(z, 4, axis=-1)
    c = norm(cell.state_norm, sigmoid(z_f) * c + sigmoid(z_i) * np.tanh(z_g))
    return [sigmoid(z_o) * np.tanh(c), c]


def layer_norm_simple_rnn_step(cell, x, states):
    a = x @ value(cell.kernel) + states[0] @ value(cell.recurrent_kernel)
    gamma = value(cell.layernorm.gamma)
    return [np.tanh(layer_norm(a, gamma, 0.0, cell.layernorm.epsilon) + value(cell.bias))]


def zoneout_step(inner_step, rates):
    """Inference-time zoneout around `inner_step`: the expectation formula."""

    def step(cell, x, states):
        new_states = inner_step(cell.cell, x, states)
        return [r * s + (1 - r) * n for r, s, n in zip(rates, states, new_states)]

    return step


def run_reference(step, cell, x, states):
    outputs = []
    for t in range(x.shape[1]):
        states = step(cell, x[:, t], states)
        outputs.append(states[0])
    return np.stack(outputs, axis=1), states


def value(variable):
    return keras.ops.convert_to_numpy(variable).astype("float64")


def randomize_weights(layer, seed=0):
    """Replaces every weight, gains and shifts included, by N(0, 0.5^2) draws."""
    rng = np.random.default_rng(seed)
    for weight in layer.weights:
        weight.assign(rng.normal(scale=0.5, size=weight.shape).astype("float32"))


def inputs(seed=1, shape=(BATCH, TIMESTEPS, FEATURES)):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


# One factory per cell under test, so each test gets fresh instances.
CELLS = {
    "peephole_lstm": lambda: PeepholeLSTMCell(UNITS),
    "layer_norm_lstm": lambda: LayerNormLSTMCell(UNITS),
    "layer_norm_simple_rnn": lambda: LayerNormSimpleRNNCell(UNITS),
    "zoneout_lstm": lambda: ZoneoutCell(keras.layers.LSTMCell(UNITS), [0.2, 0.4], seed=1),
    "zoneout_layer_norm_lstm": lambda: ZoneoutCell(LayerNormLSTMCell(UNITS), 0.3, seed=2),
}
NAMED_CELLS = [(name, name) for name in CELLS]


class AddOneCell(keras.layers.Layer):
    """A cell whose new state is its previous state plus one: counts updates."""

    state_size = UNITS
    output_size = UNITS

    def call(self, inputs, states):
        new_state = states[0] + 1.0
        return new_state, [new_state]


class CellLayerTest(testing.TestCase):
    """Keras's own harness: shapes, weights, config round trip, fit, mixed precision."""

    def test_peephole_lstm_cell(self):
        self.run_layer_test(
            keras.layers.RNN,
            init_kwargs={"cell": PeepholeLSTMCell(UNITS), "return_sequences": True},
            input_shape=(BATCH, TIMESTEPS, FEATURES),
            expected_output_shape=(BATCH, TIMESTEPS, UNITS),
            expected_num_trainable_weights=6,
            expected_num_non_trainable_weights=0,
            supports_masking=True,
        )

    def test_layer_norm_lstm_cell(self):
        self.run_layer_test(
            keras.layers.RNN,
            init_kwargs={
                "cell": LayerNormLSTMCell(UNITS, dropout=0.2, recurrent_dropout=0.2),
                "return_state": True,
            },
            input_shape=(BATCH, TIMESTEPS, FEATURES),
            expected_output_shape=((BATCH, UNITS),) * 3,
            expected_num_trainable_weights=9,
            expected_num_non_trainable_weights=0,
            supports_masking=True,
        )

    def test_layer_norm_simple_rnn_cell(self):
        self.run_layer_test(
            keras.layers.RNN,
            init_kwargs={"cell": LayerNormSimpleRNNCell(UNITS, dropout=0.2)},
            input_shape=(BATCH, TIMESTEPS, FEATURES),
            expected_output_shape=(BATCH, UNITS),
            expected_num_trainable_weights=4,
            expected_num_non_trainable_weights=0,
            supports_masking=True,
        )

    def test_zoneout_cell(self):
        self.run_layer_test(
            keras.layers.RNN,
            init_kwargs={
                "cell": ZoneoutCell(keras.layers.GRUCell(UNITS), 0.3, seed=1),
                "return_sequences": True,
            },
            input_shape=(BATCH, TIMESTEPS, FEATURES),
            expected_output_shape=(BATCH, TIMESTEPS, UNITS),
            expected_num_trainable_weights=3,
            expected_num_non_trainable_weights=0,
            supports_masking=True,
        )

    def test_zoneout_lstm(self):
        self.run_layer_test(
            ZoneoutLSTM,
            init_kwargs={
                "units": UNITS,
                "rate": [0.1, 0.3],
                "dropout": 0.2,
                "recurrent_dropout": 0.2,
                "seed": 1,
                "return_sequences": True,
            },
            input_shape=(BATCH, TIMESTEPS, FEATURES),
            expected_output_shape=(BATCH, TIMESTEPS, UNITS),
            expected_num_trainable_weights=3,
            expected_num_non_trainable_weights=0,
            supports_masking=True,
        )


class CellArithmeticTest(testing.TestCase):
    """Each cell against a NumPy reference of its update equations."""

    @parameterized.named_parameters(
        ("peephole_lstm", PeepholeLSTMCell, {}, peephole_lstm_step),
        # `recurrent_dropout` switches `LSTMCell` to its per-gate code path.
        (
            "peephole_lstm_per_gate",
            PeepholeLSTMCell,
            {"recurrent_dropout": 0.5},
            peephole_lstm_step,
        ),
        ("layer_norm_lstm", LayerNormLSTMCell, {}, layer_norm_lstm_step),
        ("layer_norm_lstm_eps", LayerNormLSTMCell, {"norm_epsilon": 0.5}, layer_norm_lstm_step),
        ("layer_norm_simple_rnn", LayerNormSimpleRNNCell, {}, layer_norm_simple_rnn_step),
        (
            "layer_norm_simple_rnn_eps",
            LayerNormSimpleRNNCell,
            {"layernorm_epsilon": 0.5},
            layer_norm_simple_rnn_step,
        ),
    )
    def test_matches_numpy_reference(self, cell_cls, kwargs, step):
        cell = cell_cls(UNITS, **kwargs)
        self._check_against_reference(cell, step)

    @parameterized.named_parameters(
        ("lstm", lambda: keras.layers.LSTMCell(UNITS), [0.3, 0.6], lstm_step),
        ("peephole_lstm", lambda: PeepholeLSTMCell(UNITS), 0.5, peephole_lstm_step),
        (
            "layer_norm_simple_rnn",
            lambda: LayerNormSimpleRNNCell(UNITS),
            0.4,
            layer_norm_simple_rnn_step,
        ),
    )
    def test_zoneout_inference_is_expectation(self, make_cell, rate, inner_step):
        cell = ZoneoutCell(make_cell(), rate, seed=3)
        num_states = len(keras.tree.flatten(cell.state_size))
        rates = rate if isinstance(rate, list) else [rate] * num_states
        self._check_against_reference(cell, zoneout_step(inner_step, rates))

    def _check_against_reference(self, cell, step):
        x = inputs()
        rnn = keras.layers.RNN(cell, return_sequences=True, return_state=True)
        rnn.build(x.shape)
        randomize_weights(rnn)
        sizes = keras.tree.flatten(cell.state_size)
        initial = [np.random.default_rng(2).normal(size=(BATCH, s)) for s in sizes]

        outputs, *states = rnn(x, initial_state=[s.astype("float32") for s in initial])

        expected_outputs, expected_states = run_reference(step, cell, x.astype("float64"), initial)
        np.testing.assert_allclose(outputs, expected_outputs, rtol=1e-4, atol=1e-5)
        for state, expected in zip(states, expected_states):
            np.testing.assert_allclose(state, expected, rtol=1e-4, atol=1e-5)

    @parameterized.named_parameters(("centred", True), ("scale_only", False))
    def test_layer_norm_gradient_matches_autodiff(self, center):
        # The cells' normalisation has a hand-written gradient; Keras's layer,
        # differentiated by TensorFlow, is the reference.
        x = tf.constant(inputs(shape=(BATCH, 2 * FEATURES)))
        upstream = tf.constant(inputs(seed=3, shape=(BATCH, 2 * FEATURES)))
        gradients = []
        for layer_cls in (_LayerNormalization, keras.layers.LayerNormalization):
            layer = layer_cls(epsilon=0.01, center=center)
            layer.build(x.shape)
            randomize_weights(layer)
            with tf.GradientTape() as tape:
                tape.watch(x)
                outputs = layer(x)
            gradients.append(tape.gradient(outputs, [x, *layer.trainable_variables], upstream))
            gradients[-1].append(outputs)
        for got, want in zip(*gradients):
            self.assertAllClose(got, want, atol=1e-5, rtol=1e-5)

    def test_layer_norm_lstm_normalises_cell_state(self):
        # With unit gains and zero shifts the returned c has zero mean and
        # (almost) unit variance over the units, whatever the weights.
        rnn = keras.layers.RNN(LayerNormLSTMCell(8, norm_epsilon=1e-6), return_state=True)
        _, _, c = rnn(inputs())
        c = keras.ops.convert_to_numpy(c)
        np.testing.assert_allclose(c.mean(axis=-1), 0.0, atol=1e-5)
        np.testing.assert_allclose(c.std(axis=-1), 1.0, atol=1e-2)

    @parameterized.named_parameters(
        (
            "layer_norm_lstm",
            lambda: LayerNormLSTMCell(UNITS, dropout=0.5, recurrent_dropout=0.5, seed=1),
        ),
        (
            "layer_norm_simple_rnn",
            lambda: LayerNormSimpleRNNCell(UNITS, dropout=0.5, recurrent_dropout=0.5, seed=1),
        ),
        (
            "peephole_lstm",
            lambda: PeepholeLSTMCell(UNITS, dropout=0.5, recurrent_dropout=0.5, seed=1),
        ),
    )
    def test_dropout_acts_only_in_training(self, make_cell):
        rnn = keras.layers.RNN(make_cell())
        x = inputs()
        self.assertAllClose(rnn(x), rnn(x))
        self.assertNotAllClose(rnn(x, training=True), rnn(x))

        # Masks are drawn before the loop and reset after it, so a compiled
        # training call works twice.
        train = tf.function(lambda x: rnn(x, training=True))
        self.assertEqual(train(x).shape, (BATCH, UNITS))
        self.assertEqual(train(x).shape, (BATCH, UNITS))


class ZoneoutTest(testing.TestCase):
    @parameterized.named_parameters(
        ("simple_rnn", keras.layers.SimpleRNNCell),
        ("gru", keras.layers.GRUCell),
        ("lstm", keras.layers.LSTMCell),
        ("layer_norm_lstm", LayerNormLSTMCell),
    )
    def test_rate_zero_is_wrapped_cell(self, cell_cls):
        # Dropout on, with equal seeds: the wrapped cell must draw the same
        # masks as the bare one, and fresh ones at every call.
        def make_rnn(wrap):
            cell = cell_cls(UNITS, dropout=0.3, recurrent_dropout=0.3, seed=5)
            cell = ZoneoutCell(cell, 0.0) if wrap else cell
            rnn = keras.layers.RNN(cell, return_sequences=True, return_state=True)
            rnn.build(x.shape)
            randomize_weights(rnn)
            return rnn

        x = inputs()
        plain, zoned = make_rnn(wrap=False), make_rnn(wrap=True)
        first_training_output = None
        for training in (False, True, True):
            want = plain(x, training=training)
            for got, expected in zip(zoned(x, training=training), want):
                self.assertAllEqual(got, expected)
            if training and first_training_output is None:
                first_training_output = want[0]
        self.assertNotAllClose(first_training_output, want[0])

    def test_training_keeps_previous_or_new_value(self):
        units, batch = 16, 256
        cell = ZoneoutCell(keras.layers.LSTMCell(units), [0.2, 0.6], seed=4)
        x = inputs(shape=(batch, FEATURES))
        rng = np.random.default_rng(5)
        previous = [rng.normal(size=(batch, units)).astype("float32") for _ in range(2)]
        cell.build(x.shape)
        _, new = cell.cell(x, previous)

        output, zoned = cell(x, previous, training=True)

        self.assertAllEqual(output, zoned[0])
        for rate, prev, nxt, got in zip([0.2, 0.6], previous, new, zoned):
            prev, nxt, got = (keras.ops.convert_to_numpy(t) for t in (prev, nxt, got))
            kept, updated = got == prev, got == nxt
            self.assertTrue(np.all(kept | updated), "a unit is neither its old nor its new value")
            # 4096 draws: the standard error of the kept fraction is below 0.008.
            np.testing.assert_allclose(kept.mean(), rate, atol=0.04)

    def test_fresh_mask_every_step_inside_rnn(self):
        # Each unit's final state counts the steps at which it was updated:
        # with one mask for the whole sequence every count would be 0 or T.
        steps, rate = 8, 0.5
        rnn = keras.layers.RNN(ZoneoutCell(AddOneCell(), rate, seed=6))
        x = np.zeros((64, steps, 2), "float32")
        for call in (rnn, tf.function(rnn)):
            counts = keras.ops.convert_to_numpy(call(x, training=True))
            np.testing.assert_allclose(counts.mean(), steps * (1 - rate), atol=0.3)
            self.assertGreater(np.mean((counts > 0) & (counts < steps)), 0.5)
        # At inference every step adds the expected update, 1 - rate.
        np.testing.assert_allclose(rnn(x), steps * (1 - rate), rtol=1e-6)

    def test_seed_reproducible(self):
        x = inputs()

        def run(seed):
            rnn = keras.layers.RNN(ZoneoutCell(keras.layers.LSTMCell(UNITS), 0.5, seed=seed))
            rnn.build(x.shape)
            randomize_weights(rnn)
            return rnn(x, training=True)

        self.assertAllEqual(run(7), run(7))
        self.assertNotAllClose(run(7), run(8))

    @parameterized.named_parameters(
        ("negative", -0.1),
        ("one", 1.0),
        ("above_one", 1.5),
        ("one_in_list", [0.1, 1.0]),
        ("too_few", [0.1]),
        ("too_many", [0.1, 0.2, 0.3]),
        ("not_a_number", "0.1"),
    )
    def test_invalid_rate_raises(self, rate):
        with self.assertRaisesRegex(ValueError, "rate"):
            ZoneoutCell(keras.layers.LSTMCell(UNITS), rate)

    def test_invalid_cell_raises(self):
        with self.assertRaisesRegex(ValueError, "RNN cell"):
            ZoneoutCell(keras.layers.Dense(UNITS), 0.1)

    def test_zoneout_lstm_config_round_trip(self):
        layer = ZoneoutLSTM(
            UNITS,
            rate=[0.1, 0.2],
            activation="relu",
            kernel_initializer="he_normal",
            recurrent_dropout=0.1,
            seed=3,
            return_sequences=True,
            go_backwards=True,
        )
        revived = ZoneoutLSTM.from_config(layer.get_config())
        self.assertEqual(revived.get_config(), layer.get_config())
        self.assertEqual(revived.cell.rate, [0.1, 0.2])
        self.assertIs(revived.cell.cell.activation, keras.activations.relu)
        self.assertTrue(revived.go_backwards)


class CellIntegrationTest(testing.TestCase):
    """Every cell inside the Keras wrappers, masking, state handling, saving."""

    @parameterized.named_parameters(NAMED_CELLS)
    def test_bidirectional(self, name):
        x = inputs()
        bidirectional = keras.layers.Bidirectional(keras.layers.RNN(CELLS[name]()))
        output = bidirectional(x)
        self.assertEqual(output.shape, (BATCH, 2 * UNITS))
        self.assertAllClose(output[:, :UNITS], bidirectional.forward_layer(x))
        self.assertAllClose(output[:, UNITS:], bidirectional.backward_layer(x))

    @parameterized.named_parameters(NAMED_CELLS)
    def test_stacked_cells_equal_stacked_layers(self, name):
        x = inputs()
        first, second = CELLS[name](), CELLS[name]()
        stacked = keras.layers.RNN(keras.layers.StackedRNNCells([first, second]))
        output = stacked(x)
        # The same cell objects, hence the same weights, as two layers.
        layered = keras.layers.RNN(second)(keras.layers.RNN(first, return_sequences=True)(x))
        self.assertAllClose(output, layered)

    @parameterized.named_parameters(NAMED_CELLS)
    def test_masked_steps_keep_state(self, name):
        x = inputs()
        rnn = keras.layers.RNN(CELLS[name](), return_state=True)
        mask = np.ones((BATCH, TIMESTEPS), bool)
        mask[0, -2:] = False
        masked = rnn(x, mask=mask)
        truncated = rnn(x[:, :-2])
        for got, want in zip(masked, truncated):
            self.assertAllClose(got[0], want[0])
        self.assertNotAllClose(masked[0][1:], truncated[0][1:])

    @parameterized.named_parameters(NAMED_CELLS)
    def test_stateful_continues_from_last_state(self, name):
        x = inputs(shape=(BATCH, 2 * TIMESTEPS, FEATURES))
        cell = CELLS[name]()
        stateful = keras.layers.RNN(cell, stateful=True, return_state=True)
        stateful(x[:, :TIMESTEPS])
        continued = stateful(x[:, TIMESTEPS:])
        whole = keras.layers.RNN(cell, return_state=True)(x)
        num_states = len(keras.tree.flatten(cell.state_size))
        self.assertLen(continued, 1 + num_states)
        for got, want in zip(continued, whole):
            self.assertAllClose(got, want, atol=1e-5)

        stateful.reset_state()
        self.assertAllClose(stateful(x[:, :TIMESTEPS])[0], keras.layers.RNN(cell)(x[:, :TIMESTEPS]))

    @pytest.mark.slow
    @parameterized.named_parameters(NAMED_CELLS)
    def test_trains_under_xla(self, name):
        # XLA is Keras's default wherever an accelerator is present; on this
        # CPU-only path `jit_compile="auto"` would leave it off.
        x, y = inputs(), inputs(seed=2, shape=(BATCH, UNITS))
        model = keras.Sequential([keras.Input(x.shape[1:]), keras.layers.RNN(CELLS[name]())])
        model.compile(optimizer="sgd", loss="mse", jit_compile=True)
        before = [w.copy() for w in model.get_weights()]
        history = model.fit(x, y, epochs=2, verbose=0)
        self.assertTrue(np.all(np.isfinite(history.history["loss"])))
        for old, new in zip(before, model.get_weights()):
            self.assertNotAllClose(old, new)

    @parameterized.named_parameters(
        ("peephole_lstm", lambda dtype: PeepholeLSTMCell(UNITS, dtype=dtype)),
        ("layer_norm_lstm", lambda dtype: LayerNormLSTMCell(UNITS, dtype=dtype)),
        ("layer_norm_simple_rnn", lambda dtype: LayerNormSimpleRNNCell(UNITS, dtype=dtype)),
        ("zoneout_lstm", lambda dtype: ZoneoutCell(keras.layers.LSTMCell(UNITS, dtype=dtype), 0.3)),
    )
    def test_mixed_precision_matches_float32(self, make_cell):
        x = inputs()
        full = keras.layers.RNN(make_cell("float32"))
        half = keras.layers.RNN(make_cell("mixed_float16"), dtype="mixed_float16")
        full.build(x.shape)
        half.build(x.shape)
        randomize_weights(full)
        half.set_weights(full.get_weights())
        for weight in half.weights:
            self.assertEqual(weight.dtype, "float32")
        output = half(x)
        self.assertEqual(keras.backend.standardize_dtype(output.dtype), "float16")
        self.assertAllClose(output, full(x), atol=2e-2, rtol=2e-2)
        self.assertEqual(half(x, training=True).shape, (BATCH, UNITS))


def _model_with_every_cell():
    sequences = keras.Input((TIMESTEPS, FEATURES))
    outputs = [keras.layers.RNN(make())(sequences) for make in CELLS.values()]
    outputs.append(ZoneoutLSTM(UNITS, rate=[0.1, 0.3], seed=1)(sequences))
    model = keras.Model(sequences, keras.layers.Concatenate()(outputs))
    randomize_weights(model)
    return model


@pytest.mark.slow
def test_keras_file_round_trip(tmp_path):
    model = _model_with_every_cell()
    x = inputs()
    path = tmp_path / "cells.keras"
    model.save(path)
    revived = keras.saving.load_model(path)
    np.testing.assert_array_equal(revived.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.slow
def test_saved_model_export(tmp_path):
    model = _model_with_every_cell()
    x = inputs()
    model.export(str(tmp_path / "exported"), verbose=False)
    # Keep the loaded object alive: its variables die with it.
    reloaded = tf.saved_model.load(str(tmp_path / "exported"))
    served = reloaded.serve(x)
    np.testing.assert_allclose(served, model(x), rtol=1e-5, atol=1e-6)
