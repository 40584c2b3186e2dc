"""Run configuration: one dataclass per suite, presets, and `key=value` overrides.

Every suite's `Config` subclasses `TrainConfig`, so the runner's settings
(optimizer, clipping, early stopping, ...) are spelt the same everywhere. As in
nanoGPT, overrides given as `key=value` strings are type-checked against the
dataclass's declared field types, and the resolved config is saved as
`config.json` beside the model it produced.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import types
import typing
from pathlib import Path
from typing import Any

from shared.errors import ConfigError

OPTIMIZERS = ("sgd", "momentum", "adagrad", "adadelta", "rmsprop", "adam", "adamw")


@dataclasses.dataclass
class TrainConfig:
    """Settings the shared runner reads; suites add their own fields."""

    seed: int = 0  # one seed for data splits, initialisers, dropout and zoneout
    epochs: int = 30  # upper bound; early stopping usually ends sooner
    batch_size: int = 32
    optimizer: str = "adam"  # one of OPTIMIZERS
    learning_rate: float = 1e-3
    weight_decay: float = 0.0  # decoupled weight decay (AdamW-style) for any optimizer
    clip_norm: float | None = None  # clip the global gradient norm to this value
    clip_value: float | None = None  # clip each gradient element to [-v, v]
    patience: int = 5  # epochs without val_loss improvement before stopping; 0 disables
    verbose: int = 1  # Keras progress bars: 0 silent, 1 bar, 2 one line per epoch

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(
                f"unknown optimizer '{self.optimizer}'; use one of {', '.join(OPTIMIZERS)}"
            )
        require_positive(self, ("epochs", "batch_size"))
        if self.learning_rate <= 0:
            raise ConfigError(f"learning_rate must be > 0, got {self.learning_rate}")
        if self.clip_norm is not None and self.clip_value is not None:
            raise ConfigError("set clip_norm or clip_value, not both")
        for name in ("clip_norm", "clip_value"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ConfigError(f"{name} must be > 0 (or none), got {value}")


def require_positive(config, keys) -> None:
    """Raise ConfigError naming the first of `keys` whose value is below 1."""
    for key in keys:
        if getattr(config, key) < 1:
            raise ConfigError(f"{key} must be >= 1, got {getattr(config, key)}")


def require_split_fractions(config) -> None:
    """`val_fraction` and `test_fraction` each in (0, 1), leaving some data for training."""
    val, test = config.val_fraction, config.test_fraction
    if not (0 < val < 1 and 0 < test < 1 and val + test < 1):
        raise ConfigError("val_fraction and test_fraction must be in (0, 1) and sum below 1, "
                          f"got {val} and {test}")


def _field_types(cls) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _type_name(tp) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _coerce(key: str, raw: Any, tp) -> Any:
    """Convert `raw` (a string from the command line, or a JSON value) to `tp`."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(tp)
        if type(None) in options and (raw is None or str(raw).lower() in ("none", "null")):
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _coerce(key, raw, option)
            except ConfigError as err:
                errors.append(err)
        raise errors[0]
    if origin in (list, tuple):
        (item_tp, *_) = typing.get_args(tp) or (str,)
        if isinstance(raw, str):
            text = raw.strip()
            if text.startswith("["):
                try:
                    items = json.loads(text)
                except json.JSONDecodeError as err:
                    raise ConfigError(f"config key '{key}' expects a list, got '{raw}'") from err
            else:
                items = [part for part in text.split(",") if part.strip()]
        else:
            items = list(raw)
        return [_coerce(key, item, item_tp) for item in items]
    if tp is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("true", "1", "yes", "on"):
            return True
        if text in ("false", "0", "no", "off"):
            return False
    elif tp is int:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        try:
            return int(str(raw).strip())
        except ValueError:
            pass
    elif tp is float:
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return float(raw)
        try:
            return float(str(raw).strip())
        except ValueError:
            pass
    elif tp is str:
        return str(raw)
    raise ConfigError(
        f"config key '{key}' expects {_type_name(tp)}, got '{raw}'; "
        f"pass e.g. --set {key}={_example(tp)}"
    )


def _example(tp) -> str:
    return {int: "3", float: "0.5", bool: "true", str: "text"}.get(tp, "...")


def parse_overrides(items: list[str]) -> dict[str, str]:
    """Split `["a=1", "b=x"]` into a dict, refusing items without '='."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"override '{item}' is not key=value; write e.g. --set units=64")
        out[key.strip()] = value
    return out


def build_config(cls, presets: dict[str, dict], preset: str, overrides: dict[str, Any]):
    """Return `cls` filled from `presets[preset]` and then `overrides`, type-checked."""
    if preset not in presets:
        raise ConfigError(f"unknown preset '{preset}'; use one of {', '.join(presets)}")
    types_ = _field_types(cls)
    values = dict(presets[preset])
    for key, raw in overrides.items():
        if key not in types_:
            close = difflib.get_close_matches(key, types_, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(types_)}"
            raise ConfigError(f"unknown config key '{key}' for {cls.__module__}; {hint}")
        values[key] = _coerce(key, raw, types_[key])
    return cls(**values)


def config_to_dict(config) -> dict[str, Any]:
    return dataclasses.asdict(config)


def save_config(config, path: Path) -> None:
    Path(path).write_text(json.dumps(config_to_dict(config), indent=2) + "\n")


def load_config(cls, path: Path):
    """Read a `config.json` written by `save_config`, checking every value's type."""
    try:
        values = json.loads(Path(path).read_text())
    except FileNotFoundError as err:
        raise ConfigError(f"{path} not found; is this a finished seqsuite run directory?") from err
    types_ = _field_types(cls)
    unknown = sorted(set(values) - set(types_))
    if unknown:
        raise ConfigError(f"{path} has keys this version does not know: {', '.join(unknown)}")
    return cls(**{k: _coerce(k, v, types_[k]) for k, v in values.items()})
