
"""Tests for shared.layers.attention: Keras's layer harness plus NumPy references."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from absl.testing import parameterized
from keras.src import testing

from seqsuite.shared.layers.attention import (
    AttentionDecoder,
    AttentionPooling,
    AttentionWrapper,
    BahdanauAttention,
    LuongAttention,
    masked_softmax,
)
from seqsuite.shared.layers.cells import LayerNormLSTMCell, ZoneoutCell

BATCH, QUERY, SOURCE, MEMORY, TARGET, FEATURES, UNITS = 3, 4, 5, 6, 3, 2, 4


def value(variable):
    return keras.ops.convert_to_numpy(variable).astype("float64")


def randomize_weights(layer, seed=0):
    """Replaces every weight, gains included, by N(0, 0.5^2) draws."""
    rng = np.random.default_rng(seed)
    for weight in layer.weights:
        weight.assign(rng.normal(scale=0.5, size=weight.shape).astype("float32"))


def normal(shape, seed=1):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def memory_mask():
    """Row 1 has two padded steps, row 2 one; row 0 none."""
    mask = np.ones((BATCH, SOURCE), bool)
    mask[1, -2:] = False
    mask[2, -1] = False
    return mask


# NumPy references, written as in the docstrings.


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_masked_softmax(scores, mask):
    scores = np.where(mask, scores, -np.inf)
    top = np.max(scores, axis=-1, keepdims=True)
    exp = np.where(mask, np.exp(scores - np.where(np.isfinite(top), top, 0.0)), 0.0)
    total = exp.sum(axis=-1, keepdims=True)
    return np.divide(exp, total, out=np.zeros_like(exp), where=total > 0)


def np_bahdanau_scores(layer, q, m):
    hidden = m @ value(layer.memory_kernel) + (q @ value(layer.query_kernel))[:, None]
    v = value(layer.attention_v)
    if layer.normalize:
        v = value(layer.attention_g) * v / np.linalg.norm(v)
        hidden = hidden + value(layer.attention_b)
    return np.tanh(hidden) @ v


def np_luong_scores(layer, q, m):
    if layer.score_mode == "dot":
        scores = np.einsum("btd,bd->bt", m, q)
    elif layer.score_mode == "general":
        scores = np.einsum("btd,bd->bt", m @ value(layer.memory_kernel), q)
    else:
        hidden = m @ value(layer.memory_kernel) + (q @ value(layer.query_kernel))[:, None]
        scores = np.tanh(hidden) @ value(layer.attention_v)
    return value(layer.attention_g) * scores if layer.scale else scores


def np_attention(layer, q, m, mask):
    score_fn = np_bahdanau_scores if isinstance(layer, BahdanauAttention) else np_luong_scores
    alignments = np_masked_softmax(score_fn(layer, q, m), mask)
    return np.einsum("bt,btd->bd", alignments, m), alignments


def np_lstm_step(cell, x, h, c):
    z = x @ value(cell.kernel) + h @ value(cell.recurrent_kernel) + value(cell.bias)
    z_i, z_f, z_g, z_o = np.split(z, 4, axis=-1)
    c = sigmoid(z_f) * c + sigmoid(z_i) * np.tanh(z_g)
    return sigmoid(z_o) * np.tanh(c), c


def np_attention_decoder(wrapper, x, m, mask, h, c):
    """Unrolls `AttentionWrapper(LSTMCell)` over x: (batch, time, features)."""
    attention = np.zeros((x.shape[0], wrapper.attention_size))
    outputs, history = [], []
    for t in range(x.shape[1]):
        cell_input = np.concatenate([x[:, t], attention], -1) if wrapper.input_feeding else x[:, t]
        h, c = np_lstm_step(wrapper.cell, cell_input, h, c)
        context, alignments = np_attention(wrapper.attention, h, m, mask)
        attention = context
        if wrapper.attention_layer_size is not None:
            attention = np.concatenate([h, context], -1) @ value(wrapper.attention_kernel)
            attention = np.tanh(attention)
        outputs.append(attention if wrapper.output_attention else h)
        history.append(alignments)
    return np.stack(outputs, 1), np.stack(history, 1), [h, c, attention]


MECHANISMS = {
    "bahdanau": lambda: BahdanauAttention(UNITS),
    "bahdanau_normalized": lambda: BahdanauAttention(UNITS, normalize=True),
    "luong_general": lambda: LuongAttention(),
    "luong_general_scaled": lambda: LuongAttention(score_mode="general", scale=True),
    "luong_concat": lambda: LuongAttention(UNITS, score_mode="concat"),
    "luong_dot_scaled": lambda: LuongAttention(score_mode="dot", scale=True),
}


class MaskedSoftmaxTest(testing.TestCase):
    def test_matches_numpy_and_zeroes_padding(self):
        scores = normal((BATCH, SOURCE)) * 10
        mask = memory_mask()
        mask[0] = False  # a fully padded row: zeros, not NaN
        weights = keras.ops.convert_to_numpy(masked_softmax(scores, mask))
        np.testing.assert_allclose(weights, np_masked_softmax(scores, mask), rtol=1e-6, atol=1e-7)
        self.assertTrue(np.all(weights[~mask] == 0.0))
        np.testing.assert_allclose(weights[1:].sum(-1), 1.0, rtol=1e-6)

    def test_no_mask_is_softmax_and_half_precision_is_normalised_in_float32(self):
        scores = normal((BATCH, SOURCE)) * 30
        self.assertAllClose(masked_softmax(scores), keras.ops.softmax(scores))
        half = masked_softmax(scores.astype("float16"), memory_mask())
        self.assertEqual(keras.backend.standardize_dtype(half.dtype), "float16")
        self.assertAllClose(half, np_masked_softmax(scores, memory_mask()), atol=1e-3)


class MechanismTest(testing.TestCase):
    @parameterized.named_parameters((name, name) for name in MECHANISMS)
    def test_matches_numpy_reference(self, name):
        layer = MECHANISMS[name]()
        width = MEMORY if name.startswith("luong_dot") else QUERY
        q, m, mask = normal((BATCH, width)), normal((BATCH, SOURCE, MEMORY), seed=2), memory_mask()
        layer.build(q.shape, m.shape)
        randomize_weights(layer)
        context, alignments = layer(q, m, memory_mask=mask)
        want_context, want_alignments = np_attention(layer, q, m, mask)
        self.assertAllClose(alignments, want_alignments, rtol=1e-5, atol=1e-6)
        self.assertAllClose(context, want_context, rtol=1e-5, atol=1e-6)
        self.assertTrue(np.all(keras.ops.convert_to_numpy(alignments)[~mask] == 0.0))
        # Precomputed keys, as a decoder passes them, change nothing.
        self.assertAllClose(layer(q, m, memory_mask=mask, keys=layer.compute_keys(m))[0], context)

    def test_tfa_initial_values_and_weight_names(self):
        bahdanau = BahdanauAttention(16, normalize=True)
        bahdanau.build((1, 3), (1, 2, 5))
        self.assertEqual(
            [w.name for w in bahdanau.weights],
            ["query_kernel", "memory_kernel", "attention_v", "attention_g", "attention_b"],
        )
        self.assertAllClose(bahdanau.attention_g, 0.25)
        luong = LuongAttention(scale=True)
        luong.build((1, 3), (1, 2, 5))
        self.assertEqual([w.name for w in luong.weights], ["memory_kernel", "attention_g"])
        self.assertEqual(luong.memory_kernel.shape, (5, 3))
        self.assertAllClose(luong.attention_g, 1.0)

    def test_bahdanau_layer(self):
        self.run_layer_test(
            BahdanauAttention,
            init_kwargs={"units": UNITS, "normalize": True},
            input_shape={"query_shape": (BATCH, QUERY), "memory_shape": (BATCH, SOURCE, MEMORY)},
            input_dtype={"query_shape": "float32", "memory_shape": "float32"},
            expected_output_shape=((BATCH, MEMORY), (BATCH, SOURCE)),
            expected_num_trainable_weights=5,
            expected_num_non_trainable_weights=0,
            # The harness trains on a single positional input only; the
            # decoder tests below train these layers.
            run_training_check=False,
        )

    @parameterized.named_parameters(
        ("general", {"score_mode": "general", "scale": True}, 2),
        ("concat", {"units": UNITS, "score_mode": "concat"}, 3),
    )
    def test_luong_layer(self, init_kwargs, num_weights):
        self.run_layer_test(
            LuongAttention,
            init_kwargs=init_kwargs,
            input_shape={"query_shape": (BATCH, QUERY), "memory_shape": (BATCH, SOURCE, MEMORY)},
            input_dtype={"query_shape": "float32", "memory_shape": "float32"},
            expected_output_shape=((BATCH, MEMORY), (BATCH, SOURCE)),
            expected_num_trainable_weights=num_weights,
            expected_num_non_trainable_weights=0,
            run_training_check=False,
        )

    @parameterized.named_parameters(
        ("bad_mode", lambda: LuongAttention(score_mode="additive"), "score_mode"),
        ("dot_with_units", lambda: LuongAttention(4, score_mode="dot"), "units"),
        ("zero_units", lambda: BahdanauAttention(0), "units"),
        ("float_units", lambda: LuongAttention(2.5, score_mode="concat"), "units"),
    )
    def test_invalid_arguments_raise(self, make, message):
        with self.assertRaisesRegex(ValueError, message):
            make()

    @parameterized.named_parameters(
        ("dot_width", lambda: LuongAttention(score_mode="dot"), "query as wide"),
        ("general_units", lambda: LuongAttention(3), "units"),
    )
    def test_incompatible_shapes_raise(self, make, message):
        with self.assertRaisesRegex(ValueError, message):
            make().build((BATCH, QUERY), (BATCH, SOURCE, MEMORY))


class AttentionPoolingTest(testing.TestCase):
    def test_layer(self):
        self.run_layer_test(
            AttentionPooling,
            init_kwargs={"units": UNITS},
            input_shape=(BATCH, SOURCE, MEMORY),
            expected_output_shape=((BATCH, MEMORY), (BATCH, SOURCE)),
            expected_num_trainable_weights=3,
            expected_num_non_trainable_weights=0,
            supports_masking=True,
        )

    def test_weights_sum_to_one_and_vanish_at_padding(self):
        layer = AttentionPooling(UNITS)
        h, mask = normal((BATCH, SOURCE, MEMORY)), memory_mask()
        layer.build(h.shape)
        randomize_weights(layer)
        pooled, weights = (keras.ops.convert_to_numpy(t) for t in layer(h, mask=mask))
        np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-6)
        self.assertTrue(np.all(weights[~mask] == 0.0))
        scores = np.tanh(h @ value(layer.kernel) + value(layer.bias)) @ value(layer.attention_v)
        want = np_masked_softmax(scores, mask)
        np.testing.assert_allclose(weights, want, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(pooled, np.einsum("bt,btd->bd", want, h), rtol=1e-5, atol=1e-6)

    def test_uses_embedding_mask_in_a_classifier(self):
        tokens = np.array([[3, 4, 5, 0, 0], [1, 2, 3, 4, 5]])
        inputs = keras.Input((None,), dtype="int32")
        h = keras.layers.Embedding(10, MEMORY, mask_zero=True)(inputs)
        pooled, weights = AttentionPooling(UNITS)(h)
        model = keras.Model(inputs, [keras.layers.Dense(2)(pooled), weights])
        _, weights = model(tokens)
        self.assertAllEqual(keras.ops.convert_to_numpy(weights)[0, 3:], [0.0, 0.0])
        self.assertAllClose(keras.ops.sum(weights, -1), [1.0, 1.0])

    def test_without_weights_in_sequential(self):
        model = keras.Sequential(
            [keras.Input((SOURCE, MEMORY)), AttentionPooling(UNITS, return_weights=False)]
        )
        self.assertEqual(model(normal((BATCH, SOURCE, MEMORY))).shape, (BATCH, MEMORY))


def make_wrapper(mechanism="luong", **kwargs):
    attention = {
        "luong": lambda: LuongAttention(score_mode="general", scale=True),
        "bahdanau": lambda: BahdanauAttention(UNITS, normalize=True),
        "concat": lambda: LuongAttention(UNITS, score_mode="concat"),
    }[mechanism]()
    return AttentionWrapper(keras.layers.LSTMCell(UNITS), attention, **kwargs)


class AttentionDecoderTest(testing.TestCase):
    @parameterized.named_parameters(
        ("luong_attention_layer", "luong", {"attention_layer_size": 3}),
        ("bahdanau_cell_output", "bahdanau", {"output_attention": False}),
        ("concat_no_input_feeding", "concat", {"attention_layer_size": 5, "input_feeding": False}),
    )
    def test_matches_numpy_unroll(self, mechanism, kwargs):
        x, m = normal((BATCH, TARGET, FEATURES)), normal((BATCH, SOURCE, MEMORY), seed=2)
        h0, c0 = normal((BATCH, UNITS), seed=3), normal((BATCH, UNITS), seed=4)
        decoder = AttentionDecoder(
            make_wrapper(mechanism, **kwargs), return_state=True, return_alignments=True
        )
        decoder.build(x.shape, m.shape)
        randomize_weights(decoder)

        outputs, alignments, *states = decoder(
            x, m, initial_state=[h0, c0], memory_mask=memory_mask()
        )

        want_outputs, want_alignments, want_states = np_attention_decoder(
            decoder.cell, x.astype("float64"), m.astype("float64"), memory_mask(), h0, c0
        )
        self.assertEqual(alignments.shape, (BATCH, TARGET, SOURCE))
        self.assertAllClose(outputs, want_outputs, rtol=1e-4, atol=1e-5)
        self.assertAllClose(alignments, want_alignments, rtol=1e-4, atol=1e-5)
        self.assertLen(states, 3)
        for got, want in zip(states, want_states):
            self.assertAllClose(got, want, rtol=1e-4, atol=1e-5)
        padded = np.broadcast_to(~memory_mask()[:, None], alignments.shape)
        self.assertTrue(np.all(keras.ops.convert_to_numpy(alignments)[padded] == 0.0))

    def test_layer(self):
        self.run_layer_test(
            AttentionDecoder,
            init_kwargs={"cell": make_wrapper(attention_layer_size=3), "return_alignments": True},
            input_shape={
                "inputs_shape": (BATCH, TARGET, FEATURES),
                "memory_shape": (BATCH, SOURCE, MEMORY),
            },
            input_dtype={"inputs_shape": "float32", "memory_shape": "float32"},
            expected_output_shape=((BATCH, TARGET, 3), (BATCH, TARGET, SOURCE)),
            # LSTM kernel, recurrent kernel, bias; memory kernel, g; W_c.
            expected_num_trainable_weights=6,
            expected_num_non_trainable_weights=0,
            supports_masking=True,
            run_training_check=False,
        )

    def test_cell_step_equals_decoder_step(self):
        # The cell called by hand, as in a decoding step function, gives the
        # decoder's outputs step by step.
        x, m, mask = (
            normal((BATCH, TARGET, FEATURES)),
            normal((BATCH, SOURCE, MEMORY)),
            memory_mask(),
        )
        decoder = AttentionDecoder(make_wrapper("bahdanau", attention_layer_size=3))
        outputs = decoder(x, m, memory_mask=mask)
        cell = decoder.cell
        states = cell.get_initial_state(BATCH)
        for t in range(TARGET):
            output, states = cell(x[:, t], states, memory=m, memory_mask=mask)
            self.assertAllClose(output, outputs[:, t], atol=1e-6)

    def test_masked_target_steps_keep_state(self):
        x, m = normal((BATCH, TARGET + 2, FEATURES)), normal((BATCH, SOURCE, MEMORY))
        decoder = AttentionDecoder(make_wrapper(attention_layer_size=3), return_state=True)
        mask = np.ones((BATCH, TARGET + 2), bool)
        mask[0, -2:] = False
        masked = decoder(x, m, inputs_mask=mask)
        truncated = decoder(x[:, :TARGET], m)
        for got, want in zip(masked[1:], truncated[1:]):
            self.assertAllClose(got[0], want[0], atol=1e-6)
        self.assertNotAllClose(masked[1][1:], truncated[1][1:])

    @parameterized.named_parameters(
        ("gru", lambda: keras.layers.GRUCell(UNITS), 1),
        ("layer_norm_lstm", lambda: LayerNormLSTMCell(UNITS), 2),
        ("zoneout_lstm", lambda: ZoneoutCell(keras.layers.LSTMCell(UNITS), 0.2, seed=1), 2),
        (
            "stacked",
            lambda: keras.layers.StackedRNNCells(
                [keras.layers.LSTMCell(UNITS, dropout=0.3, seed=1), keras.layers.GRUCell(UNITS)]
            ),
            3,
        ),
    )
    def test_wraps_any_cell_and_trains_under_tf_function(self, make_cell, num_states):
        x, m = normal((BATCH, TARGET, FEATURES)), normal((BATCH, SOURCE, MEMORY))
        cell = AttentionWrapper(make_cell(), BahdanauAttention(UNITS), attention_layer_size=3)
        decoder = AttentionDecoder(cell, return_state=True)
        outputs, *states = decoder(x, m)
        self.assertEqual(outputs.shape, (BATCH, TARGET, 3))
        self.assertLen(states, num_states + 1)
        # Dropout and zoneout masks are drawn before the loop, so a compiled
        # training call works, twice.
        train = tf.function(lambda x, m: decoder(x, m, training=True)[0])
        self.assertEqual(train(x, m).shape, (BATCH, TARGET, 3))
        self.assertEqual(train(x, m).shape, (BATCH, TARGET, 3))

    def test_dropout_acts_only_in_training(self):
        x, m = normal((BATCH, TARGET, FEATURES)), normal((BATCH, SOURCE, MEMORY))
        cell = keras.layers.LSTMCell(UNITS, dropout=0.5, recurrent_dropout=0.5, seed=1)
        decoder = AttentionDecoder(AttentionWrapper(cell, LuongAttention(), attention_layer_size=3))
        self.assertAllClose(decoder(x, m), decoder(x, m))
        self.assertNotAllClose(decoder(x, m, training=True), decoder(x, m))

    def test_last_output_with_alignments(self):
        x, m = normal((BATCH, TARGET, FEATURES)), normal((BATCH, SOURCE, MEMORY))
        cell = make_wrapper(attention_layer_size=3)
        sequences, alignments = AttentionDecoder(cell, return_alignments=True)(x, m)
        last, last_alignments = AttentionDecoder(
            cell, return_sequences=False, return_alignments=True
        )(x, m)
        self.assertAllClose(last, sequences[:, -1])
        self.assertAllClose(last_alignments, alignments)

    def test_initial_state_forms(self):
        x, m = normal((BATCH, TARGET, FEATURES)), normal((BATCH, SOURCE, MEMORY))
        decoder = AttentionDecoder(make_wrapper(attention_layer_size=3), return_state=True)
        h0, c0 = normal((BATCH, UNITS), seed=3), normal((BATCH, UNITS), seed=4)
        from_cell_state = decoder(x, m, initial_state=[h0, c0])
        full_state = [h0, c0, np.zeros((BATCH, 3), "float32")]
        for got, want in zip(decoder(x, m, initial_state=full_state), from_cell_state):
            self.assertAllClose(got, want)
        with self.assertRaisesRegex(ValueError, "initial_state"):
            decoder(x, m, initial_state=[h0])

    @parameterized.named_parameters(
        (
            "not_a_cell",
            lambda: AttentionWrapper(keras.layers.Dense(2), LuongAttention()),
            "RNN cell",
        ),
        (
            "not_a_mechanism",
            lambda: AttentionWrapper(keras.layers.LSTMCell(2), keras.layers.Dense(2)),
            "attention",
        ),
        (
            "bad_layer_size",
            lambda: AttentionWrapper(
                keras.layers.LSTMCell(2), LuongAttention(), attention_layer_size=0
            ),
            "attention_layer_size",
        ),
        (
            "decoder_without_wrapper",
            lambda: AttentionDecoder(keras.layers.LSTMCell(2)),
            "AttentionWrapper",
        ),
    )
    def test_invalid_arguments_raise(self, make, message):
        with self.assertRaisesRegex(ValueError, message):
            make()

    def test_state_size_needs_memory_without_attention_layer(self):
        wrapper = make_wrapper()
        with self.assertRaisesRegex(ValueError, "built"):
            _ = wrapper.state_size
        wrapper.build((BATCH, FEATURES), (BATCH, SOURCE, MEMORY))
        self.assertEqual(wrapper.state_size, [UNITS, UNITS, MEMORY])
        self.assertEqual(wrapper.output_size, MEMORY)


def _seq2seq_model():
    """A tiny functional seq2seq model using every layer, masks from Embedding."""
    source = keras.Input((None,), dtype="int32", name="source")
    target = keras.Input((None,), dtype="int32", name="target")
    embed = keras.layers.Embedding(12, FEATURES, mask_zero=True)
    memory, h, c = keras.layers.LSTM(UNITS, return_sequences=True, return_state=True)(embed(source))
    pooled, _ = AttentionPooling(UNITS)(memory)
    luong = AttentionDecoder(make_wrapper(attention_layer_size=3), return_alignments=True)
    outputs, alignments = luong(embed(target), memory, initial_state=[h, c])
    bahdanau = AttentionDecoder(make_wrapper("bahdanau", output_attention=False))
    outputs = keras.layers.Concatenate()([outputs, bahdanau(embed(target), memory)])
    logits = keras.layers.Dense(12)(outputs)
    model = keras.Model([source, target], [logits, alignments, pooled])
    randomize_weights(model)
    return model


def _seq2seq_data():
    source = np.array([[3, 4, 5, 0, 0], [1, 2, 3, 4, 5], [6, 7, 0, 0, 0]], "int32")
    target = np.array([[1, 2, 3, 0], [4, 5, 6, 7], [8, 9, 10, 0]], "int32")
    return source, target


def test_padded_source_gets_no_attention_in_functional_model():
    source, target = _seq2seq_data()
    _, alignments, _ = _seq2seq_model()([source, target])
    alignments = keras.ops.convert_to_numpy(alignments)
    padded = np.broadcast_to((source == 0)[:, None], alignments.shape)
    assert np.all(alignments[padded] == 0.0)
    np.testing.assert_allclose(alignments.sum(-1), 1.0, rtol=1e-5)


@pytest.mark.slow
def test_seq2seq_trains_under_xla():
    source, target = _seq2seq_data()
    full = _seq2seq_model()
    model = keras.Model(full.inputs, full.outputs[0])
    model.compile(
        optimizer=keras.optimizers.Adam(0.05),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        # XLA is Keras's default wherever an accelerator is present.
        jit_compile=True,
    )
    labels = np.roll(target, -1, axis=1)
    decoder_weights = [
        w for layer in model.layers if isinstance(layer, AttentionDecoder) for w in layer.weights
    ]
    before = [keras.ops.convert_to_numpy(w) for w in decoder_weights]
    history = model.fit([source, target], labels, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    # Every weight of both decoders, attention included, gets a gradient.
    for old, weight in zip(before, decoder_weights):
        assert not np.allclose(old, keras.ops.convert_to_numpy(weight)), weight.path


def test_keras_file_round_trip(tmp_path):
    model = _seq2seq_model()
    data = list(_seq2seq_data())
    model.save(tmp_path / "attention.keras")
    revived = keras.saving.load_model(tmp_path / "attention.keras")
    for got, want in zip(revived(data), model(data)):
        np.testing.assert_array_equal(got, want)
    decoders = [layer for layer in revived.layers if isinstance(layer, AttentionDecoder)]
    assert [type(d.cell.attention) for d in decoders] == [LuongAttention, BahdanauAttention]


@pytest.mark.slow
def test_saved_model_export(tmp_path):
    model = _seq2seq_model()
    source, target = _seq2seq_data()
    model.export(str(tmp_path / "exported"), verbose=False)
    # Keep the loaded object alive: its variables die with it.
    reloaded = tf.saved_model.load(str(tmp_path / "exported"))
    for got, want in zip(reloaded.serve([source, target]), model([source, target])):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
