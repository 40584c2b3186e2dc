"""The suite registry: which suites exist, and each one's contract object.

Listing suites and checking a config import no TensorFlow (a suite's package
docstring and its `config.py` are light); `get` imports the suite itself and
returns its `Suite` object (`seqsuite.suites.<name>.suite.SUITE`).

A suite's data and baseline packages are its extra (`pip install
'seqsuite[<name>]'`), which its package declares as `REQUIRES`. `require_extra`
looks them up without importing them; `resolve_config`, `suite_of_run` and `get`
call it, so the command line answers a missing extra with one line before
TensorFlow loads.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil

from seqsuite.shared.errors import ConfigError, MissingExtraError
from seqsuite.shared.run.config import resolve


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


def require_extra(name: str) -> None:
    """Refuse a suite whose extra is not installed: a `MissingExtraError` naming the missing
    packages and the pip command that adds them.

    The packages are found (`importlib.util.find_spec`), not imported: this runs before
    TensorFlow loads, and importing a baseline library can take seconds.
    """
    _check(name)
    requires = importlib.import_module(f"seqsuite.suites.{name}").REQUIRES
    missing = [package for module, package in requires.items()
               if importlib.util.find_spec(module) is None]
    if missing:
        raise MissingExtraError(f"the {name} suite needs packages that are not installed "
                                f"({', '.join(missing)}); install them with: "
                                f"pip install 'seqsuite[{name}]'")


def config_class(name: str):
    """(Config, PRESETS) of a suite, without importing TensorFlow."""
    _check(name)
    module = importlib.import_module(f"seqsuite.suites.{name}.config")
    return module.Config, module.PRESETS


def commands(name: str) -> tuple:
    """The suite's inference commands (`config.COMMANDS`), without importing TensorFlow."""
    _check(name)
    return tuple(getattr(importlib.import_module(f"seqsuite.suites.{name}.config"),
                         "COMMANDS", ()))


def resolve_config(name: str, preset: str = "quick", overrides=()):
    """A suite's validated Config from a preset and `key=value` strings (or a dict); the
    suite's extra must be installed."""
    require_extra(name)
    return resolve(*config_class(name), preset, overrides)


def get(name: str):
    """The suite's contract object (imports TensorFlow); the suite's extra must be installed."""
    require_extra(name)
    return importlib.import_module(f"seqsuite.suites.{name}.suite").SUITE


def suite_of_run(run_dir) -> str:
    """The suite name a finished run directory was trained with (no TensorFlow); every use
    of the run needs the suite, so its extra must be installed."""
    from seqsuite.shared.run.directory import suite_of

    name = suite_of(run_dir)
    require_extra(name)
    return name
