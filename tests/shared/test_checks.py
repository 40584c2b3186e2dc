"""shared.checks: one range rule, worded for configs and for layer arguments."""

import numpy as np
import pytest

from seqsuite.shared.checks import check_argument, in_range, range_text, require_range
from seqsuite.shared.errors import ConfigError


@pytest.mark.parametrize("value, bounds, expected", [
    (0.0, {"low": 0, "high": 1, "high_open": True}, True),
    (1.0, {"low": 0, "high": 1, "high_open": True}, False),
    (0.0, {"low": 0, "high": 1, "low_open": True}, False),
    (1, {"low": 0, "high": 1, "low_open": True}, True),
    (np.float32(0.5), {"low": 0, "high": 1}, True),
    (np.int64(3), {"low": 1, "integer": True}, True),
    (2.0, {"low": 1, "integer": True}, False),  # a float is not an integer argument
    (True, {"low": 0}, False),  # nor is a bool a number
    (float("nan"), {"low": 0}, False),
    (float("inf"), {"low": 0}, False),
    ("1", {"low": 0}, False),
    (None, {}, False),
])
def test_in_range(value, bounds, expected):
    assert in_range(value, **bounds) is expected


def test_range_text():
    assert range_text(0, 1, high_open=True) == "in [0, 1)"
    assert range_text(0, 1, low_open=True) == "in (0, 1]"
    assert range_text(low=1) == ">= 1"
    assert range_text(low=0, low_open=True) == "> 0"


def test_require_range_is_a_config_error():
    require_range("dropout", 0.5, 0, 1, high_open=True)
    with pytest.raises(ConfigError, match=r"^dropout must be in \[0, 1\), got 1.0$"):
        require_range("dropout", 1.0, 0, 1, high_open=True)
    with pytest.raises(ConfigError, match="^warmup must be >= 0, got -1$"):
        require_range("warmup", -1, low=0)


@pytest.mark.parametrize("value, bounds, message", [
    (0, {"low": 1, "integer": True}, "`units` must be a positive integer. Received: units=0"),
    (2.5, {"low": 1, "integer": True}, "a positive integer. Received: units=2.5"),
    (-1.0, {"low": 0}, "`units` must be a non-negative float. Received: units=-1.0"),
    (0.0, {"low": 0, "low_open": True}, "must be a positive float. Received: units=0.0"),
    (1.5, {"low": 0, "high": 1, "low_open": True}, r"a float in \(0, 1\]. Received: units=1.5"),
])
def test_check_argument_speaks_keras(value, bounds, message):
    check_argument("units", 1, **bounds)
    with pytest.raises(ValueError, match=message):
        check_argument("units", value, **bounds)
    with pytest.raises(ValueError, match="must be a fraction in"):
        check_argument("rate", 2.0, 0, 1, kind="a fraction in [0, 1]")


def test_require_choice_names_the_setting_and_its_choices():
    from seqsuite.shared.checks import require_choice

    require_choice("encoder", "rnn", ("rnn", "transformer"))
    with pytest.raises(ConfigError) as caught:
        require_choice("encoder", "cnn", ("rnn", "transformer"))
    assert str(caught.value) == "unknown encoder 'cnn'; use one of rnn, transformer"
