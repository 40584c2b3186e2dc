"""Run a suite: resolve its config, train, evaluate, export, write the run directory.

A finished run directory holds `run.json` (suite and preset), `config.json`,
`model.keras`, `metrics.json`, `history.csv`, PNG plots, TensorBoard logs in
`logs/` and the SavedModel in `export/`. `seqsuite evaluate` and
`seqsuite export` work on such a directory.
"""

from __future__ import annotations

import csv
import importlib
import json
import pkgutil
import shutil
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from shared.config import (
    build_config,
    config_to_dict,
    load_config,
    parse_overrides,
    save_config,
)
from shared.errors import ConfigError, TrainingError


@dataclass
class Suite:
    name: str
    config: ModuleType
    data: ModuleType
    model: ModuleType
    train: ModuleType


def describe(name: str) -> str:
    """First line of a suite package's docstring (imports nothing else of the suite)."""
    doc = importlib.import_module(f"suites.{name}").__doc__ or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def suite_names() -> list[str]:
    import suites

    return sorted(m.name for m in pkgutil.iter_modules(suites.__path__) if m.ispkg)


def get_suite(name: str) -> Suite:
    names = suite_names()
    if name not in names:
        raise ConfigError(f"unknown suite '{name}'; available: {', '.join(names)} (seqsuite list)")
    mods = {part: importlib.import_module(f"suites.{name}.{part}")
            for part in ("config", "data", "model", "train")}
    return Suite(name=name, **mods)


def resolve_config(suite: Suite, preset: str = "quick", overrides=()):
    """The suite's Config from a preset name and `key=value` strings (or a dict)."""
    if not isinstance(overrides, dict):
        overrides = parse_overrides(list(overrides))
    return build_config(suite.config.Config, suite.config.PRESETS, preset, overrides)


def resolve_from_data(config, data):
    """Fill config fields that only the training data can tell, such as vocabulary
    sizes (as nanoGPT takes `vocab_size` from its data); they are saved in
    `config.json` with the rest, so the model can be rebuilt from the config."""
    import dataclasses

    updates = getattr(data, "config_updates", None)
    return dataclasses.replace(config, **updates) if updates else config


def adapt(model, data) -> None:
    """Fit preprocessing layers (normalisation, vocabularies) on training data only.

    `data.adapt` maps a layer name to a training sample for `layer.adapt`, or to
    a `shared.text.Vocabulary` that the layer takes as it is.
    """
    from shared.text import Vocabulary

    for layer_name, sample in getattr(data, "adapt", {}).items():
        layer = model.get_layer(layer_name)
        if isinstance(sample, Vocabulary):
            layer.set_vocabulary(list(sample)[2:])  # after padding and [UNK]
        else:
            layer.adapt(sample)


def _prepare_run_dir(out: Path, suite: Suite, config, overwrite: bool) -> None:
    """Refuse to clobber anything that is not ours; resume only an identical run."""
    if not out.exists():
        return
    if out.is_file():
        raise ConfigError(f"--out {out} is a file; give a directory path")
    if not any(out.iterdir()):
        return
    run_json = out / "run.json"
    if not run_json.exists():
        raise ConfigError(
            f"--out {out} is not empty and is not a seqsuite run; choose a new directory"
        )
    if overwrite:
        shutil.rmtree(out)
        return
    if (out / "metrics.json").exists():
        raise ConfigError(f"{out} holds a finished run; pass --overwrite or choose another --out")
    saved = json.loads((out / "config.json").read_text()) if (out / "config.json").exists() else {}
    current = json.loads(json.dumps(config_to_dict(config)))
    if json.loads(run_json.read_text()).get("suite") != suite.name or saved != current:
        raise ConfigError(
            f"{out} holds an unfinished run with a different config; rerun it with the same "
            "settings to resume, or pass --overwrite"
        )


