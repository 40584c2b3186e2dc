"""Run a suite: resolve its config, train, evaluate, export, write the run directory.

A finished run directory holds `run.json` (suite and preset), `config.json`,
`model.keras`, `metrics.json`, `history.csv`, PNG plots, TensorBoard logs in
`logs/` and the SavedModel in `export/`. `seqsuite evaluate` and
`seqsuite export` work on such a directory.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from seqsuite.shared.errors import ConfigError, TrainingError
from seqsuite.shared.run.config import (
    build_config,
    config_to_dict,
    load_config,
    parse_overrides,
    save_config,
    with_learned,
)
from seqsuite.shared.run.files import (
    DirectoryLock,
    check_target,
    is_empty,
    is_ours,
    mark,
    move_into_place,
    replacing,
    staging_path,
    write_text_atomic,
)
from seqsuite.shared.run.suite import Suite, fit_suite


def resolve_config(suite: Suite, preset: str = "quick", overrides=()):
    """The suite's Config from a preset name and `key=value` strings (or a dict)."""
    if not isinstance(overrides, dict):
        overrides = parse_overrides(list(overrides))
    return build_config(suite.config, suite.presets, preset, overrides)


def adapt(model, data) -> None:
    """Fit preprocessing layers (normalisation, vocabularies) on training data only.

    `data.adapt` maps a layer name to a training sample for `layer.adapt`, or to
    a `shared.data.text.Vocabulary` that the layer takes as it is.
    """
    from seqsuite.shared.data.text import Vocabulary

    for layer_name, sample in data.adapt.items():
        layer = model.get_layer(layer_name)
        if isinstance(sample, Vocabulary):
            layer.set_vocabulary(list(sample)[2:])  # after padding and [UNK]
        else:
            layer.adapt(sample)


def prepare(suite: Suite, config):
    """(data, config with its learned fields, built and adapted model), seeded."""
    import keras

    from seqsuite.shared.layers.encoders import recurrent_initialisation

    data = suite.load_data(config)
    config = with_learned(config, data.learned)
    keras.utils.set_random_seed(config.seed)
    with recurrent_initialisation(config):  # every cell follows --set recurrent_init=...
        model = suite.build_model(config)
    adapt(model, data)
    return data, config, model


def _run_dir(out: Path, suite: Suite, config, overwrite: bool) -> tuple[Path, bool]:
    """(directory to train in, whether it replaces a finished run at `out`).

    A new or empty `out` is trained in directly; an unfinished run of the same
    suite and config resumes; a finished run is replaced only with
    `--overwrite`, trained beside it and moved into place at the end.
    """
    check_target(out, overwrite=True, flag="--out")  # refuses files and folders not ours
    if not out.exists() or is_empty(out):
        return out, False
    if (out / "metrics.json").exists():
        if not overwrite:
            raise ConfigError(f"{out} holds a finished run; pass --overwrite to replace it, "
                              "or choose another --out")
        staged = staging_path(out)
        if staged.exists() and not _same_run(staged, suite, config):
            shutil.rmtree(staged)
        return staged, True
    if overwrite or _same_run(out, suite, config):
        return out, False
    raise ConfigError(f"{out} holds an unfinished run with a different config; rerun it with "
                      "the same settings to resume, or pass --overwrite")


def _same_run(directory: Path, suite: Suite, config) -> bool:
    try:
        run = json.loads((directory / "run.json").read_text())
        saved = json.loads((directory / "config.json").read_text())
    except (OSError, ValueError):
        return False
    current = json.loads(json.dumps(config_to_dict(config, "user") | config_to_dict(config, "data")))
    return run.get("suite") == suite.name and saved == current


