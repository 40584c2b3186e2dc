"""Tests for shared.layers.decoding: references unrolled in Python, toy models built by hand."""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf
from absl.testing import parameterized
from keras.src import testing

from seqsuite.shared.layers.attention import AttentionWrapper, LuongAttention
from seqsuite.shared.layers.decoding import decode, length_penalty_factor, tile_for_beam

VOCAB, START, END, PAD = 7, 0, 1, 0
BATCH, MAX_LENGTH, UNITS = 5, 8, 8


def randomize_weights(layers, seed=0, scale=1.5):
    """Large N(0, scale^2) weights, so the next-token distributions are peaked."""
    rng = np.random.default_rng(seed)
    for layer in layers:
        for weight in layer.weights:
            weight.assign(rng.normal(scale=scale, size=weight.shape).astype("float32"))


class TinyDecoder:
    """Embedding -> GRUCell -> Dense: a stand-in for any recurrent decoder."""

    def __init__(self, seed=0):
        self.embed = keras.layers.Embedding(VOCAB, 4)
        self.cell = keras.layers.GRUCell(UNITS)
        self.project = keras.layers.Dense(VOCAB)
        self.embed.build((None,))
        self.cell.build((None, 4))
        self.project.build((None, UNITS))
        randomize_weights([self.embed, self.cell, self.project], seed)

    def step(self, tokens, state):
        output, state = self.cell(self.embed(tokens), state)
        return self.project(output), state

    def initial_state(self, seed=1):
        return np.random.default_rng(seed).normal(size=(BATCH, UNITS)).astype("float32")


def start_tokens(batch=BATCH):
    return np.full((batch,), START, "int32")


def log_softmax(logits):
    logits = logits - logits.max(-1, keepdims=True)
    return logits - np.log(np.exp(logits).sum(-1, keepdims=True))


def table_step_fn(probabilities):
    """A first-order model: logits are the log of a transition table row."""
    log_table = tf.math.log(tf.constant(probabilities, tf.float32) + 1e-9)

    def step_fn(tokens, state):
        return tf.gather(log_table, tokens), state

    return step_fn


# Tokens of the hand-made tables: 0 start, 1 end, 2 "a", 3 "b".
MYOPIC = [
    [0.0, 0.0, 0.6, 0.4],  # start: "a" looks best...
    [0.0, 1.0, 0.0, 0.0],
    [0.0, 0.34, 0.33, 0.33],  # ...but after "a" nothing is likely;
    [0.0, 0.9, 0.05, 0.05],  # after "b" the end is.
]
PREFERS_SHORT = [
    [0.0, 0.5, 0.5, 0.0],  # end now (p 0.5), or "a" then end (p 0.45)
    [0.0, 1.0, 0.0, 0.0],
    [0.0, 0.9, 0.05, 0.05],
    [0.0, 1.0, 0.0, 0.0],
]