def train(suite: Suite, config, out: Path, preset: str = "custom", overwrite: bool = False):
    """Train, evaluate and export; return the metrics dict."""
    import keras

    from shared.training import fit

    out = Path(out)
    # Data errors surface before anything is written.
    data = suite.data.load_data(config)
    config = resolve_from_data(config, data)
    _prepare_run_dir(out, suite, config, overwrite)
    keras.utils.set_random_seed(config.seed)
    model = suite.model.build_model(config)
    adapt(model, data)
    out.mkdir(parents=True, exist_ok=True)
    (out / "run.json").write_text(json.dumps({"suite": suite.name, "preset": preset}) + "\n")
    save_config(config, out / "config.json")
    if hasattr(suite.train, "fit_model"):
        # Closed-form models (reservoir readouts) train in one pass, not by epochs.
        model = suite.train.fit_model(model, data, config, out)
    else:
        extra = suite.train.callbacks(config) if hasattr(suite.train, "callbacks") else []
        model = fit(model, data.train, data.val, config, out, callbacks=extra)
    model.save(out / "model.keras")
    metrics = finish(suite, model, data, config, out)
    shutil.rmtree(out / "checkpoint", ignore_errors=True)
    return metrics


def finish(suite: Suite, model, data, config, out: Path) -> dict:
    """Evaluate, plot, write metrics.json and export: the end of every run."""
    from shared.plots import plot_history

    metrics = suite.train.evaluate(model, data, config, out)
    history = out / "history.csv"
    if history.exists():
        with history.open() as f:
            rows = list(csv.DictReader(f))
        if rows:
            plot_history(rows, out / "history.png")
    export(suite, model, config, out / "export")
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics


def export(suite: Suite, model, config, path: Path) -> Path:
    from shared.export import export_saved_model

    fn, signature, *track = suite.model.serving(model, config)
    return export_saved_model(model, path, fn, signature, *track)


def load_run(run_dir: Path):
    """(suite, config, model) of a run directory."""
    import keras

    run_dir = Path(run_dir)
    if not (run_dir / "run.json").exists() or not (run_dir / "model.keras").exists():
        raise ConfigError(
            f"{run_dir} is not a finished seqsuite run (no run.json or model.keras); "
            "pass the --out directory of a completed `seqsuite train`"
        )
    suite = get_suite(json.loads((run_dir / "run.json").read_text())["suite"])
    config = load_config(suite.config.Config, run_dir / "config.json")
    model = keras.saving.load_model(run_dir / "model.keras")
    return suite, config, model


def evaluate_run(run_dir: Path) -> dict:
    suite, config, model = load_run(run_dir)
    data = suite.data.load_data(config)
    metrics = suite.train.evaluate(model, data, resolve_from_data(config, data), Path(run_dir))
    (Path(run_dir) / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics


def export_run(run_dir: Path, path: Path | None = None) -> Path:
    suite, config, model = load_run(run_dir)
    return export(suite, model, config, Path(path) if path else Path(run_dir) / "export")


def format_metrics(metrics: dict) -> str:
    """Plain-text tables: a dict of {row: {column: number}} becomes one table."""
    lines = []
    for section, body in metrics.items():
        if isinstance(body, dict) and body and all(isinstance(v, dict) for v in body.values()):
            cols = list(dict.fromkeys(c for row in body.values() for c in row))
            width = max(len(r) for r in body) + 2
            lines.append(f"{section}")
            w = {c: max(12, len(c) + 2) for c in cols}
            lines.append(" " * width + "".join(f"{c:>{w[c]}}" for c in cols))
            for row, vals in body.items():
                cells = "".join(
                    f"{vals[c]:>{w[c]}.4f}" if isinstance(vals.get(c), float)
                    else f"{vals.get(c, ''):>{w[c]}}"
                    for c in cols
                )
                lines.append(f"{row:<{width}}{cells}")
        elif isinstance(body, dict):
            lines.append(f"{section}")
            width = max(len(k) for k in body) + 2
            for k, v in body.items():
                lines.append(f"  {k:<{width}}{v:.4f}" if isinstance(v, float) else f"  {k:<{width}}{v}")
        else:
            lines.append(f"{section}: {body}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


__all__ = [
    "Suite", "TrainingError", "adapt", "evaluate_run", "export_run", "format_metrics",
    "get_suite", "load_run", "resolve_config", "suite_names", "train",
]
