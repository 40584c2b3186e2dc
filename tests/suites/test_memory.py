import csv
import dataclasses
import json
import math
import shutil

import numpy as np
import pytest
import tensorflow as tf

from seqsuite import registry
from seqsuite.cli import main
from seqsuite.shared.errors import ConfigError
from seqsuite.shared.run.runner import load_run
from seqsuite.suites.memory.data import (
    adding_problem,
    copy_baseline,
    copy_task,
    load_data,
    make_arrays,
)


def _config(*overrides, preset="smoke"):
    return registry.resolve_config("memory", preset, list(overrides))


def test_adding_problem_marks_one_value_in_each_half():
    x, y = adding_problem(500, 30, np.random.default_rng(0))
    assert x.shape == (500, 30, 2) and y.shape == (500, 1)
    markers = x[..., 1]
    assert np.all(markers.sum(axis=1) == 2)
    assert np.all(markers[:, :15].sum(axis=1) == 1) and np.all(markers[:, 15:].sum(axis=1) == 1)
    np.testing.assert_allclose(y[:, 0], (x[..., 0] * markers).sum(axis=1), rtol=1e-6)


def test_adding_baseline_is_one_sixth():
    _, y = adding_problem(40000, 4, np.random.default_rng(1))
    assert np.mean((1.0 - y) ** 2) == pytest.approx(1 / 6, abs=0.004)


def test_copy_task_layout_and_memoryless_baseline():
    delay, symbols, remember = 7, 8, 4
    x, y = copy_task(50, delay, symbols, remember, np.random.default_rng(0))
    tokens = x.argmax(-1)
    assert x.shape == (50, delay + 2 * remember, symbols + 2)
    np.testing.assert_array_equal(y[:, -remember:], tokens[:, :remember])
    assert np.all((tokens[:, :remember] >= 1) & (tokens[:, :remember] <= symbols))
    assert np.all(tokens[:, delay + remember - 1] == symbols + 1)  # the delimiter
    assert np.all(np.delete(tokens, [*range(remember), delay + remember - 1], axis=1) == 0)
    assert np.all(y[:, :-remember] == 0)
    # Blanks with certainty, then a uniform guess: the formula's cross-entropy.
    config = _config("task=copy", f"length={delay}", f"copy_symbols={symbols}",
                     f"copy_length={remember}")
    per_step = np.r_[np.zeros(delay + remember), np.full(remember, math.log(symbols))]
    assert copy_baseline(config) == pytest.approx(per_step.mean())


def test_digits_read_pixel_by_pixel_and_permuted_the_same_way_every_run():
    plain = make_arrays(_config("task=digits", "length=128"))
    x, y = plain["train"]
    assert x.shape[1:] == (128, 1) and x.max() <= 1.0 and set(np.unique(y)) == set(range(10))
    np.testing.assert_array_equal(x[:, 0::2], x[:, 1::2])  # each pixel held two steps
    assert sum(len(part[1]) for part in plain.values()) == 1797
    seeds = [make_arrays(_config("task=permuted_digits", f"seed={s}")) for s in (0, 1)]
    sorted_rows = [np.sort(np.concatenate([p[0][..., 0] for p in a.values()]), axis=0)
                   for a in seeds]
    np.testing.assert_array_equal(*sorted_rows)  # same permutation; only the split differs
    permuted = seeds[0]["test"][0][..., 0]
    assert not np.array_equal(np.sort(permuted, axis=1), permuted)


def test_splits_are_disjoint_and_seeded():
    arrays = make_arrays(_config("task=adding", "samples=200", "length=5"))
    assert [len(arrays[s][0]) for s in ("train", "val", "test")] == [140, 20, 40]
    again = make_arrays(_config("task=adding", "samples=200", "length=5"))
    np.testing.assert_array_equal(arrays["test"][0], again["test"][0])
    assert not np.array_equal(arrays["train"][0][:20], arrays["val"][0])


@pytest.mark.parametrize("overrides, message", [
    (["task=sorting"], "task must be one of adding, copy, digits, permuted_digits"),
    (["task=digits", "length=100"], "must be a multiple of 64"),
    (["cell=transformer"], "unknown cell 'transformer'; use one of lstm, .*, esn"),
    (["recurrent_gain=0"], "recurrent_gain must be > 0"),
    (["leak_rate=0"], r"leak_rate must be in \(0, 1\]"),
    (["samples=4"], "leaves an empty validation or test split"),
    (["recurrent_init=he"], "unknown recurrent_init 'he'"),
])
def test_bad_settings_get_one_line(overrides, message):
    with pytest.raises(ConfigError, match=message) as info:
        _config(*overrides)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("task, cell", [("adding", "lstm"), ("copy", "esn"),
                                        ("digits", "zoneout_lstm"), ("copy", "gru")])