class GreedyAndSamplingTest(testing.TestCase):
    def test_greedy_equals_argmax_unrolled(self):
        model = TinyDecoder()
        result = decode(model.step, model.initial_state(), start_tokens(), END, MAX_LENGTH)

        tokens, state = start_tokens(), model.initial_state()
        ids = np.full((BATCH, MAX_LENGTH), END)
        finished, lengths, scores = np.zeros(BATCH, bool), np.zeros(BATCH, int), np.zeros(BATCH)
        for t in range(MAX_LENGTH):
            logits, state = model.step(tokens, state)
            logits = keras.ops.convert_to_numpy(logits).astype("float64")
            tokens = np.where(finished, END, logits.argmax(-1)).astype("int32")
            scores += np.where(finished, 0.0, log_softmax(logits)[np.arange(BATCH), tokens])
            lengths += ~finished
            ids[:, t] = tokens
            finished |= tokens == END
        self.assertTrue(0 < finished.sum() < BATCH, "the test wants ended and unended rows")
        self.assertAllEqual(result.ids, ids)
        self.assertAllEqual(result.lengths, lengths)
        self.assertAllClose(result.scores, scores, atol=1e-5)

    def test_top_k_1_sampling_equals_greedy(self):
        model = TinyDecoder()
        greedy = decode(model.step, model.initial_state(), start_tokens(), END, MAX_LENGTH)
        sampled = decode(
            model.step,
            model.initial_state(),
            start_tokens(),
            END,
            MAX_LENGTH,
            method="sample",
            top_k=1,
            temperature=5.0,
            seed=3,
        )
        for got, want in zip(sampled, greedy):
            self.assertAllClose(got, want)

    def test_sampling_is_reproducible_with_a_seed(self):
        model = TinyDecoder()

        def sample(seed):
            return decode(
                model.step,
                model.initial_state(),
                start_tokens(),
                END,
                MAX_LENGTH,
                method="sample",
                temperature=3.0,
                seed=seed,
            ).ids

        self.assertAllEqual(sample(7), sample(7))
        self.assertNotAllClose(sample(7), sample(8))
        # Stateless draws: a compiled call gives the same tokens as an eager one.
        self.assertAllEqual(tf.function(sample)(tf.constant(7)), sample(7))
        # Without a seed every call draws afresh.
        self.assertNotAllClose(sample(None), sample(None))

    @parameterized.named_parameters(
        ("temperature", 2.0, 0, [0.5**0.5, 0.3**0.5, 0.15**0.5, 0.05**0.5]),
        ("top_k", 1.0, 2, [0.5, 0.3, 0.0, 0.0]),
    )
    def test_sampling_distribution(self, temperature, top_k, weights):
        rows = 4000
        logits = tf.math.log(tf.constant([[0.5, 0.3, 0.15, 0.05]]))

        def step_fn(tokens, state):
            return tf.repeat(logits, tf.shape(tokens)[0], axis=0), state

        ids = decode(
            step_fn,
            tf.zeros((rows, 1)),
            start_tokens(rows),
            end_token=3,
            max_length=1,
            method="sample",
            temperature=temperature,
            top_k=top_k,
            seed=0,
        ).ids
        frequencies = np.bincount(keras.ops.convert_to_numpy(ids)[:, 0], minlength=4) / rows
        # 4000 draws: standard errors below 0.008.
        np.testing.assert_allclose(frequencies, np.array(weights) / np.sum(weights), atol=0.03)

    def test_end_token_stops_and_pads(self):
        # Row r emits "a" (2) until step r, then the end token; row 3 ends at step 2.
        ends_at = tf.constant([0, 1, 2, 2])
        fed = []

        def step_fn(tokens, step):
            fed.append(keras.ops.convert_to_numpy(tokens))
            next_tokens = tf.where(step == ends_at, END, 2)
            return tf.one_hot(next_tokens, 4) * 20.0, step + 1

        result = decode(step_fn, tf.zeros((4,), tf.int32), start_tokens(4), END, 6, pad_token=3)
        self.assertAllEqual(
            result.ids,
            [[1, 3, 3, 3, 3, 3], [2, 1, 3, 3, 3, 3], [2, 2, 1, 3, 3, 3], [2, 2, 1, 3, 3, 3]],
        )
        self.assertAllEqual(result.lengths, [1, 2, 3, 3])
        # The loop stops once every row has ended; finished rows are fed the
        # end token, a token the model knows, whatever the pad token.
        self.assertLen(fed, 3)
        self.assertAllEqual(fed[1], [1, 2, 2, 2])
        self.assertAllEqual(fed[2], [1, 1, 2, 2])

    def test_rows_without_end_token_run_to_max_length(self):
        result = decode(table_step_fn(MYOPIC), tf.zeros((1, 1)), [2], end_token=5, max_length=4)
        self.assertAllEqual(result.lengths, [4])
        self.assertEqual(result.ids.shape, (1, 4))


def second_order_step_fn(log_table):
    """Logits depend on the last two tokens; the state holds the one before last."""
    log_table = tf.constant(log_table, tf.float32)

    def step_fn(tokens, previous):
        return tf.gather_nd(log_table, tf.stack([previous, tokens], -1)), tokens

    return step_fn


def exhaustive_best(log_table, previous, start, end, max_length, alpha):
    """The best-scoring sequence over every sequence the model can emit."""
    vocab = log_table.shape[-1]
    best = (-np.inf, None)
    for length in range(1, max_length + 1):
        for sequence in itertools.product(range(vocab), repeat=length):
            body, last = sequence[:-1], sequence[-1]
            if end in body or (length < max_length and last != end):
                continue
            history, log_prob = [previous, start], 0.0
            for token in sequence:
                log_prob += log_table[history[-2], history[-1], token]
                history.append(token)
            score = log_prob / ((5 + length) / 6) ** alpha
            best = max(best, (score, sequence))
    return best


