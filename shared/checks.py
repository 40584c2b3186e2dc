"""Range checks of numbers, written once for configs and for layer arguments.

`require_choice(name, value, choices)` refuses a name that is not one of a setting's
choices. For numbers, one rule, `in_range`, and two wordings of its failure:

- `require_range(name, value, ...)`: a setting the user gave (`--set`, a
  preset, a config's `__post_init__`) raises `ConfigError`,
  `"dropout must be in [0, 1), got 1.5"`;
- `check_argument(name, value, ...)`: an argument of a layer or library
  function raises `ValueError` in Keras's wording,
  ``"Argument `units` must be a positive integer. Received: units=0"``.

A range is `low` and `high` (either may be None), each end closed unless
`low_open` / `high_open`:

    value in [low, high]          the default
    value in (low, high]          low_open=True
    value in [low, high)          high_open=True

A value is in range only if it is a finite real number (not a bool, not NaN
or infinity) and, with `integer=True`, an integer.

This module imports nothing heavy: config files use it before TensorFlow loads.
"""

from __future__ import annotations

import math
import numbers

from seqsuite.shared.errors import ConfigError


def in_range(value, low=None, high=None, *, low_open=False, high_open=False,
             integer=False) -> bool:
    """Whether `value` is a finite real (an integer with `integer`) in the range."""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind) or not math.isfinite(value):
        return False
    if low is not None and (value <= low if low_open else value < low):
        return False
    return bool(high is None or (value < high if high_open else value <= high))


def range_text(low=None, high=None, *, low_open=False, high_open=False) -> str:
    """The range in words: `"in [0, 1)"`, `">= 1"`, `"> 0"`, `"<= 4"`."""
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    if low is not None:
        return f"{'>' if low_open else '>='} {low}"
    if high is not None:
        return f"{'<' if high_open else '<='} {high}"
    return "a finite number"


def require_choice(name: str, value, choices) -> None:
    """ConfigError `"unknown {name} '{value}'; use one of a, b, c"` unless `value` is one
    of `choices`."""
    if value not in choices:
        raise ConfigError(f"unknown {name} '{value}'; use one of {', '.join(choices)}")


def require_range(name: str, value, low=None, high=None, *, low_open=False,
                  high_open=False) -> None:
    """ConfigError `"{name} must be {range}, got {value}"` unless `value` is in range."""
    if not in_range(value, low, high, low_open=low_open, high_open=high_open):
        bounds = range_text(low, high, low_open=low_open, high_open=high_open)
        raise ConfigError(f"{name} must be {bounds}, got {value}")


def _argument_kind(low, high, low_open, high_open, integer) -> str:
    """`"a positive integer"`, `"a non-negative float"`, `"a float in (0, 1]"`, ..."""
    noun = "integer" if integer else "float"
    if high is None and low == 0:
        return f"a {'positive' if low_open else 'non-negative'} {noun}"
    if high is None and low == 1 and integer and not low_open:
        return "a positive integer"
    if low is None and high is None:
        return f"a finite {noun}"
    return f"a {noun} {range_text(low, high, low_open=low_open, high_open=high_open)}"


def check_argument(name: str, value, low=None, high=None, *, low_open=False, high_open=False,
                   integer=False, kind: str | None = None) -> None:
    """ValueError in Keras's wording unless `value` is in range.

    `kind` replaces the generated description (`"a fraction in (0, 1]"`).
    """
    if in_range(value, low, high, low_open=low_open, high_open=high_open, integer=integer):
        return
    kind = kind or _argument_kind(low, high, low_open, high_open, integer)
    raise ValueError(f"Argument `{name}` must be {kind}. Received: {name}={value!r}")
