"""The suite registry: which suites exist, and each one's contract object.

Listing suites and checking a config import no TensorFlow (a suite's package
docstring and its `config.py` are light); `get` imports the suite itself and
returns its `Suite` object (`seqsuite.suites.<name>.suite.SUITE`).
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from pathlib import Path

from seqsuite.shared.errors import ConfigError
from seqsuite.shared.run.config import build_config, parse_overrides


def names() -> list[str]:
    import seqsuite.suites

    return sorted(m.name for m in pkgutil.iter_modules(seqsuite.suites.__path__) if m.ispkg)


def _check(name: str) -> None:
    known = names()
    if name not in known:
        raise ConfigError(f"unknown suite '{name}'; available: {', '.join(known)} "
                          "(seqsuite list)")


def describe(name: str) -> str:
    """First line of the suite package's docstring."""
    _check(name)
    doc = (importlib.import_module(f"seqsuite.suites.{name}").__doc__ or "").strip()
    return doc.splitlines()[0] if doc else ""


def config_class(name: str):
    """(Config, PRESETS) of a suite, without importing TensorFlow."""
    _check(name)
    module = importlib.import_module(f"seqsuite.suites.{name}.config")
    return module.Config, module.PRESETS


def resolve_config(name: str, preset: str = "quick", overrides=()):
    """A suite's validated Config from a preset and `key=value` strings (or a dict)."""
    cls, presets = config_class(name)
    if not isinstance(overrides, dict):
        overrides = parse_overrides(list(overrides))
    return build_config(cls, presets, preset, overrides)


def get(name: str):
    """The suite's contract object (imports TensorFlow)."""
    _check(name)
    return importlib.import_module(f"seqsuite.suites.{name}.suite").SUITE


def suite_of_run(run_dir) -> str:
    """The suite name a run directory was trained with."""
    run_dir = Path(run_dir)
    if not (run_dir / "run.json").is_file() or not (run_dir / "model.keras").is_file():
        raise ConfigError(f"{run_dir} is not a finished seqsuite run (no run.json or "
                          "model.keras); pass the --out directory of a completed `seqsuite train`")
    try:
        name = json.loads((run_dir / "run.json").read_text())["suite"]
    except (ValueError, KeyError, UnicodeDecodeError) as err:
        raise ConfigError(f"{run_dir}/run.json is damaged; retrain the run") from err
    _check(name)
    return name