class BeamSearchTest(testing.TestCase):
    def test_beam_width_1_equals_greedy(self):
        model = TinyDecoder()
        greedy = decode(model.step, model.initial_state(), start_tokens(), END, MAX_LENGTH)
        beam = decode(
            model.step,
            model.initial_state(),
            start_tokens(),
            END,
            MAX_LENGTH,
            method="beam",
            beam_width=1,
        )
        self.assertAllEqual(beam.ids, greedy.ids)
        self.assertAllEqual(beam.lengths, greedy.lengths)
        self.assertAllClose(beam.scores, greedy.scores, atol=1e-5)

    def test_beam_finds_what_greedy_misses(self):
        step_fn = table_step_fn(MYOPIC)
        greedy = decode(step_fn, tf.zeros((1, 1)), [0], END, 5)
        beam = decode(step_fn, tf.zeros((1, 1)), [0], END, 5, method="beam", beam_width=2)
        self.assertAllEqual(greedy.ids, [[2, 1, 1, 1, 1]])
        self.assertAllEqual(beam.ids, [[3, 1, 1, 1, 1]])
        self.assertAllClose(greedy.scores, np.log([0.6 * 0.34]), atol=1e-5)
        self.assertAllClose(beam.scores, np.log([0.4 * 0.9]), atol=1e-5)

    def test_length_penalty_changes_the_choice(self):
        step_fn = table_step_fn(PREFERS_SHORT)
        plain = decode(step_fn, tf.zeros((1, 1)), [0], END, 4, method="beam", beam_width=2)
        penalised = decode(
            step_fn, tf.zeros((1, 1)), [0], END, 4, method="beam", beam_width=2, length_penalty=2.0
        )
        self.assertAllEqual(plain.ids, [[1, 1, 1, 1]])
        self.assertAllEqual(penalised.ids, [[2, 1, 1, 1]])
        self.assertAllEqual(penalised.lengths, [2])
        self.assertAllClose(penalised.scores, np.log([0.45]) / (7 / 6) ** 2, atol=1e-5)

    @parameterized.named_parameters(("alpha_0", 0.0), ("alpha_0_6", 0.6), ("alpha_2", 2.0))
    def test_wide_beam_is_exhaustive_search(self, alpha):
        # A beam as wide as the number of hypotheses prunes nothing, so it
        # must find the exhaustive optimum; the second-order model makes a
        # wrong reordering of the state show.
        vocab, max_length = 4, 4
        rng = np.random.default_rng(int(alpha * 10))
        log_table = np.log(rng.dirichlet(np.full(vocab, 0.5), size=(vocab, vocab)) + 1e-9)
        previous, starts = np.array([0, 3], "int32"), np.array([0, 2], "int32")
        result = decode(
            second_order_step_fn(log_table),
            previous,
            starts,
            END,
            max_length,
            method="beam",
            beam_width=vocab ** (max_length - 1),
            length_penalty=alpha,
        )
        for row in range(2):
            score, sequence = exhaustive_best(
                log_table, previous[row], starts[row], END, max_length, alpha
            )
            self.assertAllClose(result.scores[row], score, atol=1e-4)
            self.assertAllEqual(result.ids[row, : len(sequence)], sequence)
            self.assertEqual(int(result.lengths[row]), len(sequence))

    def test_all_beams_are_sorted_and_padded(self):
        result = decode(
            table_step_fn(MYOPIC),
            tf.zeros((2, 1)),
            [0, 0],
            END,
            5,
            method="beam",
            beam_width=3,
            return_all_beams=True,
            # Outside the vocabulary: only written, never fed to the model.
            pad_token=-1,
        )
        self.assertEqual(result.ids.shape, (2, 3, 5))
        scores = keras.ops.convert_to_numpy(result.scores)
        self.assertTrue(np.all(np.diff(scores, axis=1) <= 0))
        ids, lengths = (keras.ops.convert_to_numpy(t) for t in (result.ids, result.lengths))
        ended = [(row, n) for row, n in zip(ids.reshape(-1, 5), lengths.reshape(-1)) if n < 5]
        self.assertNotEmpty(ended)
        for row, length in ended:
            self.assertEqual(row[length - 1], END)
            self.assertTrue(np.all(row[length:] == -1))

    def test_length_penalty_factor(self):
        self.assertAllClose(length_penalty_factor([1, 7], 0.6), [1.0, 2.0**0.6])


