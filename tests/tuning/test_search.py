import json

import keras_tuner as kt
import numpy as np
import pytest

from seqsuite import registry
from seqsuite.cli import main
from seqsuite.tuning.search import SuiteHyperModel

# The memory suite's adding problem at its cheapest: trials of a second or two, whose
# validation losses still differ between hyperparameters.
SMALL = ["--preset", "smoke", "--set", "samples=256", "length=32", "batch_size=64",
         "epochs=2", "log_gradients=false"]


@pytest.mark.slow
@pytest.mark.parametrize("tuner", ["random", "grid", "bayesian", "hyperband"])
def test_each_tuner_searches_and_ranks_by_loss(tmp_path, tuner):
    """Each oracle runs its trials; the best is the one with the lowest loss. (The
    command's own path, the best retrained and exported, is the test below.)"""
    from seqsuite.shared.run.runner import resolve_config
    from seqsuite.tuning.search import make_tuner

    suite = registry.get("memory")
    config = resolve_config(suite, "smoke", SMALL[3:])
    (tmp_path / "scratch").mkdir()
    search = make_tuner(tuner, SuiteHyperModel(suite, config, tmp_path / "scratch"), config,
                        2, tmp_path, overwrite=True)
    search.search(verbose=0)
    trials = search.oracle.get_best_trials(num_trials=10)
    # Hyperband may stop a bracket early; the others run every trial asked for.
    assert len(trials) == 2 or (tuner == "hyperband" and len(trials) == 1), trials
    losses = [t.score for t in trials]
    assert None not in losses and losses == sorted(losses)
    assert len({str(t.hyperparameters.values) for t in trials}) == len(trials)


@pytest.mark.slow
def test_tune_command_writes_the_trials_and_trains_the_best(tmp_path, capsys):
    out = tmp_path / "tuned"
    argv = ["tune", "memory", "--tuner", "bayesian", "--max-trials", "2", *SMALL,
            "--out", str(out)]
    assert main(argv) == 0
    trials = json.loads((out / "trials.json").read_text())
    assert len(trials) == 2, trials
    losses = [t["val_loss"] for t in trials if t["val_loss"] is not None]
    assert losses and losses == sorted(losses), trials  # the best trial has the lowest loss
    assert trials[0]["val_loss"] == min(losses)
    best = json.loads((out / "best_config.json").read_text())
    assert best["cell"] == trials[0]["hyperparameters"]["cell"]
    assert best["units"] == trials[0]["hyperparameters"]["units"]
    assert (out / "best" / "metrics.json").exists() and (out / "best" / "export").is_dir()
    assert "best_val_loss" in capsys.readouterr().out


def _largest(hp: kt.HyperParameters) -> kt.HyperParameters:
    """`hp` with every hyperparameter at its last choice or its maximum."""
    for parameter in hp.space:
        if isinstance(parameter, kt.engine.hyperparameters.Choice):
            hp.values[parameter.name] = parameter.values[-1]
        elif isinstance(parameter, kt.engine.hyperparameters.Boolean):
            hp.values[parameter.name] = not parameter.default
        else:
            hp.values[parameter.name] = parameter.max_value
    return hp


@pytest.mark.slow
@pytest.mark.parametrize("name,overrides", [("tagging", []), ("translation", []),
                                            ("sentiment", ["encoder=transformer"])])
def test_search_space_drives_build_model(name, overrides, tmp_path):
    """The tuner's hypermodel turns the space's last choices (the widest, deepest models;
    the defaults are the first) into the suite's config, and builds a model that trains;
    a Transformer encoder adds the attention's entries."""
    from seqsuite.tuning.search import search_space

    suite = registry.get(name)
    base = registry.resolve_config(name, "smoke", overrides)
    hypermodel = SuiteHyperModel(suite, base, tmp_path)
    hp = kt.HyperParameters()
    space = search_space(suite, base, hp)
    assert ({"heads", "layers"} <= set(space)) == bool(overrides)
    model = hypermodel.build(_largest(hp))
    _, data, config = hypermodel.prepared
    for key, value in search_space(suite, base, hp).items():
        assert getattr(config, key) == value, key
    if overrides:
        assert (config.encoder, config.heads, config.layers) == ("transformer", 4, 3)
        assert "encoder_2" in [layer.name for layer in model.layers]
    inputs, targets = next(iter(data.train))
    model.run_eagerly = True  # one step: tracing it would cost more than running it
    assert np.all(np.isfinite(model.train_on_batch(inputs, targets)))


@pytest.mark.slow
def test_unknown_tuner_is_a_one_line_error(tmp_path, capsys):
    assert main(["tune", "forecasting", "--tuner", "genetic", "--out", str(tmp_path / "t")]) == 2
    assert "unknown tuner 'genetic'; use one of random, grid, bayesian, hyperband" in \
        capsys.readouterr().err
