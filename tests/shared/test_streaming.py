"""Streaming twins (`shared.layers.streaming`): a whole-sequence model fed chunk by chunk
gives the whole sequence's outputs, for every recurrent layer the library offers."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from seqsuite.shared.layers.cells import LayerNormLSTMCell, PeepholeLSTMCell, ZoneoutCell
from seqsuite.shared.layers.regularisers import LockedDropout, WeightDropRNN
from seqsuite.shared.layers.reservoir import NVAR, Reservoir
from seqsuite.shared.layers.streaming import Streaming, StreamingError

DATA = np.random.default_rng(0).normal(size=(3, 11, 4)).astype("float32")


def _model(*layers, sequences=True):
    x = keras.Input((None, 4))
    h = x
    for layer in layers:
        h = layer(h)
    return keras.Model(x, keras.layers.Dense(2, name="head")(h))


def _chunked(model, chunks):
    stream = Streaming(model)
    state = stream.initial_state(len(DATA))
    outputs, start = [], 0
    for size in chunks:
        out, state = stream(DATA[:, start : start + size], state)
        outputs.append(np.asarray(out))
        start += size
    return outputs, state


RECURRENT = {
    "lstm": lambda: keras.layers.LSTM(6, return_sequences=True),
    "gru": lambda: keras.layers.GRU(5, return_sequences=True),
    "simple": lambda: keras.layers.SimpleRNN(3, return_sequences=True),
    "layernorm_lstm": lambda: keras.layers.RNN(LayerNormLSTMCell(5), return_sequences=True),
    "peephole_lstm": lambda: keras.layers.RNN(PeepholeLSTMCell(5), return_sequences=True),
    "zoneout": lambda: keras.layers.RNN(ZoneoutCell(keras.layers.LSTMCell(5), [0.2, 0.1]),
                                        return_sequences=True),
    "stacked": lambda: keras.layers.RNN(keras.layers.StackedRNNCells(
        [keras.layers.GRUCell(4), keras.layers.LSTMCell(3)]), return_sequences=True),
    "weight_drop": lambda: WeightDropRNN(keras.layers.LSTMCell(4), weight_drop=0.3,
                                         return_sequences=True),
    "reservoir": lambda: Reservoir(12, leak_rate=0.5, seed=3),
    "nvar": lambda: NVAR(delay=3, order=1, strides=2),  # the delay line is the state
    # a ring buffer of the last dilation * (kernel - 1) = 4 input steps
    "causal_conv": lambda: keras.layers.Conv1D(5, 3, padding="causal", dilation_rate=2,
                                               activation="relu"),
}


@pytest.mark.parametrize("name", sorted(RECURRENT))
@pytest.mark.parametrize("chunks", [(1,) * 11, (3, 1, 7)])
def test_chunks_give_the_whole_sequence(name, chunks):
    keras.utils.set_random_seed(1)
    model = _model(RECURRENT[name](), LockedDropout(0.3), RECURRENT[name]())
    whole = np.asarray(model(DATA))
    outputs, state = _chunked(model, chunks)
    np.testing.assert_allclose(np.concatenate(outputs, axis=1), whole, atol=1e-5)
    assert all(v.shape[0] == len(DATA) for v in state.values())


def test_a_last_state_layer_gives_the_last_step_of_each_chunk():
    keras.utils.set_random_seed(2)
    model = _model(keras.layers.GRU(5, return_sequences=True), keras.layers.LSTM(4))
    outputs, _ = _chunked(model, (4, 7))
    np.testing.assert_allclose(outputs[-1], np.asarray(model(DATA)), atol=1e-5)
    np.testing.assert_allclose(outputs[0], np.asarray(model(DATA[:, :4])), atol=1e-5)


def test_state_names_and_sizes():
    model = _model(keras.layers.LSTM(6, return_sequences=True, name="enc"),
                   Reservoir(12, seed=0, name="res"))
    stream = Streaming(model)
    assert stream.state_names() == {"enc/0": 6, "enc/1": 6, "res/0": 12}
    state = stream.initial_state(2)
    assert {k: tuple(v.shape) for k, v in state.items()} == {
        "enc/0": (2, 6), "enc/1": (2, 6), "res/0": (2, 12)}
    with pytest.raises(StreamingError, match="the state lacks res/0; start from initial_state"):
        stream(DATA[:2, :1], {"enc/0": state["enc/0"], "enc/1": state["enc/1"]})


def test_a_compiled_step_with_any_chunk_length():
    keras.utils.set_random_seed(3)
    model = _model(keras.layers.LSTM(6, return_sequences=True))
    stream = Streaming(model)
    names = list(stream.state_names())

    @tf.function(input_signature=[tf.TensorSpec([None, None, 4], tf.float32)]
                 + [tf.TensorSpec([None, 6], tf.float32)] * 2)
    def step(chunk, h, c):
        out, state = stream(chunk, dict(zip(names, (h, c))))
        return out, state[names[0]], state[names[1]]

    state = [np.zeros((3, 6), "float32")] * 2
    first, *state = step(DATA[:, :5], *state)
    second, *state = step(DATA[:, 5:], *state)
    np.testing.assert_allclose(np.concatenate([first, second], 1), model(DATA), atol=1e-5)


@pytest.mark.parametrize("layer, message", [
    (keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True), name="both"),
     "layer 'both' is bidirectional"),
    (keras.layers.LSTM(3, return_sequences=True, go_backwards=True, name="back"),
     "layer 'back' reads the sequence backwards"),
    (keras.layers.Conv1D(3, 3, name="conv"), "convolution 'conv' pads 'valid'"),
    (keras.layers.Conv1D(3, 3, padding="same", name="conv"), "build it with padding='causal'"),
    (keras.layers.Conv1D(3, 3, strides=2, padding="causal", name="conv"),
     "convolution 'conv' strides 2 steps over time; only strides=1 streams"),
    (keras.layers.SeparableConv1D(3, 3, name="sep"),
     r"layer 'sep' \(SeparableConv1D\) mixes time steps"),
    (Reservoir(20, washout=2, connectivity=0.5, seed=0, name="res"), "reservoir 'res' drops its first 2 states"),
    (keras.layers.GlobalAveragePooling1D(name="pool"), "layer 'pool'"),
])
def test_a_layer_that_cannot_stream_is_named(layer, message):
    x = keras.Input((None, 4))
    model = keras.Model(x, layer(x))
    with pytest.raises(StreamingError, match=message):
        Streaming(model)
