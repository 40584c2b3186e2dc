import dataclasses
import json

import pytest

from seqsuite.shared.errors import ConfigError
from seqsuite.shared.run.config import (
    build_config,
    load_config,
    parse_overrides,
    save_config,
    with_learned,
)
from seqsuite.suites.forecasting.config import PRESETS, Config


def test_presets_and_typed_overrides(tmp_path):
    (tmp_path / "s.csv").write_text("time,value,a,b\n1,2,3,4\n")
    c = build_config(Config, PRESETS, "smoke", {"units": "12", "learning_rate": "3e-3",
                                                 "bidirectional": "true", "clip_norm": "none",
                                                 "features": "a,b",
                                                 "data": str(tmp_path / "s.csv")})
    assert (c.units, c.learning_rate, c.bidirectional, c.clip_norm) == (12, 3e-3, True, None)
    assert c.features == ["a", "b"] and c.n_features == 3
    assert c.epochs == PRESETS["smoke"]["epochs"]


def test_series_defaults_are_resolved():
    assert build_config(Config, PRESETS, "smoke", {}).window == 104
    c = build_config(Config, PRESETS, "smoke", {"data": "sunspots"})
    assert (c.window, c.horizon, c.season) == (24, 4, 11)
    assert build_config(Config, PRESETS, "smoke", {"data": "sunspots", "window": "9"}).window == 9


@pytest.mark.parametrize("overrides, message", [
    ({"unitz": "3"}, "unknown config key 'unitz'.*did you mean 'units'"),
    ({"units": "many"}, "config key 'units' expects int, got 'many'"),
    ({"bidirectional": "maybe"}, "expects bool"),
    ({"optimizer": "lbfgs"}, "unknown optimizer 'lbfgs'"),
    ({"cell": "transformer"}, "unknown cell 'transformer'"),
    ({"zoneout_h": "1.5"}, r"zoneout_h must be in \[0, 1\)"),
    ({"cell": "zoneout_lstm"}, "needs a zoneout rate"),
    ({"clip_norm": "1", "clip_value": "1"}, "not both"),
    ({"window": "0"}, "window must be >= 1"),
])
def test_bad_values_raise_one_line(overrides, message):
    with pytest.raises(ConfigError, match=message) as info:
        build_config(Config, PRESETS, "smoke", overrides)
    assert "\n" not in str(info.value)


def test_unknown_preset_and_malformed_override():
    with pytest.raises(ConfigError, match="unknown preset 'fast'; use one of smoke, quick, full"):
        build_config(Config, PRESETS, "fast", {})
    with pytest.raises(ConfigError, match="not key=value"):
        parse_overrides(["units"])


def test_json_round_trip(tmp_path):
    (tmp_path / "s.csv").write_text("time,value,x\n1,2,3\n")
    c = build_config(Config, PRESETS, "quick", {"features": "x", "clip_norm": "2",
                                                "data": str(tmp_path / "s.csv")})
    save_config(c, tmp_path)
    assert load_config(Config, tmp_path) == c
    assert dataclasses.asdict(c)["features"] == ["x"]


def test_learned_fields_are_kept_apart_and_cannot_be_set(tmp_path):
    from seqsuite.suites.reservoir.config import PRESETS as R_PRESETS
    from seqsuite.suites.reservoir.config import Config as RConfig

    with pytest.raises(ConfigError, match="'input_mean' is learned from the training data"):
        build_config(RConfig, R_PRESETS, "smoke", {"input_mean": "1"})
    c = with_learned(build_config(RConfig, R_PRESETS, "smoke", {}),
                     {"input_mean": [1.0], "input_std": [2.0], "target_mean": [1.0],
                      "target_std": [2.0]})
    save_config(c, tmp_path)
    assert "input_mean" not in json.loads((tmp_path / "config.json").read_text())
    assert json.loads((tmp_path / "learned.json").read_text())["input_std"] == [2.0]
    assert load_config(RConfig, tmp_path) == c


def test_data_paths_are_recorded_absolute_and_only_data_fields_reopen(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.csv").write_text("value\n1\n2\n")
    c = build_config(Config, PRESETS, "smoke", {"data": "s.csv"})
    assert c.data == str(tmp_path / "s.csv")
    with pytest.raises(ConfigError, match="data=missing.csv: file not found"):
        build_config(Config, PRESETS, "smoke", {"data": "missing.csv"})
    save_config(c, tmp_path)
    with pytest.raises(ConfigError, match="'units' is a model setting"):
        load_config(Config, tmp_path, {"units": "4"})
    assert load_config(Config, tmp_path, {"data": "sunspots"}).data == "sunspots"
