import dataclasses
import json

import pytest

from seqsuite import registry
from seqsuite.shared.errors import ConfigError
from seqsuite.shared.layers.options import CellConfig, EncoderConfig, SequenceEncoderConfig
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


# The suites whose model is built around `recurrent_stack` or `sequence_encoder`
# (translation's recurrent encoder is one layer whose states start the decoder; its
# `layers` and dropout are the Transformer's, refused for encoder=rnn).
ENCODER_SUITES = ("anomaly", "classification", "forecasting", "language_model", "memory", "sentiment",
                  "speech", "tagging", "translation", "vision")
# The suites that take encoder=rnn|transformer|hybrid (issue 25).
ATTENTION_SUITES = ("classification", "forecasting", "language_model", "sentiment", "speech",
                    "tagging", "translation", "vision")


@pytest.mark.parametrize("name", registry.names())
def test_suites_take_the_encoder_fields_from_the_mixins(name):
    cls, _ = registry.config_class(name)
    names = {f.name for f in dataclasses.fields(cls)}
    assert issubclass(cls, EncoderConfig) == (name in ENCODER_SUITES)
    assert issubclass(cls, SequenceEncoderConfig) == (name in ATTENTION_SUITES)
    # A suite that redeclared the fields by hand would pass without the mixin's checks.
    if {"cell", "zoneout_h"} <= names:
        assert issubclass(cls, CellConfig)
    if {"cell", "layers"} <= names:
        assert issubclass(cls, EncoderConfig)


@pytest.mark.parametrize("name", ENCODER_SUITES)
@pytest.mark.parametrize("key, value, message", [
    ("units", "0", "^units must be >= 1, got 0$"),
    ("layers", "0", "^layers must be >= 1, got 0$"),
    ("dropout", "1.5", r"^dropout must be in \[0, 1\), got 1.5$"),
    ("zoneout_c", "-0.1", r"^zoneout_c must be in \[0, 1\), got -0.1$"),
    ("cell", "tcn", "^unknown cell 'tcn'; use one of lstm, gru, "),
])
def test_a_bad_encoder_field_is_named(name, key, value, message):
    with pytest.raises(ConfigError, match=message):
        registry.resolve_config(name, "smoke", {key: value})


def test_the_mixins_check_on_their_own_and_keep_saved_configs_flat(tmp_path):
    assert EncoderConfig().layers == 1 and CellConfig(cell="gru").units == 64
    with pytest.raises(ConfigError, match="^units must be >= 1, got 0$"):
        EncoderConfig(units=0)
    with pytest.raises(ConfigError, match="needs a zoneout rate"):
        CellConfig(cell="zoneout_lstm")
    config = registry.resolve_config("speech", "smoke", {"bidirectional": "false"})
    save_config(config, tmp_path)
    saved = json.loads((tmp_path / "config.json").read_text())
    smoke = registry.config_class("speech")[1]["smoke"]
    assert (saved["units"], saved["bidirectional"], saved["num_mel_bins"]) == \
        (smoke["units"], False, smoke["num_mel_bins"])
    # A run saved before a suite had a field (speech was always bidirectional) loads
    # with the field's default.
    del saved["bidirectional"]
    (tmp_path / "config.json").write_text(json.dumps(saved))
    assert load_config(type(config), tmp_path).bidirectional is True


@pytest.mark.parametrize("name", ["language_model", "memory"])
def test_one_way_suites_refuse_bidirectional(name):
    with pytest.raises(ConfigError, match="^bidirectional=true: "):
        registry.resolve_config(name, "smoke", {"bidirectional": "true"})


def test_a_dict_field_takes_a_json_object_and_round_trips(tmp_path):
    from seqsuite.suites.sentiment.config import PRESETS as S_PRESETS
    from seqsuite.suites.sentiment.config import Config as SConfig

    settings = {"C": 3.0, "val_accuracy": 0.8, "ngrams": 120}
    c = with_learned(build_config(SConfig, S_PRESETS, "smoke", {}),
                     {"ngram_path": settings, "fusion": [0.5, 1.0], "vocab_size": 10})
    save_config(c, tmp_path)
    assert load_config(SConfig, tmp_path).ngram_path == settings
    from seqsuite.shared.run.config import _coerce

    assert _coerce("k", '{"a": 1}', dict | None) == {"a": 1}
    with pytest.raises(ConfigError, match="config key 'k' expects dict, got '3'"):
        _coerce("k", "3", dict)
