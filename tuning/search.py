"""keras-tuner search over a suite's `build_model(config)`.

Each trial turns the sampled hyperparameters into a config (the suite's own
dataclass, so its validation applies), builds the model on the suite's data
and trains it with `shared.run.suite.fit_suite`, the same code as `seqsuite train`
(checkpoints, NaN guard, early stopping, closed-form fits), reporting the best
`val_loss`. A trial whose loss becomes NaN is recorded as failed and the search
goes on. After the search the best config is trained once more by the shared
runner into `OUT/best`, which gives it the same test metrics, plots and
SavedModel as any `seqsuite train` run. Search spaces live with their suites
(`Suite.search_space`).
"""

from __future__ import annotations

import dataclasses
import gc
import json
import shutil
import tempfile
from pathlib import Path

import keras
import keras_tuner as kt

from seqsuite.shared.checks import require_choice
from seqsuite.shared.errors import ConfigError, TrainingError
from seqsuite.shared.run.config import config_to_dict
from seqsuite.shared.run.files import DirectoryLock, check_target, is_ours, mark, write_text_atomic
from seqsuite.shared.run.runner import prepare, train
from seqsuite.shared.run.suite import Suite, fit_suite
from seqsuite.tuning import distributed

TUNERS = ("random", "grid", "bayesian", "hyperband")


def search_space(suite: Suite, config, hp) -> dict:
    """The suite's search space, and for a Transformer or hybrid encoder
    (`--set encoder=...`) the attention's entries: heads (2 or 4, which divide every
    suite's choices of units) and, where the suite searches no depth, 1 to 3 layers.
    Width and dropout are the suite's own `units` and `dropout` entries."""
    space = suite.search_space(hp)
    if getattr(config, "encoder", "rnn") != "rnn":
        space["heads"] = hp.Choice("heads", [2, 4])
        if "layers" not in space:
            space["layers"] = hp.Int("layers", 1, 3)
    return space


class SuiteHyperModel(kt.HyperModel):
    """Builds and fits a suite's model from sampled hyperparameters."""

    def __init__(self, suite: Suite, base_config, scratch: Path):
        super().__init__(name=suite.name)
        self.suite = suite
        self.base_config = base_config
        self.scratch = scratch
        self.prepared = None  # (hyperparameter values, data, config) of the last build

    def config_for(self, hp):
        return dataclasses.replace(self.base_config, **search_space(self.suite,
                                                                    self.base_config, hp))

    def build(self, hp):
        # keras-tuner clears the Keras session before each build; collecting
        # here also frees the previous trial's Python-side graphs and datasets.
        gc.collect()
        data, config, model = prepare(self.suite, self.config_for(hp))
        self.prepared = (dict(hp.values), data, config)
        return model

    def fit(self, hp, model, *args, **kwargs):
        values, data, config = self.prepared
        if values != hp.values:  # keras-tuner built this model from other values
            data, config, _ = prepare(self.suite, self.config_for(hp))
        # Hyperband continues a trial's earlier epochs from its weights.
        epochs = kwargs.get("epochs", config.epochs) - kwargs.get("initial_epoch", 0)
        config = dataclasses.replace(config, epochs=max(epochs, 1), verbose=0)
        run_dir = Path(tempfile.mkdtemp(prefix="trial-", dir=self.scratch))
        try:
            result = fit_suite(self.suite, model, data, config, run_dir,
                               callbacks=kwargs.get("callbacks", []))
        except TrainingError as err:
            raise kt.errors.FailedTrialError(str(err)) from err
        finally:
            shutil.rmtree(run_dir, ignore_errors=True)
        return {"val_loss": float(result.val_loss)}


def make_tuner(name: str, hypermodel, config, max_trials: int, directory: Path, overwrite: bool):
    common = dict(objective="val_loss", directory=str(directory), project_name="search",
                  overwrite=overwrite, seed=config.seed)
    if name == "random":
        return kt.RandomSearch(hypermodel, max_trials=max_trials, **common)
    if name == "grid":
        return kt.GridSearch(hypermodel, max_trials=max_trials, **common)
    if name == "bayesian":
        return kt.BayesianOptimization(hypermodel, max_trials=max_trials, **common)
    tuner = kt.Hyperband(hypermodel, max_epochs=max(config.epochs, 2), factor=3, **common)
    # Hyperband sizes its brackets from max_epochs; the cap keeps --max-trials meaningful.
    tuner.oracle.max_trials = max_trials
    return tuner