class HelpersTest(testing.TestCase):
    def test_tile_for_beam_repeats_rows_in_place(self):
        state = {"h": np.arange(6.0).reshape(3, 2), "pair": (np.arange(3), np.ones((3, 1, 2)))}
        tiled = tile_for_beam(state, 2)
        self.assertAllEqual(tiled["h"][:, 0], [0, 0, 2, 2, 4, 4])
        self.assertAllEqual(tiled["pair"][0], [0, 0, 1, 1, 2, 2])
        self.assertEqual(tiled["pair"][1].shape, (6, 1, 2))

    @parameterized.named_parameters(
        ("method", {"method": "nucleus"}, "method"),
        ("max_length", {"max_length": 0}, "max_length"),
        ("temperature", {"method": "sample", "temperature": 0.0}, "temperature"),
        ("top_k", {"top_k": -1}, "top_k"),
        ("beam_width", {"method": "beam", "beam_width": 0}, "beam_width"),
        ("length_penalty", {"length_penalty": -1.0}, "length_penalty"),
        ("start_tokens", {"start_tokens": [[0]]}, "start_tokens"),
        ("step_fn", {"step_fn": None}, "step_fn"),
    )
    def test_invalid_arguments_raise(self, overrides, message):
        kwargs = {
            "step_fn": table_step_fn(MYOPIC),
            "initial_state": tf.zeros((1, 1)),
            "start_tokens": [0],
            "end_token": END,
            "max_length": 3,
            **overrides,
        }
        with self.assertRaisesRegex(ValueError, message):
            decode(**kwargs)


class Translator(tf.Module):
    """An attention seq2seq model whose decoding is exported as signatures."""

    def __init__(self, beam_width=3, max_length=6):
        super().__init__()
        self.beam_width, self.max_length = beam_width, max_length
        self.embed = keras.layers.Embedding(VOCAB, 4)
        self.encoder = keras.layers.LSTM(UNITS, return_sequences=True, return_state=True)
        self.cell = AttentionWrapper(
            keras.layers.LSTMCell(UNITS), LuongAttention(), attention_layer_size=UNITS
        )
        self.project = keras.layers.Dense(VOCAB)
        source = np.array([[3, 4, 0]], "int32")
        memory, *_ = self.encoder(self.embed(source))
        self.cell.build((None, 4), memory.shape)
        self.project.build((None, UNITS))
        randomize_weights([self.embed, self.encoder, self.cell, self.project], scale=1.0)

    def translate(self, source, method):
        mask = tf.not_equal(source, PAD)
        memory, h, c = self.encoder(self.embed(source), mask=mask)
        width = self.beam_width if method == "beam" else 1
        # decode tiles the state; the memory the step function closes over is ours to tile.
        memory, mask = tile_for_beam((memory, mask), width)
        keys = self.cell.attention.compute_keys(memory)

        def step_fn(tokens, state):
            output, state = self.cell(
                self.embed(tokens), state, memory=memory, memory_mask=mask, keys=keys
            )
            return self.project(output), state

        result = decode(
            step_fn,
            self.cell.get_initial_state(cell_state=[h, c]),
            tf.fill(tf.shape(source)[:1], START),
            END,
            self.max_length,
            method=method,
            beam_width=width,
            length_penalty=0.6,
        )
        return result._asdict()

    @tf.function(input_signature=[tf.TensorSpec((None, None), tf.int32)])
    def greedy(self, source):
        return self.translate(source, "greedy")

    @tf.function(input_signature=[tf.TensorSpec((None, None), tf.int32)])
    def beam(self, source):
        return self.translate(source, "beam")


@pytest.fixture(scope="module")
def source():
    return np.array([[3, 4, 5, 0, 0], [2, 3, 4, 5, 6], [6, 2, 0, 0, 0]], "int32")


def test_translator_compiled_equals_eager(source):
    translator = Translator()
    for method, compiled in (("greedy", translator.greedy), ("beam", translator.beam)):
        eager = translator.translate(source, method)
        for name, value in compiled(source).items():
            np.testing.assert_allclose(value, eager[name], atol=1e-5, err_msg=f"{method} {name}")


def test_decoding_signatures_survive_saved_model(tmp_path, source):
    translator = Translator()
    want = {"greedy": translator.greedy(source), "beam": translator.beam(source)}
    tf.saved_model.save(
        translator,
        str(tmp_path / "translator"),
        signatures={"greedy": translator.greedy, "beam": translator.beam},
    )
    # Keep the loaded object alive: its variables die with it.
    reloaded = tf.saved_model.load(str(tmp_path / "translator"))
    for method in ("greedy", "beam"):
        got = reloaded.signatures[method](source=tf.constant(source))
        for name, value in want[method].items():
            np.testing.assert_allclose(got[name], value, atol=1e-5, err_msg=f"{method} {name}")
    assert reloaded.beam(tf.constant(source))["ids"].shape == (3, 6)
