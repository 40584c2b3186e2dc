"""keras-tuner search over a suite's `build_model(config)`.

Each trial turns the sampled hyperparameters into a config (the suite's own
dataclass, so its validation applies), builds and trains the model on the
suite's data, and reports `val_loss`. After the search the best config is
trained once more by the shared runner into `OUT/best`, which gives it the
same test metrics, plots and SavedModel as any `seqsuite train` run.
"""

from __future__ import annotations

import dataclasses
import gc
import json
from pathlib import Path

import keras
import keras_tuner as kt

from shared.config import config_to_dict, save_config
from shared.errors import ConfigError
from shared.runner import Suite, adapt, resolve_from_data, train
from tuning.spaces import SPACES

TUNERS = ("random", "grid", "bayesian", "hyperband")


class SuiteHyperModel(kt.HyperModel):
    """Builds `suite.model.build_model(config)` from sampled hyperparameters."""

    def __init__(self, suite: Suite, base_config, space):
        super().__init__(name=suite.name)
        self.suite = suite
        self.base_config = base_config
        self.space = space

    def config_for(self, hp):
        return dataclasses.replace(self.base_config, **self.space(hp))

    def data_for(self, config):
        data = self.suite.data.load_data(config)
        return data, resolve_from_data(config, data)

    def build(self, hp):
        # keras-tuner clears the Keras session before each build; collecting
        # here also frees the previous trial's Python-side graphs and datasets.
        gc.collect()
        # Data-derived fields (vocabulary sizes) come from the same data fit() will load.
        _, config = self.data_for(self.config_for(hp))
        keras.utils.set_random_seed(config.seed)
        return self.suite.model.build_model(config)

    def fit(self, hp, model, *args, **kwargs):
        data, config = self.data_for(self.config_for(hp))  # batch size is a hyperparameter
        adapt(model, data)
        if hasattr(self.suite.train, "fit_model"):
            # Closed-form training: report the validation loss the suite measures.
            model = self.suite.train.fit_model(model, data, config, None)
            return {"val_loss": float(self.suite.train.validation_loss(model, data, config))}
        callbacks = list(kwargs.pop("callbacks", []))
        if hasattr(self.suite.train, "callbacks"):
            callbacks += self.suite.train.callbacks(config)
        if config.patience:
            callbacks.append(keras.callbacks.EarlyStopping(
                patience=config.patience, restore_best_weights=True))
        return model.fit(
            data.train,
            validation_data=data.val,
            epochs=kwargs.pop("epochs", config.epochs),
            initial_epoch=kwargs.pop("initial_epoch", 0),
            callbacks=callbacks,
            verbose=kwargs.pop("verbose", 0),
            shuffle=False,
        )


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
         overwrite: bool = False) -> dict:
    """Search, write `best_config.json` and `trials.json`, train the best into OUT/best."""
    if tuner not in TUNERS:
        raise ConfigError(f"unknown tuner '{tuner}'; use one of {', '.join(TUNERS)}")
    if max_trials < 1:
        raise ConfigError(f"--max-trials must be >= 1, got {max_trials}")
    if suite.name not in SPACES:
        raise ConfigError(f"suite '{suite.name}' has no search space yet; tunable: "
                          f"{', '.join(SPACES)}")
    suite.data.load_data(config)  # bad data fails here, before the search writes anything
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    hypermodel = SuiteHyperModel(suite, config, SPACES[suite.name])
    search = make_tuner(tuner, hypermodel, config, max_trials, out, overwrite)
    search.search(verbose=1 if config.verbose else 0)
    trials = [
        {"trial": t.trial_id, "val_loss": t.score, "hyperparameters": t.hyperparameters.values}
        for t in search.oracle.get_best_trials(num_trials=max_trials * 10)
    ]
    (out / "trials.json").write_text(json.dumps(trials, indent=2) + "\n")
    best = hypermodel.config_for(search.get_best_hyperparameters(1)[0])
    save_config(best, out / "best_config.json")
    del search
    gc.collect()
    keras.backend.clear_session()
    metrics = train(suite, best, out / "best", preset="tuned", overwrite=True)
    return {"search": {"tuner": tuner, "trials": len(trials),
                       "best_val_loss": float(trials[0]["val_loss"])},
            "best_config": {k: v for k, v in config_to_dict(best).items()
                            if k in SPACES[suite.name](kt.HyperParameters())},
            **metrics}
