"""Run configuration: one dataclass per suite, presets, and `key=value` overrides.

Every suite's `Config` subclasses `TrainConfig`, so the runner's settings
(optimizer, clipping, early stopping, ...) are spelt the same everywhere. As in
nanoGPT, overrides given as `key=value` strings are type-checked against the
dataclass's declared field types, and the resolved config is saved as
`config.json` beside the model it produced.

Fields come in three kinds, marked in the dataclass:
- ordinary fields: the user's intent, set by presets and `--set`;
- `data_field(...)`: where the data comes from; the only fields `seqsuite
  evaluate --set` may point elsewhere (a new test file). A value naming an
  existing file is recorded as an absolute path, so a run works from any
  directory; a value that looks like a path but names nothing is refused here,
  before TensorFlow is imported;
- `learned_field(...)`: values the training data decides (vocabulary sizes,
  tag sets, scaling statistics). `--set` refuses them; the run keeps them in
  `learned.json`, apart from the user's `config.json`.

This module imports nothing heavy: the command line validates a whole config
with it before TensorFlow loads.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import types
import typing
from pathlib import Path
from typing import Any

from seqsuite.shared.checks import require_choice, require_range
from seqsuite.shared.errors import ConfigError
from seqsuite.shared.layers.options import FORGET_BIASES, RECURRENT_INITS
from seqsuite.shared.run.files import write_text_atomic

OPTIMIZERS = ("sgd", "momentum", "adagrad", "adadelta", "rmsprop", "adam", "adamw")
SCHEDULES = ("constant", "cosine", "slanted_triangular")  # shared.run.training.WarmupSchedule
def data_field(default, **kwargs):
    """A field naming a data source (see the module docstring)."""
    return dataclasses.field(default=default, metadata={"kind": "data"}, **kwargs)


def learned_field(default=None):
    """A field the training data fills in (see the module docstring)."""
    return dataclasses.field(default=default, metadata={"kind": "learned"})


def field_names(cls, kind: str) -> list[str]:
    """Names of `cls`'s fields of `kind` ("data", "learned" or "user")."""
    return [f.name for f in dataclasses.fields(cls) if f.metadata.get("kind", "user") == kind]


@dataclasses.dataclass
class TrainConfig:
    """Settings the shared runner reads; suites add their own fields."""

    seed: int = 0  # one seed for data splits, initialisers, dropout and zoneout
    epochs: int = 30  # upper bound; early stopping usually ends sooner
    batch_size: int = 32
    optimizer: str = "adam"  # one of OPTIMIZERS
    learning_rate: float = 1e-3
    weight_decay: float = 0.0  # decoupled weight decay (AdamW-style) for any optimizer
    # The learning rate over all training steps (one of SCHEDULES): constant; linear warm-up
    # over the first `warmup_fraction` of the steps, then cosine decay to 0; or ULMFiT's slanted
    # triangle (up for the first `warmup_fraction`, 0.1 if 0, then down to learning_rate / 32)
    schedule: str = "constant"
    warmup_fraction: float = 0.0
    # Exponential moving average of the weights (e.g. 0.999; 0: none): validation, the best
    # checkpoint and the saved model use the averaged weights
    ema: float = 0.0
    # Discriminative learning rates (ULMFiT: 2.6): the layers that hold trainable weights, top
    # (output) first, each get the rate of the one above divided by layer_decay (1: one rate)
    layer_decay: float = 1.0
    # Gradual unfreezing: the top layer trains alone for this many epochs, then the next one
    # down joins, and so on (0: every layer from the start)
    unfreeze_every: int = 0
    clip_norm: float | None = None  # clip the global gradient norm to this value
    clip_value: float | None = None  # clip each gradient element to [-v, v]
    patience: int = 5  # epochs without val_loss improvement before stopping; 0 disables
    verbose: int = 1  # Keras progress bars: 0 silent, 1 bar, 2 one line per epoch
    # Gradient norms (global, per layer) and how often clipping acted, per epoch, in
    # history.csv and TensorBoard; per step in gradients.csv (shared.evaluation.diagnostics).
    log_gradients: bool = False
    recurrent_init: str = "orthogonal"  # recurrent kernels: one of RECURRENT_INITS
    forget_bias: str = "unit"  # LSTM-type cells: one of FORGET_BIASES
    chrono_max: int | None = None  # chrono: longest dependency in steps (None: input length)
    # "tfds:" data loads only when already prepared; true lets TFDS download it.
    download: bool = data_field(False)

    def __post_init__(self):
        require_choice("optimizer", self.optimizer, OPTIMIZERS)
        require_positive(self, ("epochs", "batch_size"))
        require_range("learning_rate", self.learning_rate, low=0, low_open=True)
        if self.schedule not in SCHEDULES:
            raise ConfigError(f"unknown schedule '{self.schedule}'; use one of "
                              f"{', '.join(SCHEDULES)}")
        require_range("warmup_fraction", self.warmup_fraction, 0, 1, high_open=True)
        require_range("ema", self.ema, 0, 1, high_open=True)
        require_range("layer_decay", self.layer_decay, 1)
        require_range("unfreeze_every", self.unfreeze_every, 0)
        if self.clip_norm is not None and self.clip_value is not None:
            raise ConfigError("set clip_norm or clip_value, not both")
        for name in ("clip_norm", "clip_value"):
            if getattr(self, name) is not None:
                require_range(name, getattr(self, name), low=0, low_open=True)
        require_choice("recurrent_init", self.recurrent_init, RECURRENT_INITS)
        require_choice("forget_bias", self.forget_bias, FORGET_BIASES)
        if self.chrono_max is not None and self.chrono_max < 2:
            raise ConfigError(f"chrono_max must be >= 2 (or none), got {self.chrono_max}")


