"""The suite contract: one object that states everything about a task.

As keras-hub's `Task` does for a model family, a `Suite` gathers what the
runner, the tuner, the command line, the notebooks and the tests need to know
of a task, and they know the task only through it:

    SUITE = Suite(
        name="forecasting",
        config=Config, presets=PRESETS,           # config.py: a TrainConfig dataclass
        load_data=load_data,                      # data.py: config -> SuiteData
        build_model=build_model,                  # model.py: config -> compiled model
        serving=serving,                          # model.py: (model, config) -> (fn, signature[, track])
        evaluate=evaluate,                        # train.py: (model, data, config, run_dir) -> metrics
        search_space=search_space,                # train.py: hp -> {config key: value}
    )

How it fits: by epochs through `shared.run.training.fit` (the default; `callbacks`
may add Keras callbacks, e.g. resetting a stateful model), or in closed form
when `closed_form` is given (a reservoir's ridge readout) and applies to the
config (a suite whose configs choose between the two). Either way
`seqsuite train` and every tuning trial go through `fit_suite` below.

Baselines a suite reports beside its model (a bag-of-words classifier, an
LSTM trained by BPTT next to an ESN) are fitted once, during training, by
`fit_baselines(data, config, directory)`, which saves them in
`RUN/baselines/`; `evaluate` reads them from there and trains nothing, so
`seqsuite evaluate` only measures.

Inference commands (`seqsuite translate|predict|generate --run RUN ...`) are
`commands[name](model, config, **options) -> lines to print`.

`config.py` must import nothing heavy: the command line validates the whole
config with it before TensorFlow is imported.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol


class SuiteData(Protocol):
    """What `load_data` returns: tf.data pipelines plus what the runner needs.

    `adapt` maps a layer name to a training sample for `layer.adapt` (or a
    `shared.data.text.Vocabulary`); `learned` maps the config's `learned_field`s to
    the values this training data gives them.
    """

    train: Any
    val: Any
    test: Any
    adapt: dict
    learned: dict


def every_config(config) -> bool:
    return True


@dataclasses.dataclass(frozen=True)
class ClosedForm:
    """A model fitted in one pass instead of by epochs.

    fit: `(model, data, config) -> model`.
    validation_loss: `(model, data, config) -> float`, the tuner's objective.
    applies: `config -> bool`, whether this config's model is fitted so; the
        others train by epochs (default: every config's model).
    """

    fit: Callable[[Any, Any, Any], Any]
    validation_loss: Callable[[Any, Any, Any], float]
    applies: Callable[[Any], bool] = every_config


def no_callbacks(config) -> list:
    return []


@dataclasses.dataclass(frozen=True)
class Suite:
    """A task's whole contract (see the module docstring for each field)."""

    name: str
    description: str
    config: type
    presets: Mapping[str, Mapping[str, Any]]
    load_data: Callable[[Any], SuiteData]
    build_model: Callable[[Any], Any]
    serving: Callable[[Any, Any], tuple]
    evaluate: Callable[[Any, Any, Any, Path], dict]
    search_space: Callable[[Any], dict] | None = None
    closed_form: ClosedForm | None = None
    callbacks: Callable[[Any], list] = no_callbacks
    fit_baselines: Callable[[Any, Any, Path], None] | None = None
    commands: Mapping[str, Callable[..., list[str]]] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        missing = {"smoke", "quick", "full"} - set(self.presets)
        if missing:
            raise TypeError(f"suite {self.name} lacks presets {sorted(missing)}")


@dataclasses.dataclass
class FitResult:
    model: Any
    val_loss: float | None  # best validation loss (closed form: the suite's measure)
    seconds: float  # wall time of the fit


def fit_suite(suite: Suite, model, data, config, run_dir: Path, callbacks=()) -> FitResult:
    """Train `model` the suite's way: the one training path of `train` and `tune`."""
    from seqsuite.shared.run.training import fit

    start = time.perf_counter()
    if suite.closed_form is not None and suite.closed_form.applies(config):
        model = suite.closed_form.fit(model, data, config)
        return FitResult(model, float(suite.closed_form.validation_loss(model, data, config)),
                         time.perf_counter() - start)
    model, best = fit(model, data.train, data.val, config, Path(run_dir),
                      callbacks=[*suite.callbacks(config), *callbacks])
    return FitResult(model, best, time.perf_counter() - start)
