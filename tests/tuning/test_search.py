import json

import pytest

from seqsuite.cli import main


@pytest.mark.slow
@pytest.mark.parametrize("tuner", ["random", "grid", "bayesian", "hyperband"])
def test_each_tuner_searches_and_trains_the_best(tmp_path, tuner, capsys):
    out = tmp_path / tuner
    argv = ["tune", "forecasting", "--tuner", tuner, "--max-trials", "2", "--preset", "smoke",
            "--set", "data=sunspots", "epochs=2", "--out", str(out)]
    assert main(argv) == 0
    trials = json.loads((out / "trials.json").read_text())
    # Hyperband may stop a bracket early; the others run every trial asked for.
    assert len(trials) == 2 or (tuner == "hyperband" and len(trials) == 1), trials
    losses = [t["val_loss"] for t in trials if t["val_loss"] is not None]
    assert losses and losses == sorted(losses), trials  # the best trial has the lowest loss
    assert trials[0]["val_loss"] == min(losses)
    best = json.loads((out / "best_config.json").read_text())
    assert best["cell"] == trials[0]["hyperparameters"]["cell"]
    assert best["units"] == trials[0]["hyperparameters"]["units"]
    assert (out / "best" / "metrics.json").exists() and (out / "best" / "export").is_dir()
    assert "best_val_loss" in capsys.readouterr().out


@pytest.mark.slow
def test_unknown_tuner_is_a_one_line_error(tmp_path, capsys):
    assert main(["tune", "forecasting", "--tuner", "genetic", "--out", str(tmp_path / "t")]) == 2
    assert "unknown tuner 'genetic'; use one of random, grid, bayesian, hyperband" in \
        capsys.readouterr().err
