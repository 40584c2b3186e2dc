"""Run a suite: resolve its config, prepare data and model, train into a run directory.

`train` is the path of `seqsuite train`: it opens the run directory
(`shared.run.directory.NewRun`: lock, resume or refuse, all before any data loads),
prepares the data and the model, fits them the suite's way (`suite.fit_suite`), fits
the baselines and finishes the run (evaluate, plots, export, `run.json` last). Later
commands work on a finished run through `shared.run.directory.Run`.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from seqsuite.shared.errors import TrainingError
from seqsuite.shared.run.baselines import fit_and_save
from seqsuite.shared.run.config import resolve, with_learned
from seqsuite.shared.run.directory import NewRun, Run
from seqsuite.shared.run.suite import Suite, fit_suite


def resolve_config(suite: Suite, preset: str = "quick", overrides=()):
    """The suite's Config from a preset name and `key=value` strings (or a dict)."""
    return resolve(suite.config, suite.presets, preset, overrides)


def adapt(model, data) -> None:
    """Fit preprocessing layers (normalisation, vocabularies) on training data only.

    `data.adapt` maps a layer name to a training sample for `layer.adapt`, to a
    `shared.data.text.Vocabulary` that the layer takes as it is, or to a function
    that sets the layer's state itself (a linear path fitted in closed form).
    """
    from seqsuite.shared.data.text import Vocabulary

    for layer_name, sample in data.adapt.items():
        layer = model.get_layer(layer_name)
        if isinstance(sample, Vocabulary):
            layer.set_vocabulary(list(sample)[2:])  # after padding and [UNK]
        elif callable(sample):
            sample(layer)
        else:
            layer.adapt(sample)


def prepare(suite: Suite, config):
    """(data, config with its learned fields, built and adapted model), seeded."""
    import keras

    from seqsuite.shared.layers.encoders import recurrent_initialisation

    # Seeded before the data too: a tf.data shuffle without its own seed takes the
    # global one, so the data order must not depend on what ran earlier in the process.
    keras.utils.set_random_seed(config.seed)
    data = suite.load_data(config)
    config = with_learned(config, data.learned)
    keras.utils.set_random_seed(config.seed)
    with recurrent_initialisation(config):  # every cell follows --set recurrent_init=...
        model = suite.build_model(config)
    adapt(model, data)
    return data, config, model


def train(suite: Suite, config, out: Path, preset: str = "custom", overwrite: bool = False,
          strategy: str | None = None) -> dict:
    """Train, fit the baselines, evaluate and export into `out`; return the metrics.

    `strategy` ("mirrored" or "multi_worker") trains under `tf.distribute`
    (see `shared.run.strategy`); a worker other than the chief writes beside `out`.
    """
    scope = contextlib.nullcontext(Path(out))
    if strategy is not None:
        from seqsuite.shared.run.strategy import distributed

        scope = distributed(strategy, Path(out))
    with scope as target, NewRun(target, suite, config, preset, overwrite) as run:
        data, config, model = prepare(suite, config)
        run.save_config(config)
        result = fit_suite(suite, model, data, config, run.directory)
        if result.learned:  # measured after the fit: learned.json again, config.json as it was
            config = with_learned(config, result.learned)
            run.save_config(config)
        fit_and_save(suite.baselines(config), data, config, run.directory)
        return run.finish(result.model, data, config, result)


def load_run(suite: Suite, run_dir: Path, overrides=None):
    """(config, model) of a finished run of `suite`."""
    run = Run(run_dir, suite, overrides)
    return run.config, run.model


def evaluate_run(suite: Suite, run_dir: Path, overrides=None, name: str | None = None) -> dict:
    """Measure a finished run again into `RUN/evaluations/<name>/`; trains nothing."""
    return Run(run_dir, suite, overrides).evaluate(name)[0]


def export_run(suite: Suite, run_dir: Path, path: Path | None = None,
               overwrite: bool = False) -> Path:
    return Run(run_dir, suite).export(path, overwrite)


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
                    else f"{'-' if vals.get(c, '') is None else vals.get(c, ''):>{w[c]}}"
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
    "Run", "Suite", "TrainingError", "adapt", "evaluate_run", "export_run", "format_metrics",
    "load_run", "prepare", "resolve_config", "train",
]
