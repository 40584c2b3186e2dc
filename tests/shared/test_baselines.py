"""Baselines: every suite's keep the protocol, and the runner fits, saves and loads them."""

import inspect
import json
import re

import pytest

from seqsuite import registry
from seqsuite.shared.errors import ConfigError
from seqsuite.shared.run.baselines import FOLDER, Baseline, fit_and_save, load_all


@pytest.mark.parametrize("name", registry.names())
def test_every_suite_baseline_keeps_the_protocol(name):
    suite = registry.get(name)
    found = suite.baselines(registry.resolve_config(name, "smoke"))
    names = [b.name for b in found]
    assert len(set(names)) == len(names), names
    for baseline in found:
        assert isinstance(baseline, Baseline), baseline
        cls = type(baseline)
        # a class attribute naming a folder, and `load` callable before anything is fitted
        assert isinstance(inspect.getattr_static(cls, "name"), str)
        assert re.fullmatch(r"[a-z0-9_]+", baseline.name), baseline.name
        assert isinstance(inspect.getattr_static(cls, "load"), classmethod), cls


def test_a_config_can_turn_baselines_off():
    forecasting = registry.get("forecasting")
    assert forecasting.baselines(registry.resolve_config("forecasting", "smoke",
                                                         ["baselines="])) == []
    reservoir = registry.get("reservoir")
    assert reservoir.baselines(registry.resolve_config("reservoir", "smoke",
                                                       ["compare_lstm=false"])) == []


class Mean:
    """A baseline that learns one number: the mean of its training data."""

    name = "mean"

    def __init__(self, value=None):
        self.value = value

    def fit(self, data, config):
        self.value = sum(data["train"]) / len(data["train"])

    def save(self, directory):
        (directory / "mean.json").write_text(json.dumps(self.value))

    @classmethod
    def load(cls, directory):
        return cls(json.loads((directory / "mean.json").read_text()))

    def score(self, data, config):
        return {self.name: {"mae": sum(abs(y - self.value) for y in data["test"])
                            / len(data["test"])}}


def test_fit_and_save_then_load_all(tmp_path):
    assert isinstance(Mean(), Baseline)
    data = {"train": [1.0, 2.0, 3.0], "test": [2.0, 4.0]}
    (tmp_path / FOLDER / "stale").mkdir(parents=True)  # left by an interrupted attempt
    fit_and_save([Mean()], data, None, tmp_path)
    assert sorted(p.name for p in (tmp_path / FOLDER).iterdir()) == [".seqsuite", "mean"]
    loaded = load_all([Mean()], tmp_path)
    assert list(loaded) == ["mean"] and loaded["mean"].value == 2.0
    assert loaded["mean"].score(data, None) == {"mean": {"mae": 1.0}}
    assert load_all([], tmp_path) == {}


def test_a_missing_baseline_is_a_damaged_run(tmp_path):
    fit_and_save([], {}, None, tmp_path)
    with pytest.raises(ConfigError, match="baselines/mean is missing: the run directory is "
                                          "damaged"):
        load_all([Mean()], tmp_path)
