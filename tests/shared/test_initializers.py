import keras
import numpy as np
import pytest

from seqsuite import registry
from seqsuite.shared.errors import ConfigError
from seqsuite.shared.layers.encoders import make_cell, recurrent_initialisation, recurrent_stack
from seqsuite.shared.layers.initializers import ChronoForgetBias, RecurrentIdentity
from seqsuite.shared.run import runner
from seqsuite.shared.run.config import TrainConfig

UNITS = 3


def _round_trip(initializer):
    return keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(initializer))


def test_recurrent_identity_fills_every_gate_block():
    matrix = RecurrentIdentity(0.5)((UNITS, 4 * UNITS)).numpy()
    np.testing.assert_array_equal(matrix, np.tile(0.5 * np.eye(UNITS), (1, 4)))
    assert _round_trip(RecurrentIdentity(0.5)).gain == 0.5
    with pytest.raises(ValueError, match=r"shape \(units, k \* units\)"):
        RecurrentIdentity()((3, 5))


def test_chrono_bias_spreads_forget_gates_up_to_t_max():
    bias = ChronoForgetBias(100, seed=0)((4 * 50,)).numpy()
    b_i, b_f, b_c, b_o = np.split(bias, 4)
    np.testing.assert_array_equal(b_i, -b_f)
    assert np.all(b_f >= 0) and np.all(b_f <= np.log(99)) and b_f.std() > 0.3
    np.testing.assert_array_equal(np.concatenate([b_c, b_o]), 0)
    restored = _round_trip(ChronoForgetBias(100, seed=0))
    np.testing.assert_array_equal(restored((4 * 50,)).numpy(), bias)
    with pytest.raises(ValueError, match="max_steps"):
        ChronoForgetBias(1)


@pytest.mark.parametrize("cell", ["simple", "layernorm_simple"])
def test_identity_makes_simple_cells_irnns(cell):
    rc = make_cell(cell, UNITS, recurrent_init="identity", recurrent_gain=0.9)
    rc.build((None, 2))
    assert rc.activation is keras.activations.relu
    np.testing.assert_allclose(rc.recurrent_kernel.numpy(), 0.9 * np.eye(UNITS))
    assert make_cell(cell, UNITS).activation is keras.activations.tanh


@pytest.mark.parametrize("cell", ["lstm", "zoneout_lstm", "layernorm_lstm", "peephole_lstm"])
@pytest.mark.parametrize("forget_bias, expected_forget", [("unit", 1.0), ("zero", 0.0)])
def test_forget_bias_of_every_lstm_type_cell(cell, forget_bias, expected_forget):
    zoneout = {"zoneout_h": 0.1} if cell == "zoneout_lstm" else {}
    rc = make_cell(cell, UNITS, forget_bias=forget_bias, **zoneout)
    layer = keras.layers.RNN(rc)
    layer(np.zeros((1, 2, 2), "float32"))
    bias = next(w for w in layer.weights if w.name == "bias").numpy()
    np.testing.assert_array_equal(bias[UNITS:2 * UNITS], expected_forget)
    np.testing.assert_array_equal(np.delete(bias, np.s_[UNITS:2 * UNITS]), 0.0)


def test_glorot_gain_scales_the_spread():
    plain = make_cell("gru", 64, recurrent_init="glorot")
    loud = make_cell("gru", 64, recurrent_init="glorot", recurrent_gain=3.0)
    for rc in (plain, loud):
        rc.build((None, 1))
    ratio = loud.recurrent_kernel.numpy().std() / plain.recurrent_kernel.numpy().std()
    assert ratio == pytest.approx(3.0, rel=0.1)


def test_scope_reaches_fused_lstm_and_chrono_takes_the_input_length():
    config = TrainConfig(recurrent_init="identity", forget_bias="chrono")
    with recurrent_initialisation(config):
        x = keras.Input((40, 2))
        model = keras.Model(x, recurrent_stack(x, cell="lstm", units=UNITS, layers=2))
    for layer in model.layers[1:]:
        assert isinstance(layer, keras.layers.LSTM)
        np.testing.assert_array_equal(layer.cell.recurrent_kernel.numpy(),
                                      np.tile(np.eye(UNITS), (1, 4)))
        b_f = layer.cell.bias.numpy()[UNITS:2 * UNITS]
        assert np.all(b_f <= np.log(39)) and np.all(b_f >= 0)
        assert layer.cell.bias_initializer.max_steps == 40
    # Outside the scope, the defaults again: orthogonal, unit forget bias.
    rc = make_cell("lstm", UNITS)
    assert isinstance(rc.recurrent_initializer, keras.initializers.Orthogonal) and rc.unit_forget_bias


def test_chrono_without_a_length_asks_for_chrono_max():
    x = keras.Input((None, 2))
    with recurrent_initialisation(TrainConfig(forget_bias="chrono")):
        with pytest.raises(ConfigError, match="--set chrono_max=N"):
            recurrent_stack(x, cell="peephole_lstm", units=UNITS)
    with recurrent_initialisation(TrainConfig(forget_bias="chrono", chrono_max=25)):
        model = keras.Model(x, recurrent_stack(x, cell="peephole_lstm", units=UNITS))
    assert model.layers[1].cell.bias_initializer.max_steps == 25


@pytest.mark.parametrize("overrides, message", [
    ({"recurrent_init": "he"}, "unknown recurrent_init 'he'; use one of glorot, orthogonal"),
    ({"forget_bias": "two"}, "unknown forget_bias 'two'; use one of unit, chrono, zero"),
    ({"chrono_max": 1}, "chrono_max must be >= 2"),
])
def test_bad_initialisation_settings_are_refused(overrides, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**overrides)


def test_every_suite_gets_the_initialisation_through_its_config():
    """The forecasting suite passes nothing on; the runner's scope does."""
    suite = registry.get("forecasting")
    config = runner.resolve_config(suite, "smoke", ["cell=simple", "recurrent_init=identity",
                                                    "units=4", "window=8"])
    _, _, model = runner.prepare(suite, config)
    (layer,) = [lr for lr in model.layers if isinstance(lr, keras.layers.RNN)]
    assert layer.cell.activation is keras.activations.relu
    np.testing.assert_array_equal(layer.cell.recurrent_kernel.numpy(), np.eye(4))
