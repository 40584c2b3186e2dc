"""Transformer and hybrid encoders (`encoders.sequence_encoder`, `PositionEncoding`): the
Keras layer contract, the sinusoid against NumPy, padding and causal masks, the length a
learned embedding refuses, the config's one-line errors, saving and streaming."""

import keras
import numpy as np
import pytest
from keras.src import testing

from seqsuite.shared.errors import ConfigError
from seqsuite.shared.layers.encoders import PositionEncoding, sequence_encoder
from seqsuite.shared.layers.options import SequenceEncoderConfig
from seqsuite.shared.layers.streaming import Streaming, StreamingError


def sinusoid(steps, width, max_wavelength=10_000.0):
    """NumPy: p(t)_j = sin(t w_j) for even j, cos(t w_j) for odd j, with
    w_j = max_wavelength ** (-2 floor(j / 2) / width)."""
    t = np.arange(steps)[:, None]
    j = np.arange(width)[None, :]
    angles = t * max_wavelength ** (-2.0 * (j // 2) / width)
    return np.where(j % 2 == 0, np.sin(angles), np.cos(angles))


class PositionEncodingTest(testing.TestCase):
    def test_layer_harness_sinusoidal(self):
        self.run_layer_test(
            PositionEncoding, init_kwargs={"positions": 0}, input_shape=(2, 5, 8),
            expected_output_shape=(2, 5, 8), expected_num_trainable_weights=0,
            run_training_check=False, supports_masking=True)

    def test_layer_harness_learned(self):
        self.run_layer_test(
            PositionEncoding, init_kwargs={"positions": 6}, input_shape=(2, 5, 8),
            expected_output_shape=(2, 5, 8), expected_num_trainable_weights=1,
            supports_masking=True)

    def test_sinusoid_matches_numpy(self):
        x = np.random.default_rng(0).normal(size=(2, 7, 6)).astype("float32")
        out = np.asarray(PositionEncoding()(x))
        np.testing.assert_allclose(out - x, np.broadcast_to(sinusoid(7, 6), x.shape),
                                   atol=1e-5)

    def test_learned_embedding_refuses_a_longer_sequence_naming_the_field(self):
        layer = PositionEncoding(4)
        layer(np.zeros((1, 4, 2), "float32"))
        with pytest.raises(Exception, match=r"longer than positions=4 .*--set positions=N"):
            layer(np.zeros((1, 5, 2), "float32"))

    def test_config_round_trips(self):
        layer = PositionEncoding(9, field="max_steps")
        again = PositionEncoding.from_config(layer.get_config())
        assert (again.positions, again.field) == (9, "max_steps")


CASES = [("transformer", "rnn_first", 0), ("transformer", "rnn_first", 12),
         ("hybrid", "rnn_first", 0), ("hybrid", "attention_first", 0)]


def _model(encoder, order, positions, causal=False, bidirectional=False):
    config = SequenceEncoderConfig(encoder=encoder, hybrid_order=order, units=8, layers=2,
                                   heads=2, positions=positions, bidirectional=bidirectional)
    ids = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(20, 6, mask_zero=True)(ids)
    keras.utils.set_random_seed(1)
    steps = sequence_encoder(x, config, return_sequences=True, causal=causal, seed=1)
    pooled = sequence_encoder(x, config, causal=causal, seed=2, name="pooled")
    return keras.Model(ids, [steps, pooled])


@pytest.mark.parametrize("encoder,order,positions", CASES)
def test_a_padded_batch_gives_the_unpadded_outputs(encoder, order, positions):
    model = _model(encoder, order, positions, bidirectional=encoder == "hybrid")
    short, padded = np.array([[3, 4, 5]]), np.array([[3, 4, 5, 0, 0, 0]])
    steps, pooled = model.predict(short, verbose=0)
    steps_padded, pooled_padded = model.predict(padded, verbose=0)
    np.testing.assert_allclose(steps_padded[:, :3], steps, atol=1e-5)
    np.testing.assert_allclose(pooled_padded, pooled, atol=1e-5)


@pytest.mark.parametrize("encoder,order", [("transformer", "rnn_first"),
                                           ("hybrid", "rnn_first"),
                                           ("hybrid", "attention_first")])
def test_causal_encoders_never_see_the_future(encoder, order):
    model = _model(encoder, order, 0, causal=True)
    a, _ = model.predict(np.array([[3, 4, 5, 6, 7]]), verbose=0)
    b, _ = model.predict(np.array([[3, 4, 9, 9, 9]]), verbose=0)
    np.testing.assert_allclose(a[:, :2], b[:, :2], atol=1e-6)
    assert np.abs(a[:, 2:] - b[:, 2:]).max() > 1e-4  # the later steps do see the change


def test_widths_layers_and_pooling():
    config = SequenceEncoderConfig(encoder="transformer", units=16, layers=3, heads=4)
    inputs = keras.Input((None, 5))
    h = sequence_encoder(inputs, config, return_sequences=True)
    assert tuple(h.shape) == (None, None, 16)
    names = [layer.name for layer in keras.Model(inputs, h).layers]
    assert [n for n in names if n.startswith("encoder_") and n[-1].isdigit()] == [
        "encoder_0", "encoder_1", "encoder_2"]
    assert "encoder_projection" in names and "encoder_positions" in names
    hybrid = SequenceEncoderConfig(encoder="hybrid", units=6, heads=3, bidirectional=True)
    inputs = keras.Input((None, 5))
    pooled = sequence_encoder(inputs, hybrid)
    assert tuple(pooled.shape) == (None, 12)  # the bidirectional stack's width
    model = keras.Model(inputs, pooled)
    names = [layer.name for layer in model.layers]
    assert "encoder_attention_0" in names and "encoder_mean" in names
    assert not any("positions" in n for n in names)  # the recurrence gives order


def test_the_model_saves_and_loads(tmp_path):
    model = _model("transformer", "rnn_first", 12)
    x = np.array([[3, 4, 5, 0]])
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras")
    for a, b in zip(model.predict(x, verbose=0), again.predict(x, verbose=0)):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_a_learned_embedding_refuses_longer_inputs_in_a_model():
    model = _model("transformer", "rnn_first", 4)
    model.predict(np.ones((1, 4), "int32"), verbose=0)
    with pytest.raises(Exception, match="positions=4"):
        model.predict(np.ones((1, 5), "int32"), verbose=0)
    config = SequenceEncoderConfig(encoder="transformer", units=8, heads=2, positions=4)
    with pytest.raises(ConfigError, match="longer than the learned position embedding's "
                                          "positions=4; set --set positions=9"):
        sequence_encoder(keras.Input((9, 3)), config)


def test_attention_does_not_stream():
    config = SequenceEncoderConfig(encoder="transformer", units=8, heads=2)
    inputs = keras.Input((None, 3))
    model = keras.Model(inputs, sequence_encoder(inputs, config, return_sequences=True,
                                                 causal=True))
    with pytest.raises(StreamingError, match="encoder_positions"):
        Streaming(model)


@pytest.mark.parametrize("fields,message", [
    ({"encoder": "attention"}, "unknown encoder 'attention'; use one of rnn, transformer, "
                               "hybrid"),
    ({"encoder": "hybrid", "hybrid_order": "both"}, "unknown hybrid_order 'both'; use one of "
                                                    "rnn_first, attention_first"),
    ({"encoder": "transformer", "units": 10, "heads": 4},
     r"heads=4 does not divide the attention width 10 \(units\); set heads to one of 1, 2, "
     "5, 10"),
    ({"encoder": "hybrid", "units": 5, "heads": 4, "bidirectional": True},
     r"attention width 10 \(2 \* units\)"),
    ({"encoder": "transformer", "positions": -1}, "positions"),
])
def test_bad_fields_get_one_line(fields, message):
    with pytest.raises(ConfigError, match=message):
        SequenceEncoderConfig(**fields)


def test_a_recurrent_config_ignores_the_attention_fields():
    # heads that divide nothing are fine while no attention is built
    SequenceEncoderConfig(encoder="rnn", units=10, heads=3)
