"""The suite contract: one object that states everything about a task.

As keras-hub's `Task` does for a model family, a `Suite` gathers what the
runner, the tuner, the command line, the notebooks and the tests need to know
of a task, and they know the task only through it:

    SUITE = Suite(
        name="forecasting",
        config=Config, presets=PRESETS,           # config.py: a TrainConfig dataclass
        load_data=load_data,                      # data.py: config -> SuiteData
        build_model=build_model,                  # model.py: config -> compiled model
        serving=serving,                          # model.py: (model, config) -> Serving
        evaluate=evaluate,                        # train.py: (model, data, config, Evaluation) -> metrics
        search_space=search_space,                # train.py: hp -> {config key: value}
    )

How it fits: by epochs through `shared.run.training.fit` (the default; `callbacks`
may add Keras callbacks, e.g. resetting a stateful model), or in closed form
when `closed_form` is given (a reservoir's ridge readout) and applies to the
config (a suite whose configs choose between the two). Either way
`seqsuite train` and every tuning trial go through `fit_suite` below.

A suite that corrects its fitted model with what it measures on the validation
split (forecasting's conformal interval offsets) gives `calibrate`: `(model, data,
config) -> {learned field: value}`, run after every fit; the runner writes those
values to `learned.json` with the rest of what the data decided.

Baselines a suite reports beside its model (TF-IDF + logistic regression, an
LSTM trained by BPTT next to an ESN) are `shared.run.baselines.Baseline`s listed by
`baselines(config)`; the runner fits them once, during training, saves them in
`RUN/baselines/<name>/`, and gives them loaded to `evaluate` in its `Evaluation`, so
`seqsuite evaluate` only measures.

Inference commands (`seqsuite translate|predict|generate --run RUN ...`) are
declared as data in `config.py` (`shared.run.commands.Command`), and the command
line builds its subcommands from them.

`config.py` must import nothing heavy: the command line validates the whole
config with it before TensorFlow is imported.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from seqsuite.shared.run.baselines import Baseline
from seqsuite.shared.run.commands import Command


@dataclasses.dataclass(kw_only=True)
class SuiteData:
    """What `load_data` returns: each suite's data class extends it with its own fields.

    Args:
        train, val, test: the tf.data pipelines the runner fits and evaluates on
            (default None: a suite fitted in closed form may not need one).
        adapt: layer name -> a training sample for `layer.adapt` (or a
            `shared.data.text.Vocabulary`, or a function that sets the layer's state),
            fitted on training data only (validation may choose its settings).
        learned: the config's `learned_field`s -> the values this training data gives them.
    """

    train: Any = None
    val: Any = None
    test: Any = None
    adapt: dict = dataclasses.field(default_factory=dict)
    learned: dict = dataclasses.field(default_factory=dict)


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


def no_baselines(config) -> list:
    return []


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """Where one evaluation reads and writes; the last argument of a suite's `evaluate`.

    Args:
        out: the folder this evaluation writes its plots and tables into: the run
            directory at the end of training, `RUN/evaluations/<name>/` afterwards.
        run: the run directory (what training wrote: `history.csv`, ...).
        baselines: the run's fitted baselines by name (`shared.run.baselines`).
        fit_seconds: wall time of the model's fit.
    """

    out: Path
    run: Path
    baselines: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    fit_seconds: float | None = None


@dataclasses.dataclass(frozen=True)
class Serving:
    """What a suite's SavedModel serves: `serving(model, config) -> Serving`.

    Args:
        function: a TensorFlow-traceable function from what a user has (raw numbers,
            strings, WAV or image bytes) to a dict of what they want; the `serve` and
            `serving_default` endpoint.
        signature: its input signature, a list of `tf.TensorSpec`s.
        endpoints: further signatures by name, each `(function, signature)` (default
            none; speech adds `waveform` beside the WAV signature).
        track: objects `function` uses that are not part of the model, such as a lookup
            table built for serving, so their resources are saved too (default none).
        lite: endpoints by name in the form `seqsuite export --tflite` converts, where
            it must differ from the SavedModel's: numbers out instead of text, a fixed
            chunk length for a recurrent loop to unroll (default none: the endpoints as
            they are).
    """

    function: Callable
    signature: Sequence
    endpoints: Mapping[str, tuple[Callable, Sequence]] = dataclasses.field(default_factory=dict)
    track: Sequence = ()
    lite: Mapping[str, tuple[Callable, Sequence]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Suite:
    """A task's whole contract (see the module docstring for each field)."""

    name: str
    description: str
    config: type
    presets: Mapping[str, Mapping[str, Any]]
    load_data: Callable[[Any], SuiteData]
    build_model: Callable[[Any], Any]
    serving: Callable[[Any, Any], Serving]
    evaluate: Callable[[Any, Any, Any, Evaluation], dict]
    search_space: Callable[[Any], dict] | None = None
    closed_form: ClosedForm | None = None
    callbacks: Callable[[Any], list] = no_callbacks
    baselines: Callable[[Any], Sequence[Baseline]] = no_baselines
    commands: Sequence[Command] = ()
    calibrate: Callable[[Any, Any, Any], dict] | None = None

    def __post_init__(self):
        missing = {"smoke", "quick", "full"} - set(self.presets)
        if missing:
            raise TypeError(f"suite {self.name} lacks presets {sorted(missing)}")
        names = [c.name for c in self.commands]
        if len(set(names)) != len(names):
            raise TypeError(f"suite {self.name} declares a command twice: {names}")

    def command(self, name: str) -> Command | None:
        """The suite's inference command `name`, or None."""
        return next((c for c in self.commands if c.name == name), None)


@dataclasses.dataclass
class FitResult:
    model: Any
    val_loss: float | None  # best validation loss (closed form: the suite's measure)
    seconds: float  # wall time of the fit
    learned: dict = dataclasses.field(default_factory=dict)  # what `calibrate` measured


def fit_suite(suite: Suite, model, data, config, run_dir: Path, callbacks=()) -> FitResult:
    """Train `model` the suite's way, then `calibrate` it: the one training path of
    `train` and `tune`."""
    from seqsuite.shared.run.training import fit

    start = time.perf_counter()
    if suite.closed_form is not None and suite.closed_form.applies(config):
        model = suite.closed_form.fit(model, data, config)
        best = float(suite.closed_form.validation_loss(model, data, config))
    else:
        model, best = fit(model, data.train, data.val, config, Path(run_dir),
                          callbacks=[*suite.callbacks(config), *callbacks])
    learned = suite.calibrate(model, data, config) if suite.calibrate is not None else {}
    return FitResult(model, best, time.perf_counter() - start, learned)
