import keras
import numpy as np
import pytest

from seqsuite import registry
from seqsuite.shared.errors import ConfigError
from seqsuite.shared.layers.cells import ZoneoutCell
from seqsuite.shared.layers.encoders import (
    make_cell,
    recurrent_cell,
    recurrent_encoder,
    recurrent_stack,
)
from seqsuite.shared.layers.options import CELLS, CellConfig, EncoderConfig
from seqsuite.shared.run.runner import resolve_config


@pytest.mark.slow
@pytest.mark.parametrize("cell", CELLS)
def test_every_cell_trains_in_the_forecaster(cell, tmp_path):
    suite = registry.get("forecasting")
    overrides = [f"cell={cell}", "units=4", "window=6", "horizon=2", "layers=2",
                 "bidirectional=true", "dropout=0.1"]
    if cell == "zoneout_lstm":
        overrides += ["zoneout_h=0.1", "zoneout_c=0.05"]
    config = resolve_config(suite, "smoke", overrides)
    model = suite.build_model(config)
    x = {"window": np.random.default_rng(0).normal(size=(8, 6)).astype("float32")}
    x["window"][:2, :3] = np.nan  # short histories: padded steps are masked
    # Eager throughout: one training step on eight windows is cheaper run than traced.
    model.run_eagerly = True
    before = keras.ops.convert_to_numpy(model(x, training=False))
    model.fit(x, np.zeros((8, 2), "float32"), epochs=1, verbose=0)
    after = keras.ops.convert_to_numpy(model(x, training=False))
    assert before.shape == (8, 1, 2, 5)  # (batch, members, horizon, quantiles)
    assert np.all(np.isfinite(after))
    assert not np.allclose(before, after)
    model.save(tmp_path / "m.keras")
    reloaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(reloaded(x, training=False)), after,
                               rtol=1e-5, atol=1e-6)


def test_zoneout_rates_follow_the_state_count():
    assert make_cell("gru", 3, zoneout_h=0.2).rate == [0.2]
    lstm = make_cell("peephole_lstm", 3, zoneout_h=0.2, zoneout_c=0.1)
    assert isinstance(lstm, ZoneoutCell) and lstm.rate == [0.2, 0.1]
    assert not isinstance(make_cell("lstm", 3), ZoneoutCell)


def test_stack_shapes():
    x = keras.Input((5, 2))
    assert recurrent_stack(x, cell="gru", units=3, layers=2).shape == (None, 3)
    assert recurrent_stack(x, cell="simple", units=3, bidirectional=True,
                           return_sequences=True).shape == (None, 5, 6)


def test_a_config_passes_whole_and_options_win():
    x = keras.Input((5, 2))
    config = EncoderConfig(cell="gru", units=3, layers=2, bidirectional=True, dropout=0.1)
    h = recurrent_encoder(x, config, return_sequences=True, name="enc")
    assert h.shape == (None, 5, 6)  # (batch, time, 2 * units)
    assert recurrent_encoder(x, config, units=4, bidirectional=False).shape == (None, 4)
    cell = recurrent_cell(CellConfig(cell="lstm", zoneout_h=0.2), units=5, seed=1)
    assert isinstance(cell, ZoneoutCell) and cell.rate == [0.2, 0.0]
    assert cell.cell.units == 5


def test_the_awd_regularisers_reach_every_layer_of_the_stack():
    from seqsuite.shared.layers.regularisers import LockedDropout, WeightDropRNN

    x = keras.Input((5, 2))
    config = EncoderConfig(cell="layernorm_lstm", units=3, layers=2, dropout=0.2,
                           locked_dropout=True, weight_drop=0.3)
    model = keras.Model(x, recurrent_encoder(x, config, seed=0, return_sequences=True))
    kinds = [type(layer) for layer in model.layers]
    assert kinds.count(WeightDropRNN) == 2 and kinds.count(LockedDropout) == 1
    assert all(layer.weight_drop == 0.3 for layer in model.layers
               if isinstance(layer, WeightDropRNN))
    with pytest.raises(ConfigError, match="weight_drop must be"):
        EncoderConfig(weight_drop=1.5)