def test_every_model_builds_for_every_task_shape(task, cell):
    extra = ["zoneout_h=0.1", "zoneout_c=0.05"] if cell == "zoneout_lstm" else []
    config = _config(f"task={task}", f"cell={cell}", "length=64", *extra)
    suite = registry.get("memory")
    data = load_data(config)
    model = suite.build_model(config)
    x, _ = data.arrays["test"]
    out = model.predict(x[:3], verbose=0)
    expected = {"adding": (3, 1), "copy": (3, config.steps, 10), "digits": (3, 10)}[task]
    assert out.shape == expected


# End to end. What every suite shares (a smoke run trains, re-evaluates, exports and
# serves in a fresh process) is tests/suites/test_contract.py's, on the smoke run that
# test_smoke_model_solves_the_adding_problem reads (the smoke preset logs gradients on
# the adding problem, T=64).

@pytest.fixture(scope="module")
def adding_run(smoke_run):
    return smoke_run("memory")  # copy before changing


@pytest.mark.slow
def test_smoke_model_solves_the_adding_problem(smoke_run):
    """A model that learned nothing fails here: always answering 1 (the baseline) scores
    an MSE of about 1/6; the smoke GRU reaches 4.5% of it at T=64 (seed 0; 6% and 7%
    with seeds 1 and 2)."""
    metrics = json.loads((smoke_run("memory") / "metrics.json").read_text())
    assert metrics["test"]["model"]["loss"] < 0.25 * metrics["test"]["baseline"]["loss"]
    assert metrics["memory"]["solved"] == "yes"  # below 10% of the baseline's loss


@pytest.mark.slow
def test_run_reports_baseline_curves_and_gradient_flow(adding_run):
    for name in ("gradient_flow.png", "learning_curve.png", "history.png", "gradients.csv"):
        assert (adding_run / name).exists(), name
    metrics = json.loads((adding_run / "metrics.json").read_text())
    config, _ = load_run(registry.get("memory"), adding_run)
    y = make_arrays(config)["test"][1]
    assert metrics["test"]["baseline"]["loss"] == pytest.approx(np.mean((1 - y) ** 2))
    assert set(metrics["gradient_flow"]) == {"untrained", "trained"}
    assert np.isfinite(metrics["gradient_flow"]["untrained"]["log10_grad_norm_last"])
    with (adding_run / "history.csv").open() as f:
        row = next(csv.DictReader(f))
    assert {"grad_norm", "grad_clip_fraction", "grad_norm/recurrent_0", "grad_norm/head"} <= set(row)


@pytest.mark.slow
def test_evaluate_on_longer_sequences_and_serve(adding_run, tmp_path, capsys):
    run = shutil.copytree(adding_run, tmp_path / "run")  # evaluate writes RUN/evaluations
    assert main(["evaluate", "--run", str(run), "--set", "length=128", "--name", "longer"]) == 0
    where = run / "evaluations" / "longer"
    assert json.loads((where / "metrics.json").read_text())["data"]["length"] == 128
    assert json.loads((run / "metrics.json").read_text())["data"]["length"] == 64
    # the learning curve comes from the run's history, the plots go to the evaluation
    assert (where / "learning_curve.png").exists() and (where / "gradient_flow.png").exists()
    assert main(["evaluate", "--run", str(run), "--set", "units=3"]) == 2
    assert "fixed when the run was trained" in capsys.readouterr().err
    # Served in this process: test_contract serves every export in a fresh one.
    config, model = load_run(registry.get("memory"), run)
    x = make_arrays(config)["test"][0][:4]
    serve = tf.saved_model.load(str(run / "export")).signatures["serving_default"]
    np.testing.assert_allclose(serve(sequence=tf.constant(x))["sum"].numpy(),
                               model.predict(x, verbose=0)[:, 0], rtol=1e-4, atol=1e-5)


@pytest.mark.slow
def test_echo_state_network_on_the_copy_task(tmp_path):
    out = tmp_path / "esn"
    # One short epoch: this checks the pipeline, not what the ESN learns
    assert main(["train", "memory", "--preset", "smoke", "--out", str(out), "--set",
                 "task=copy", "cell=esn", "length=10", "samples=256", "epochs=1",
                 "batch_size=64"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test"]["baseline"]["accuracy"] == 1 / 8
    assert {"loss", "accuracy"} <= set(metrics["test"]["model"])


def test_search_space_drives_build_model():
    """Three draws from the search space each build a compiled model that runs (a whole
    `seqsuite tune` is tests/tuning's)."""
    import keras_tuner as kt

    suite = registry.get("memory")
    space = kt.HyperParameters()
    suite.search_space(space)
    base = _config("length=12")
    x = make_arrays(base)["test"][0][:2]
    for draw in range(3):
        hp = kt.HyperParameters()
        hp.values.update({p.name: p.random_sample(draw) for p in space.space})
        config = dataclasses.replace(base, **suite.search_space(hp))
        model = suite.build_model(config)
        assert model.optimizer is not None
        assert np.isfinite(np.asarray(model(x))).all()