def require_positive(config, keys) -> None:
    """Raise ConfigError naming the first of `keys` whose value is below 1."""
    for key in keys:
        require_range(key, getattr(config, key), low=1)


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
    if tp is dict or origin is dict:  # a JSON object (learned records, e.g. a fitted path's settings)
        if isinstance(raw, dict):
            return dict(raw)
        try:
            value = json.loads(str(raw))
        except json.JSONDecodeError:
            value = None
        if isinstance(value, dict):
            return value
    elif tp is bool:
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
    return {int: "3", float: "0.5", bool: "true", str: "text", dict: "'{\"a\": 1}'"}.get(tp, "...")


def parse_overrides(items: list[str]) -> dict[str, str]:
    """Split `["a=1", "b=x"]` into a dict, refusing items without '='."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"override '{item}' is not key=value; write e.g. --set units=64")
        out[key.strip()] = value
    return out


def _looks_like_path(value: str) -> bool:
    return os.sep in value or "/" in value or bool(Path(value).suffix)


def _resolve_data_path(key: str, value):
    """An existing path becomes absolute; a path-like value naming nothing is refused."""
    if not isinstance(value, str) or not value or value.startswith("tfds:"):
        return value
    if not _looks_like_path(value):
        return value  # a bare name: a built-in dataset, even if a file of that name is here
    path = Path(value).expanduser()
    if path.exists():
        return str(path.resolve())
    raise ConfigError(f"{key}={value}: file not found; check the path "
                      f"(relative paths are read from {Path.cwd()})")


def check_overrides(cls, overrides: dict[str, Any], allowed: str | None = None) -> dict[str, Any]:
    """Type-check `overrides` against `cls`; refuse unknown and learned keys, and
    (with `allowed="data"`) every key that is not a data field."""
    types_ = _field_types(cls)
    kinds = {f.name: f.metadata.get("kind", "user") for f in dataclasses.fields(cls)}
    values = {}
    for key, raw in overrides.items():
        if key not in types_:
            close = difflib.get_close_matches(key, types_, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(types_)}"
            raise ConfigError(f"unknown config key '{key}' for {cls.__module__}; {hint}")
        if kinds[key] == "learned":
            raise ConfigError(f"'{key}' is learned from the training data and cannot be set; "
                              "change the data or its options instead")
        if allowed and kinds[key] != allowed:
            raise ConfigError(f"'{key}' is a model setting, fixed when the run was trained; "
                              f"evaluate takes only data fields: {', '.join(field_names(cls, 'data'))}")
        value = _coerce(key, raw, types_[key])
        values[key] = _resolve_data_path(key, value) if kinds[key] == "data" else value
    return values


def build_config(cls, presets: dict[str, dict], preset: str, overrides: dict[str, Any]):
    """Return `cls` filled from `presets[preset]` and then `overrides`, type-checked."""
    require_choice("preset", preset, list(presets))
    return cls(**{**presets[preset], **check_overrides(cls, overrides)})


def resolve(cls, presets: dict[str, dict], preset: str, overrides=()):
    """A validated `cls` from a preset name and `key=value` strings (or a dict)."""
    if not isinstance(overrides, dict):
        overrides = parse_overrides(list(overrides))
    return build_config(cls, presets, preset, overrides)


def config_to_dict(config, kind: str | None = None) -> dict[str, Any]:
    """All fields of `config`, or only those of one kind ("user", "data", "learned")."""
    values = dataclasses.asdict(config)
    if kind is None:
        return values
    return {k: values[k] for k in field_names(type(config), kind)}


def with_learned(config, learned: dict[str, Any]):
    """`config` with the learned fields the data decided."""
    unknown = sorted(set(learned) - set(field_names(type(config), "learned")))
    if unknown:
        raise TypeError(f"{type(config).__module__}: {unknown} are not learned_field()s")
    return dataclasses.replace(config, **learned) if learned else config


def _json(values: dict) -> str:
    return json.dumps(values, indent=2) + "\n"


def save_config(config, directory: Path) -> None:
    """`config.json` (what the user asked for) and `learned.json` (what the data decided)."""
    directory = Path(directory)
    learned = config_to_dict(config, "learned")
    user = {k: v for k, v in config_to_dict(config).items() if k not in learned}
    write_text_atomic(directory / "config.json", _json(user))
    write_text_atomic(directory / "learned.json", _json(learned))


def load_config(cls, directory: Path, overrides: dict[str, Any] | None = None):
    """Read a run's `config.json` and `learned.json`, checking every value's type.

    `overrides` may repoint data fields (`seqsuite evaluate --set test_data=...`).
    """
    directory = Path(directory)
    values = {}
    for name in ("config.json", "learned.json"):
        path = directory / name
        try:
            values.update(json.loads(path.read_text()))
        except FileNotFoundError as err:
            raise ConfigError(f"{path} not found; is {directory} a finished seqsuite "
                              "run directory?") from err
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise ConfigError(f"{path} is not valid JSON; the run directory is damaged") from err
    types_ = _field_types(cls)
    unknown = sorted(set(values) - set(types_))
    if unknown:
        raise ConfigError(f"{directory}/config.json has keys this version does not know: "
                          f"{', '.join(unknown)}")
    values = {k: _coerce(k, v, types_[k]) for k, v in values.items()}
    values.update(check_overrides(cls, overrides or {}, allowed="data"))
    return cls(**values)
