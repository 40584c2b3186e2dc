"""The reservoir suite's own behaviour. What every suite shares (a smoke run trains,
re-evaluates, exports and serves in a fresh process) is tests/suites/test_contract.py's;
the Mackey-Glass smoke run here is the one it trains."""

import json

import numpy as np
import pytest
import tensorflow as tf

from seqsuite import registry
from seqsuite.cli import main
from seqsuite.shared.run.runner import load_run
from seqsuite.suites.reservoir.data import load_data
from seqsuite.suites.reservoir.train import _unscale


@pytest.fixture(scope="module")
def mg_run(smoke_run):
    return smoke_run("reservoir")  # shared: copy it before changing anything in it


@pytest.mark.slow
def test_run_reports_esn_beside_persistence_and_lstm(mg_run):
    metrics = json.loads((mg_run / "metrics.json").read_text())
    test = metrics["test"]
    assert set(test) == {"esn", "persistence", "lstm_bptt"}
    assert test["esn"]["train_seconds"] > 0 and test["lstm_bptt"]["train_seconds"] > 0
    # A model that learned nothing fails here: even a 50-unit reservoir predicts
    # Mackey-Glass one step ahead far better than repeating the last value (NRMSE 0.023
    # against persistence's 0.14, seed 0), and a mean predictor's NRMSE is 1.
    assert test["esn"]["nrmse"] < 0.5 * test["persistence"]["nrmse"]
    assert test["esn"]["nrmse"] < 0.1
    for name in ("prediction.png", "baselines/lstm_bptt/model.keras",
                 "baselines/lstm_bptt/fit.json"):
        assert (mg_run / name).exists(), name


@pytest.mark.slow
def test_saved_model_takes_raw_series(mg_run):
    # Served in this process: test_contract serves every export in a fresh one.
    config, model = load_run(registry.get("reservoir"), mg_run)
    data = load_data(config)
    raw = data.inputs[None, :300]
    expected = _unscale(model.predict(data.scaled_inputs[None, :300])[0], config)
    serve = tf.saved_model.load(str(mg_run / "export")).signatures["serving_default"]
    served = serve(series=tf.constant(raw))["prediction"].numpy()
    np.testing.assert_allclose(served[0], expected, rtol=1e-4, atol=1e-4)


@pytest.mark.slow
def test_closed_loop_generation(tmp_path):
    out = tmp_path / "generate"
    assert main(["train", "reservoir", "--preset", "smoke", "--out", str(out),
                 "--set", "task=generate"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["test"]) == {"esn", "lstm_bptt"}
    generation = metrics["generation"]
    assert set(generation) == {"esn", "lstm_bptt"} and generation["esn"]["steps"] == 20
    # 20 steps on its own: NRMSE 0.60 (seed 0), where the series mean scores about 1
    assert generation["esn"]["nrmse"] < 0.85
    assert (out / "generation.png").exists()


@pytest.mark.parametrize("overrides, in_dims, out_dims", [
    (["data=narma10"], 1, 1),
    (["data=lorenz", "horizon=3"], 3, 9),
    (["data=henon"], 2, 2),
])
def test_tasks_and_shapes(overrides, in_dims, out_dims):
    config = registry.resolve_config("reservoir", "smoke", overrides)
    data = load_data(config)
    assert data.inputs.shape[1] == in_dims and data.targets.shape[1] == out_dims
    if config.task == "predict":
        h = config.horizon
        np.testing.assert_allclose(data.targets[10].reshape(h, in_dims), data.series[11 : 11 + h])
    x, y = next(iter(data.train))
    assert x.shape[1] == y.shape[1] == config.lstm_window


@pytest.mark.slow
def test_esn_identifies_narma10(tmp_path):
    out = tmp_path / "narma"
    assert main(["train", "reservoir", "--preset", "smoke", "--out", str(out), "--set",
                 "data=narma10", "n_steps=4000", "units=100", "spectral_radius=0.95",
                 "leak_rate=1.0", "input_scaling=0.2", "ridge=1e-8", "compare_lstm=false"]) == 0
    test = json.loads((out / "metrics.json").read_text())["test"]
    assert test["esn"]["nrmse"] < 0.6  # about 0.45; the benchmark holds the 0.44 target


@pytest.mark.slow
@pytest.mark.parametrize("overrides, message", [
    (["task=system_id"], "task=system_id goes with data=narma10"),
    (["data=narma10", "task=predict"], "task=system_id goes with"),
    (["data=weather"], "unknown data 'weather'"),
    (["task=generate", "generate_steps=500"], "generate_steps=500 exceeds"),
    (["n_steps=20"], "too few"),
    (["spectral_radius=0"], "spectral_radius must be > 0"),
    (["leak_rate=1.5"], "leak_rate must be in (0, 1]"),
    (["connectivity=0"], "connectivity must be in (0, 1]"),
])
def test_bad_settings_get_one_line_errors(tmp_path, capsys, overrides, message):
    out = tmp_path / "run"
    assert main(["train", "reservoir", "--preset", "smoke", "--out", str(out),
                 "--set", *overrides]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and not out.exists(), err


@pytest.mark.slow
def test_reservoir_search_space(tmp_path):
    out = tmp_path / "tune"
    assert main(["tune", "reservoir", "--tuner", "random", "--max-trials", "2", "--preset",
                 "smoke", "--set", "compare_lstm=false", "--out", str(out)]) == 0
    trials = json.loads((out / "trials.json").read_text())
    assert len(trials) == 2 and all(np.isfinite(t["val_loss"]) for t in trials)