def tune(suite: Suite, config, out, tuner: str = "random", max_trials: int = 10,
         overwrite: bool = False, *, workers: int = 0, role: str | None = None,
         listen: str | None = None, oracle: str | None = None, worker_id: str | None = None,
         worker_command: list[str] | None = None) -> dict:
    """Search, write `best_config.json` and `trials.json`, train the best into OUT/best.

    Distributed (see `seqsuite.tuning.distributed`): `workers=N` serves the
    oracle on 127.0.0.1 and a free port and starts N local workers with
    `worker_command` (the same `seqsuite tune` command line); `role="chief"`
    with `listen="HOST:PORT"` serves workers started elsewhere;
    `role="worker"` with `oracle` and `worker_id` runs trials for a chief and
    writes only its own `out`.
    """
    if role == "worker":
        return run_worker(suite, config, out, tuner, max_trials, oracle, worker_id)
    require_choice("tuner", tuner, TUNERS)
    if max_trials < 1:
        raise ConfigError(f"--max-trials must be >= 1, got {max_trials}")
    if suite.search_space is None:
        raise ConfigError(f"suite '{suite.name}' has no search space")
    out = Path(out)
    check_target(out, overwrite=True, flag="--out")  # refuses a file or a folder not ours
    suite.load_data(config)  # bad data fails here, before the search writes anything
    if overwrite and out.exists() and is_ours(out):
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    with DirectoryLock(out):
        mark(out, "tuning directory")
        scratch = out / "scratch"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir()
        hypermodel = SuiteHyperModel(suite, config, scratch)
        if workers or role == "chief":
            host, port = (distributed.parse_address(listen, "--listen") if listen
                          else ("127.0.0.1", distributed.free_port()))
            with distributed.keras_tuner_env("chief", host, port):
                search = make_tuner(tuner, hypermodel, config, max_trials, out, overwrite=False)
                procs = (distributed.start_workers(worker_command, out, workers, host, port)
                         if workers else None)
                distributed.serve(search, host, port, procs)
        else:
            search = make_tuner(tuner, hypermodel, config, max_trials, out, overwrite=False)
            search.search(verbose=1 if config.verbose else 0)
        trials = [
            {"trial": t.trial_id, "val_loss": t.score, "status": t.status,
             "hyperparameters": t.hyperparameters.values}
            for t in search.oracle.get_best_trials(num_trials=max_trials * 10)
        ]
        if not trials or trials[0]["val_loss"] is None:  # failed trials sort last
            raise TrainingError("every trial failed (the loss became NaN); lower the learning "
                                "rates in the search or clip gradients (--set clip_norm=1.0)")
        write_text_atomic(out / "trials.json", json.dumps(trials, indent=2) + "\n")
        best = hypermodel.config_for(search.get_best_hyperparameters(1)[0])
        chosen = {k: v for k, v in config_to_dict(best).items()
                  if k not in config_to_dict(best, "learned")}
        write_text_atomic(out / "best_config.json", json.dumps(chosen, indent=2) + "\n")
        shutil.rmtree(scratch, ignore_errors=True)
        del search
        gc.collect()
        keras.backend.clear_session()
        metrics = train(suite, best, out / "best", preset="tuned", overwrite=True)
    space = search_space(suite, config, kt.HyperParameters())
    return {"search": {"tuner": tuner, "trials": len(trials),
                       "best_val_loss": float(trials[0]["val_loss"])},
            "best_config": {k: v for k, v in config_to_dict(best).items() if k in space},
            **metrics}


def run_worker(suite: Suite, config, out, tuner: str, max_trials: int, oracle: str | None,
               worker_id: str | None) -> dict:
    """Run trials for the chief at `oracle` until it has none left.

    The worker writes only `out`, its own marked and locked directory
    (keras-tuner's per-tuner project folder and scratch run directories);
    rerunning it with the same id reuses that directory and takes back the
    trial it was running.
    """
    if not oracle or not worker_id:
        raise ConfigError("--role worker needs --oracle HOST:PORT and --worker-id ID")
    host, port = distributed.parse_address(oracle, "--oracle")
    distributed.check_worker_id(worker_id)
    require_choice("tuner", tuner, TUNERS)
    out = Path(out)
    check_target(out, overwrite=True, flag="--out")
    out.mkdir(parents=True, exist_ok=True)
    with DirectoryLock(out):
        mark(out, f"tuning worker directory ({worker_id})")
        scratch = out / "scratch"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir()
        hypermodel = SuiteHyperModel(suite, config, scratch)
        with distributed.keras_tuner_env(worker_id, host, port):
            search = make_tuner(tuner, hypermodel, config, max_trials, out, overwrite=False)
            search.search(verbose=0)
        shutil.rmtree(scratch, ignore_errors=True)
    return {"worker": worker_id}