def train(suite: Suite, config, out: Path, preset: str = "custom", overwrite: bool = False,
          strategy: str | None = None):
    """Train, evaluate and export; return the metrics dict.

    `strategy` ("mirrored" or "multi_worker") trains under `tf.distribute`
    (see `shared.run.strategy`).
    """
    if strategy is not None:
        from seqsuite.shared.run.strategy import distributed_train

        return distributed_train(train, suite, config, out, preset, overwrite, strategy)
    out = Path(out)
    # Bad paths and data fail before anything is written.
    check_target(out, overwrite=True, flag="--out")
    data, config, model = prepare(suite, config)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    # The lock comes first: a process already writing here is what the user must hear.
    with DirectoryLock(out):
        try:
            directory, replaces = _run_dir(out, suite, config, overwrite)
        except ConfigError:
            if created:
                shutil.rmtree(out)
            raise
        if overwrite and not replaces and is_ours(directory):
            shutil.rmtree(directory / "checkpoint", ignore_errors=True)  # start afresh
        directory.mkdir(parents=True, exist_ok=True)
        mark(directory, "run directory")
        if (directory / "checkpoint" / "state.json").exists():
            done = json.loads((directory / "checkpoint" / "state.json").read_text())["epoch"] + 1
            print(f"resuming {out} after epoch {done} of {config.epochs}")
        write_text_atomic(directory / "run.json",
                          json.dumps({"suite": suite.name, "preset": preset}) + "\n")
        save_config(config, directory)
        result = fit_suite(suite, model, data, config, directory)
        model = result.model
        if suite.fit_baselines is not None:
            baselines = directory / "baselines"
            shutil.rmtree(baselines, ignore_errors=True)
            baselines.mkdir()
            suite.fit_baselines(data, config, baselines)
        run = {"suite": suite.name, "preset": preset, "fit_seconds": round(result.seconds, 3),
               "best_val_loss": result.val_loss}
        write_text_atomic(directory / "run.json", json.dumps(run, indent=2) + "\n")
        model.save(directory / "model.keras")
        metrics = finish(suite, model, data, config, directory)
        shutil.rmtree(directory / "checkpoint", ignore_errors=True)
        if replaces:
            move_into_place(directory, out)
    return metrics


def finish(suite: Suite, model, data, config, out: Path) -> dict:
    """Evaluate, plot, write metrics.json and export: the end of every run."""
    from seqsuite.shared.evaluation.plots import plot_history

    metrics = suite.evaluate(model, data, config, out)
    history = out / "history.csv"
    if history.exists():
        with history.open() as f:
            rows = list(csv.DictReader(f))
        if rows:
            plot_history(rows, out / "history.png")
    export(suite, model, config, out / "export", overwrite=True)
    write_text_atomic(out / "metrics.json", json.dumps(metrics, indent=2) + "\n")
    return metrics


def export(suite: Suite, model, config, path: Path, overwrite: bool = False) -> Path:
    """Write the suite's serving SavedModel at `path` (written beside it, then moved)."""
    from seqsuite.shared.run.export import export_saved_model

    fn, signature, *track = suite.serving(model, config)
    with replacing(path, overwrite, "SavedModel export") as staged:
        export_saved_model(model, staged, fn, signature, *track)
    return Path(path)


def load_run(suite: Suite, run_dir: Path, overrides=None):
    """(config, model) of a finished run of `suite`; `.keras` loads with safe_mode on."""
    import keras

    run_dir = Path(run_dir)
    config = load_config(suite.config, run_dir, overrides)
    try:
        model = keras.saving.load_model(run_dir / "model.keras", safe_mode=True)
    except ValueError as err:
        if "safe_mode" in str(err) or "lambda" in str(err).lower():
            raise ConfigError(f"{run_dir}/model.keras holds Python code (a lambda), which "
                              "seqsuite does not load; retrain the run") from err
        raise
    return config, model


def evaluate_run(suite: Suite, run_dir: Path, overrides=None) -> dict:
    """Measure a finished run on its data (or data repointed with `overrides`); trains nothing."""
    run_dir = Path(run_dir)
    config, model = load_run(suite, run_dir, overrides)
    data = suite.load_data(config)
    metrics = suite.evaluate(model, data, config, run_dir)
    write_text_atomic(run_dir / "metrics.json", json.dumps(metrics, indent=2) + "\n")
    return metrics


def export_run(suite: Suite, run_dir: Path, path: Path | None = None,
               overwrite: bool = False) -> Path:
    config, model = load_run(suite, run_dir)
    return export(suite, model, config, Path(path) if path else Path(run_dir) / "export",
                  overwrite)


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
    "load_run", "prepare", "resolve_config", "train",
]
