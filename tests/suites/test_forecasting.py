"""The forecasting suite's own behaviour. What every suite shares (a smoke run trains,
re-evaluates into evaluations/, exports and serves in a fresh process) is
tests/suites/test_contract.py's; the CO2 smoke run here is the one it trains."""

import io
import json
import shutil
import textwrap

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from seqsuite import registry
from seqsuite.cli import main
from seqsuite.shared.run.runner import load_run
from seqsuite.suites.forecasting.data import load_data
from seqsuite.suites.forecasting.model import predict


@pytest.fixture(scope="module")
def co2_run(smoke_run):
    return smoke_run("forecasting")  # shared: copy it before changing anything in it


@pytest.mark.slow
def test_run_directory_is_complete(co2_run):
    for name in ("history.csv", "forecast.png", "history.png",
                 "baselines/statistical/forecasts.npz"):
        assert (co2_run / name).exists(), name
    assert any((co2_run / "logs").rglob("events.out.tfevents*"))
    assert not (co2_run / "checkpoint").exists()
    metrics = json.loads((co2_run / "metrics.json").read_text())
    assert set(metrics["test"]) == {"model", "model+theta", "combined", "seasonal_naive",
                                    "naive2", "theta"}
    assert set(metrics["validation"]) == {"model", "model+theta", "theta"}
    assert 0 <= metrics["combination"]["model_weight"]["weekly"] <= 1
    model = metrics["test"]["model"]
    for key in ("mae", "rmse", "smape", "mase", "owa", "coverage_80", "coverage_95", "msis_95",
                "quantile_loss", "wql"):
        assert np.isfinite(model[key]), key
    assert metrics["test"]["naive2"]["owa"] == pytest.approx(1.0)
    assert json.loads((co2_run / "config.json").read_text())["window"] == 104
    learned = json.loads((co2_run / "learned.json").read_text())
    assert learned["calendar_features"]  # weekly dates give week-of-year covariates
    # intervals=auto: ~330 validation forecasts calibrate both intervals at every step
    offsets = np.array(learned["conformal"])
    assert offsets.shape == (8, 5) and np.all(offsets[:, 2] == 0)
    np.testing.assert_array_equal(offsets[:, [0, 1]], -offsets[:, [4, 3]])  # symmetric


@pytest.mark.slow
def test_smoke_model_beats_the_naive_forecasts(co2_run):
    """A model that learned nothing fails here: on the CO2 test origins the smoke model's
    MASE is 0.35 against naive2's 0.55 and seasonal naive's 1.33 (seed 0)."""
    test = json.loads((co2_run / "metrics.json").read_text())["test"]
    assert test["model"]["mase"] < 0.8 * test["naive2"]["mase"]
    assert test["model"]["mase"] < 0.5 * test["seasonal_naive"]["mase"]
    assert test["model"]["owa"] < 0.8  # OWA is relative to naive2: 1 is no better


@pytest.mark.slow
def test_saved_model_serves_raw_windows_in_original_units(co2_run):
    # Served in this process: test_contract serves every export in a fresh one.
    config, model = load_run(registry.get("forecasting"), co2_run)
    data = load_data(config)
    inputs = {k: v[:5] for k, v in data.windows["test"].inputs.items()}
    assert set(inputs) == {"window", "known"} and inputs["known"].shape[1] == 104 + 8
    serve = tf.saved_model.load(str(co2_run / "export")).signatures["serving_default"]
    served = {k: v.numpy() for k, v in serve(window=tf.constant(inputs["window"]),
                                             known=tf.constant(inputs["known"])).items()}
    expected = predict(model, inputs, config)
    np.testing.assert_allclose(served["forecast"], expected["forecast"], rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(served["quantiles"], expected["quantiles"], rtol=1e-4, atol=1e-3)
    assert served["quantiles"].shape == (5, 8, 5)
    # original units: CO2 is ~300-380 ppm, never scaled values around 0
    assert 300 < served["forecast"].mean() < 400
    assert np.all(served["lower_95"] <= served["lower_80"])
    assert np.all(served["upper_80"] <= served["upper_95"])


@pytest.mark.slow
def test_dated_signature_takes_the_last_timestamp_in_a_fresh_process(co2_run, tmp_path,
                                                                     plain_tensorflow):
    """The `dated` endpoint computes the calendar covariates in the graph from a timestamp
    string; it must give what serving_default gives with the covariates the training
    code computes, and answer an unreadable date with a status, not an exception."""
    config, model = load_run(registry.get("forecasting"), co2_run)
    assert config.frequency == "W-SAT"  # statsmodels' CO2 weeks end on Saturdays
    data = load_data(config)
    test = data.windows["test"]
    pick = np.arange(0, len(test), max(1, len(test) // 4))[:4]
    series = data.series[0]
    stamps = [str(pd.Timestamp(series.time[test.origin[i] - 1]).date()) for i in pick]
    stamps.append("2001-02-30")  # no such day
    window = np.concatenate([test.inputs["window"][pick], test.inputs["window"][pick[:1]]])
    np.save(tmp_path / "window.npy", window)
    script = textwrap.dedent(f"""
        import json, sys, numpy as np, tensorflow as tf
        served = tf.saved_model.load({str(co2_run / "export")!r})
        out = served.signatures["dated"](window=tf.constant(np.load("window.npy")),
                                         last_time=tf.constant({stamps!r}))
        assert not any(m.split(".")[0] == "seqsuite" for m in sys.modules), "imported project"
        try:  # a window of the wrong rank: a message that names it, not a deep graph error
            served.signatures["serving_default"](
                window=tf.zeros([2, {config.window}, 1]), known=tf.zeros([2, 112, 2]))
            wrong = "no error"
        except tf.errors.InvalidArgumentError as err:
            wrong = err.message
        print(json.dumps({{"forecast": out["forecast"].numpy().tolist(),
                          "upper_95": out["upper_95"].numpy().tolist(),
                          "status": [s.decode() for s in out["status"].numpy()],
                          "wrong": wrong}}))
    """)
    proc = plain_tensorflow(script, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    expected = predict(model, {k: v[pick] for k, v in test.inputs.items()}, config)
    np.testing.assert_allclose(result["forecast"][:4], expected["forecast"], rtol=1e-5)
    np.testing.assert_allclose(result["upper_95"][:4], expected["quantiles"][..., -1],
                               rtol=1e-5)
    assert result["status"][:4] == ["ok"] * 4
    assert result["status"][4] == ("last_time '2001-02-30' is not a date; write it as "
                                   "YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS]")
    assert all(v is None or np.isnan(v) for v in result["forecast"][4])
    assert ("window must be float32 [batch, 104] (the last 104 observations of each series, "
            "NaN where missing); received shape] [2 104 1]") in result["wrong"]


@pytest.mark.slow
def test_backtest_command(co2_run, tmp_path, capsys):
    run = shutil.copytree(co2_run, tmp_path / "run")  # backtest writes RUN/backtest
    assert main(["backtest", "--run", str(run), "--origins", "5", "--stride", "4"]) == 0
    assert "backtest written to" in capsys.readouterr().out
    table = pd.read_csv(run / "backtest" / "origins.csv")
    assert list(table["origin"]) == [-4, -3, -2, -1, 0]
    assert np.all(np.diff(table["index"]) == 4)
    assert table["index"].iloc[-1] == 2284 - 8  # the last origin with a full horizon ahead
    assert {"model_mase", "naive2_mase", "model_coverage_80"} <= set(table.columns)
    for name in ("errors.png", "forecasts.png", "metrics.json"):
        assert (run / "backtest" / name).exists()
    assert main(["backtest", "--run", str(run), "--origins", "0"]) == 2


@pytest.mark.slow
def test_anomaly_mode_on_sunspots_without_baselines(tmp_path):
    # One run for two options that do not interact: task=anomaly, and baselines= (none).
    out = tmp_path / "ss"
    assert main(["train", "forecasting", "--preset", "smoke", "--out", str(out),
                 "--set", "data=sunspots", "task=anomaly", "baselines=", "units=32"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    anomaly = metrics["anomaly"]
    assert {"precision", "recall", "f1", "injected_points"} <= set(anomaly)
    table = pd.read_csv(out / "anomalies.csv")
    assert table["injected"].sum() == anomaly["injected_points"]
    assert (out / "anomalies.png").exists()
    assert set(metrics["test"]) == {"model"} and not (out / "baselines").exists()
    assert main(["evaluate", "--run", str(out)]) == 0
    _tflite_streams_as_the_saved_model(out)


def _tflite_streams_as_the_saved_model(out):
    """The run (undated: no timestamp strings) converts to TensorFlow Lite, float and with
    int8 weights; the float model streams the SavedModel's forecasts, the quantised one
    within a few percent of the series' spread, in fewer bytes (the weight matrices of
    1,024 entries or more as int8; the unrolled graph is most of the file)."""
    for quantize in ("none", "dynamic"):
        assert main(["export", "--run", str(out), "--tflite", "--quantize", quantize]) == 0
    assert main(["export", "--run", str(out), "--tflite"]) == 2  # exists: not replaced
    float_bytes, int8_bytes = ((out / n).stat().st_size
                               for n in ("stream.tflite", "stream-dynamic.tflite"))
    assert int8_bytes < float_bytes - 3 * 32 * 32 * 4  # at least the 32-unit LSTM's weights
    config, _ = load_run(registry.get("forecasting"), out)
    values = load_data(config).series[0].values[:config.window + 10].astype("float32")
    served = tf.saved_model.load(str(out / "export"))
    runners = {n: tf.lite.Interpreter(model_path=str(out / n)).get_signature_runner()
               for n in ("stream.tflite", "stream-dynamic.tflite")}
    states = {n: {"state_window": np.full((1, config.window), np.nan, "float32")}
              for n in [*runners, "saved"]}
    errors = []
    for v in values:
        want = served.signatures["stream"](value=tf.constant([v]), **states["saved"])
        states["saved"] = {"state_window": want["state_window"]}
        got = {n: r(value=np.array([v]), **states[n]) for n, r in runners.items()}
        for n in runners:
            states[n] = {"state_window": got[n]["state_window"]}
        if bool(want["ready"][0]):
            np.testing.assert_allclose(got["stream.tflite"]["quantiles"], want["quantiles"],
                                       rtol=1e-4, atol=1e-3)
            errors.append(np.abs(got["stream-dynamic.tflite"]["forecast"]
                                 - want["forecast"].numpy()).max())
    assert len(errors) == 11 and max(errors) < 0.05 * values.std(), errors


def _csv(path, n=120, **edits):
    t = np.arange(n)
    frame = pd.DataFrame({"time": pd.date_range("2020-01-01", periods=n, freq="D").astype(str),
                          "value": np.sin(t / 5) * 10 + 50, "temp": np.cos(t / 7)})
    frame = frame.sample(frac=1.0, random_state=0)  # rows out of order on purpose
    for column, (row, value) in edits.items():
        frame[column] = frame[column].astype(object)
        frame.iloc[row, frame.columns.get_loc(column)] = value
    frame.to_csv(path, index=False)
    return path


@pytest.mark.slow
def test_csv_with_extra_feature(tmp_path, capsys):
    path = _csv(tmp_path / "s.csv")
    config = registry.resolve_config("forecasting", "smoke",
                                     [f"data={path}", "features=temp", "window=10", "horizon=3"])
    data = load_data(config)
    train = data.windows["train"]
    assert train.inputs["window"].shape[1:] == (10,) and train.y.shape[1] == 3
    assert train.inputs["past"].shape[1:] == (10, 1)
    assert train.inputs["known"].shape[1:] == (13, len(config.calendar_features or
                                                       data.learned["calendar_features"]))
    assert data.series[0].period == 7  # daily dates: a weekly season
    ordered = np.sin(np.arange(120) / 5) * 10 + 50  # the sorted series
    t = train.origin[0]
    np.testing.assert_allclose(train.y[0], ordered[t : t + 3], rtol=1e-5)
    out = tmp_path / "run"
    assert main(["train", "forecasting", "--preset", "smoke", "--out", str(out), "--set",
                 f"data={path}", "features=temp", "window=10", "horizon=3"]) == 0

    # Streamed in time order, with the covariate, the forecast after the last row is the
    # `forecast` command's (the same last window, served by another signature).
    live = tmp_path / "live.csv"
    pd.read_csv(path).sort_values("time")[["time", "temp", "value"]].to_csv(live, index=False)
    capsys.readouterr()
    assert main(["stream", "--run", str(out), str(live)]) == 0
    streamed = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert len(streamed) == (120 - 10 + 1) * 3 and streamed["row"].iloc[0] == 9
    assert main(["forecast", "--run", str(out)]) == 0
    final = pd.read_csv(io.StringIO(capsys.readouterr().out))
    np.testing.assert_allclose(streamed["forecast"].iloc[-3:], final["forecast"], rtol=1e-4)


def _expect_error(capsys, argv, message, out):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("seqsuite: error:") and "\n" not in err, err
    assert message in err, err
    assert not out.exists(), "a failed run must not leave a run directory"


@pytest.mark.parametrize("edits, extra, message", [
    ({}, ["target=price"], "has no column 'price'"),
    ({"value": (3, "abc")}, [], "non-numeric value ('abc')"),
    ({"value": (3, np.nan)}, [], "1 missing values; fill them or pass --set fill=interpolate"),
    ({"time": (5, "2020-01-01")}, [], "two rows at time"),
    ({}, ["window=200"], "too few for window=200"),
    ({"time": (5, "not a date")}, [], "unreadable value"),
])
def test_bad_csv_gets_one_line_error(tmp_path, capsys, edits, extra, message):
    path = _csv(tmp_path / "bad.csv", **edits)
    out = tmp_path / "run"
    _expect_error(capsys, ["train", "forecasting", "--preset", "smoke", "--out", str(out),
                           "--set", f"data={path}", *extra], message, out)


def test_nan_csv_can_be_interpolated(tmp_path):
    path = _csv(tmp_path / "gaps.csv", value=(3, np.nan))
    config = registry.resolve_config("forecasting", "smoke",
                            [f"data={path}", "fill=interpolate", "window=10"])
    assert np.isfinite(load_data(config).series[0].values).all()


@pytest.mark.parametrize("argv, message", [
    (["train", "forecast"], "unknown suite 'forecast'; available: "),
    (["train", "forecasting", "--preset", "tiny"], "unknown preset 'tiny'"),
    (["train", "forecasting", "--set", "unit=3"], "did you mean 'units'"),
    (["train", "forecasting", "--set", "units=3.5"], "expects int, got '3.5'"),
    (["train", "forecasting", "--set", "data=/no/such.csv"], "not found"),
    (["train", "forecasting", "--bogus"], "unrecognized arguments: --bogus"),
])
def test_bad_arguments_get_one_line_error(tmp_path, capsys, argv, message):
    out = tmp_path / "run"
    _expect_error(capsys, [*argv, "--out", str(out)], message, out)


@pytest.mark.slow
def test_finished_run_is_not_overwritten_silently(co2_run, tmp_path, capsys):
    run = shutil.copytree(co2_run, tmp_path / "run")
    assert main(["train", "forecasting", "--preset", "smoke", "--out", str(run)]) == 2
    assert "pass --overwrite" in capsys.readouterr().err


@pytest.mark.slow
def test_interrupted_run_resumes_from_last_finished_epoch(tmp_path, monkeypatch, capsys):
    import csv

    import keras

    out = tmp_path / "r"
    argv = ["train", "forecasting", "--preset", "smoke", "--out", str(out),
            "--set", "data=sunspots", "epochs=3"]
    original = keras.callbacks.CSVLogger.on_epoch_end

    def interrupt_after_first_epoch(self, epoch, logs=None):
        original(self, epoch, logs)
        if epoch == 0:
            raise KeyboardInterrupt

    monkeypatch.setattr(keras.callbacks.CSVLogger, "on_epoch_end", interrupt_after_first_epoch)
    assert main(argv) == 130
    assert "rerun the same command to resume" in capsys.readouterr().err
    assert (out / "checkpoint" / "last.keras").exists() and not (out / "metrics.json").exists()
    monkeypatch.undo()
    assert main(argv + ["verbose=1"]) == 2  # a different config is not silently resumed
    assert "different config" in capsys.readouterr().err
    assert main(argv) == 0
    with (out / "history.csv").open() as f:
        assert [int(r["epoch"]) for r in csv.DictReader(f)] == [0, 1, 2]
    assert (out / "metrics.json").exists()


def _long_csv(path, ids=("a", "b", "c"), n=60, future=0, drop_future=None):
    """Daily series in long format with a known-in-advance `promo` column; the last
    `future` rows of each series leave the target empty."""
    rows = []
    for k, name in enumerate(ids):
        for i in range(n + future):
            promo = float((i + k) % 7 == 0)
            value = 20 + 5 * k + 3 * np.sin(i / 3) + 4 * promo if i < n else ""
            if i >= n and drop_future == (name, i - n):
                promo = ""
            rows.append({"item": name, "date": str(pd.Timestamp("2021-01-01")
                                                   + pd.Timedelta(days=i)).split()[0],
                         "sales": value, "promo": promo})
    pd.DataFrame(rows).sample(frac=1.0, random_state=1).to_csv(path, index=False)
    return path


LONG = ["id_column=item", "time_column=date", "target=sales", "known=promo", "window=14",
        "horizon=7", "embedding=2"]


@pytest.mark.slow
def test_global_model_on_a_long_csv_with_known_covariates(tmp_path, capsys):
    path = _long_csv(tmp_path / "sales.csv", future=7)
    out = tmp_path / "g"
    # head=gaussian here, head=student_t in test_distribution_heads: one run for each head
    assert main(["train", "forecasting", "--preset", "smoke", "--out", str(out), "--set",
                 f"data={path}", *LONG, "head=gaussian"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["data"]["series"] == 3 and metrics["data"]["test_forecasts"] == 3
    scores = metrics["test"]["model"]
    assert 0 <= scores["coverage_80"] <= scores["coverage_95"] <= 1
    config, model = load_run(registry.get("forecasting"), out)
    assert sorted(config.series_ids) == ["a", "b", "c"] and config.n_known == 1 + len(
        config.calendar_features)
    assert config.conformal is None  # intervals=auto: 3 validation forecasts are too few
    # The dated endpoint with a known column: only the user's column, calendar from the date.
    test = load_data(config).windows["test"]
    served = tf.saved_model.load(str(out / "export"))
    full = served.signatures["serving_default"](window=tf.constant(test.inputs["window"]),
                                                known=tf.constant(test.inputs["known"]),
                                                series=tf.constant(test.inputs["series"]))
    last = [str(pd.Timestamp("2021-01-01") + pd.Timedelta(days=int(t) - 1))[:10]
            for t in test.origin]
    dated = served.signatures["dated"](
        window=tf.constant(test.inputs["window"]), series=tf.constant(test.inputs["series"]),
        known=tf.constant(test.inputs["known"][..., -1:]), last_time=tf.constant(last))
    np.testing.assert_allclose(dated["forecast"].numpy(), full["forecast"].numpy(), rtol=1e-5)
    capsys.readouterr()
    assert main(["forecast", "--run", str(out)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "id,time,forecast,lower_80,upper_80,lower_95,upper_95,combined"
    assert len(lines) == 1 + 3 * 7 and any(line.startswith("a,2021-03-02,") for line in lines)
    # an id the embedding never saw, and a known covariate missing in the future rows
    unseen = _long_csv(tmp_path / "new.csv", ids=("a", "zz"), future=7)
    assert main(["forecast", "--run", str(out), "--data", str(unseen)]) == 2
    assert "series 'zz' was not in the training data" in capsys.readouterr().err
    holes = _long_csv(tmp_path / "holes.csv", future=7, drop_future=("b", 3))
    assert main(["forecast", "--run", str(out), "--data", str(holes)]) == 2
    err = capsys.readouterr().err
    assert "'b'" in err and "'promo'" in err and "\n" not in err.strip()


@pytest.mark.slow
def test_competition_collection_keeps_short_series(tmp_path):
    config = registry.resolve_config("forecasting", "smoke",
                                     ["data=m3", "subset=yearly", "max_series=30"])
    assert (config.window, config.horizon) == (12, 6)
    data = load_data(config)
    assert len(data.series) == 30 and len(data.windows["test"]) == 30
    assert set(data.windows["train"].row) == set(range(30))  # no series dropped
    shortest = min(range(30), key=lambda r: len(data.series[r].values))
    rows = data.windows["train"].row == shortest
    assert np.isnan(data.windows["train"].inputs["window"][rows]).any()  # padded, not dropped
    test = data.windows["test"]
    s = data.series[0]
    np.testing.assert_allclose(test.y[0], s.values[s.n_train : s.n_train + 6])
    assert test.origin[0] == s.n_train
    # validation targets never reach into the official test part
    val = data.windows["val"]
    assert val.origin[0] == s.n_train - 6


@pytest.mark.slow
def test_held_out_part_of_a_collection_is_never_read_for_training_or_choices(tmp_path):
    """Two collections that differ only in the last horizon of each series (the test
    part) must give the same model, conformal offsets, validation figures and
    combination weights: nothing before the test is allowed to read it."""
    rng = np.random.default_rng(0)
    horizon, n = 4, 40
    frames = []
    for k in range(20):
        t = np.arange(n)
        values = 50 + 0.5 * k * t / n + 5 * np.sin(2 * np.pi * t / 12 + k) + rng.normal(size=n)
        frames.append(pd.DataFrame({"id": f"s{k}", "t": t, "y": values}))
    clean = pd.concat(frames)
    tampered = clean.copy()
    tampered.loc[tampered["t"] >= n - horizon, "y"] *= 100  # the held-out part only
    runs = []
    for name, frame in (("clean", clean), ("tampered", tampered)):
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
        out = tmp_path / name
        assert main(["train", "forecasting", "--preset", "smoke", "--out", str(out), "--set",
                     f"data={tmp_path / name}.csv", "id_column=id", "time_column=t",
                     "target=y", f"horizon={horizon}", "window=12", "season=12",
                     "baselines=naive2,theta"]) == 0
        runs.append(out)
    learned = [json.loads((r / "learned.json").read_text()) for r in runs]
    assert learned[0]["conformal"] is not None and learned[0] == learned[1]
    metrics = [json.loads((r / "metrics.json").read_text()) for r in runs]
    assert metrics[0]["validation"] == metrics[1]["validation"]
    assert metrics[0]["combination"] == metrics[1]["combination"]
    assert metrics[0]["test"]["model"]["mae"] != metrics[1]["test"]["model"]["mae"]
    weights = [load_run(registry.get("forecasting"), r)[1].get_weights() for r in runs]
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_distribution_heads(tmp_path):
    # student_t and an ensemble here; the long-CSV global model trains the gaussian head
    out = tmp_path / "student_t"
    assert main(["train", "forecasting", "--preset", "smoke", "--out", str(out), "--set",
                 "data=tourism", "subset=yearly", "max_series=20", "head=student_t",
                 "members=2", "lookbacks=0.5,1", "combine=median", "baselines=naive2"]) == 0
    model = json.loads((out / "metrics.json").read_text())["test"]["model"]
    assert 0 <= model["coverage_80"] <= model["coverage_95"] <= 1
    # N-BEATS's lookback ensemble: the first member reads the last half of the window
    config, network = load_run(registry.get("forecasting"), out)
    assert network.get_layer("lookback_0").start == config.window // 2
    data = load_data(config)
    inputs = {k: v[:4] for k, v in data.windows["test"].inputs.items()}
    params = network.predict(inputs, verbose=0)
    from seqsuite.suites.forecasting.model import scaled_forecasts
    point, _ = scaled_forecasts(params, config)
    np.testing.assert_allclose(np.asarray(point), np.median(params[..., 0], axis=1), rtol=1e-5)


def test_conformal_intervals_need_enough_validation_forecasts(tmp_path, capsys):
    path = _long_csv(tmp_path / "sales.csv")
    out = tmp_path / "run"
    _expect_error(capsys, ["train", "forecasting", "--preset", "smoke", "--out", str(out),
                           "--set", f"data={path}", *LONG, "intervals=conformal"],
                  "3 held-out forecasts at horizon step 1; the 80% conformal interval "
                  "needs at least 4", out)


@pytest.mark.parametrize("overrides, message", [
    (["data=m3", "subset=yearly", "horizon=4"], "official horizon 6"),
    (["data=m3", "subset=weekly"], "no subset 'weekly'"),
    (["data=tourism", "subset=other"], "no subset 'other'"),
    (["data=m3", "task=anomaly"], "task=anomaly scores one series"),
    (["quantiles=0.1,0.9"], "including 0.5"),
    (["head=laplace"], "unknown head 'laplace'"),
    (["baselines=arima"], "unknown baselines"),
    (["min_context=500"], "must be <= window"),
    (["intervals=bootstrap"], "intervals must be one of auto, conformal, split, model"),
    (["members=2", "lookbacks=0.5"], "one fraction of the window in (0, 1] per member (2)"),
    (["combine=mode"], "combine must be 'mean' or 'median'"),
])
def test_bad_forecasting_settings_get_one_line_error(tmp_path, capsys, overrides, message):
    out = tmp_path / "run"
    _expect_error(capsys, ["train", "forecasting", "--out", str(out), "--set", *overrides],
                  message, out)


@pytest.mark.slow
def test_stream_signature_forecasts_each_observation_as_the_dated_signature(
        co2_run, plain_tensorflow, tmp_path):
    """Fed one observation at a time, with plain TensorFlow in a fresh process, the stream
    gives NaN and ready=False until the window is full, then `dated`'s forecasts on the
    last `window` observations (to 1e-5); a row whose time is not a date changes nothing."""
    config, _ = load_run(registry.get("forecasting"), co2_run)
    series = load_data(config).series[0]
    steps = config.window + 12
    np.save(tmp_path / "values.npy", series.values[:steps].astype("float32"))
    (tmp_path / "times.txt").write_text("\n".join(
        str(pd.Timestamp(t).date()) for t in series.time[:steps]))
    script = f"""
import numpy as np, tensorflow as tf
served = tf.saved_model.load({str(co2_run / "export")!r})
values = np.load({str(tmp_path / "values.npy")!r})
times = open({str(tmp_path / "times.txt")!r}).read().split()
w = {config.window}
state = served.signatures["initial_state"](batch_size=tf.constant(1))
for t in range(len(values)):
    if t == w + 3:  # a bad timestamp: status says why, the state to go on with is the old one
        bad = served.signatures["stream"](value=tf.constant([1e6]), last_time=tf.constant(["soon"]), **state)
        assert b"is not a date" in bad["status"][0].numpy() and np.isnan(bad["forecast"]).all()
    out = served.signatures["stream"](value=tf.constant(values[t:t + 1]),
                                      last_time=tf.constant(times[t:t + 1]), **state)
    state = {{k: v for k, v in out.items() if k.startswith("state_")}}
    if t < w - 1:
        assert not out["ready"][0] and np.isnan(out["forecast"]).all()
        continue
    whole = served.signatures["dated"](window=tf.constant(values[None, t - w + 1:t + 1]),
                                       last_time=tf.constant(times[t:t + 1]))
    assert out["ready"][0] and out["status"][0] == b"ok"
    for key in ("forecast", "quantiles", "lower_95", "upper_80"):
        np.testing.assert_allclose(out[key], whole[key], rtol=1e-5, atol=1e-5)
print("streamed", len(values) - w + 1)
"""
    proc = plain_tensorflow(script)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "streamed 13" in proc.stdout


@pytest.mark.slow
def test_stream_command_skips_bad_lines_and_refuses_what_it_cannot_feed(co2_run, tmp_path,
                                                                         capsys):
    config, _ = load_run(registry.get("forecasting"), co2_run)
    series = load_data(config).series[0]
    n = config.window + 2
    lines = ["time,value"] + [f"{pd.Timestamp(t).date()},{v}"
                              for t, v in zip(series.time[:n], series.values[:n])]
    lines.insert(5, "1958-05-01,abc")       # line 6: not a number
    lines.insert(9, "someday,315.0")        # line 10: not a date
    live = tmp_path / "live.csv"
    live.write_text("\n".join(lines) + "\n")
    assert main(["stream", "--run", str(co2_run), str(live)]) == 0
    captured = capsys.readouterr()
    printed = pd.read_csv(io.StringIO(captured.out))
    assert len(printed) == 3 * config.horizon and set(printed["step"]) == set(
        range(1, config.horizon + 1))
    assert captured.err.strip().splitlines() == [
        "seqsuite: line 6 skipped: expected time then 1 number (value), got '1958-05-01,abc'",
        "seqsuite: line 10 skipped: time 'someday' is not a date; write it as YYYY-MM-DD or "
        "YYYY-MM-DD HH:MM[:SS]"]
    # the last printed forecast is the whole-window forecast of the last `window` values
    served = tf.saved_model.load(str(co2_run / "export"))
    whole = served.signatures["dated"](
        window=tf.constant(series.values[None, n - config.window:n], tf.float32),
        last_time=tf.constant([str(pd.Timestamp(series.time[n - 1]).date())]))
    np.testing.assert_allclose(printed["forecast"].iloc[-config.horizon:],
                               whole["forecast"][0], rtol=1e-4)
    # a header without the target stops the stream before anything is read
    other = tmp_path / "other.csv"
    other.write_text("time,price\n2020-01-01,1\n")
    assert main(["stream", "--run", str(co2_run), str(other)]) == 2
    assert "the header has no column 'value'" in capsys.readouterr().err
    # a dated stream reads timestamp strings, which TensorFlow Lite's built-ins cannot
    assert main(["export", "--run", str(co2_run), "--tflite"]) == 2
    assert capsys.readouterr().err.strip() == (
        "seqsuite: error: the stream signature takes strings (last_time), which TensorFlow "
        "Lite's built-in operators cannot read; train the forecaster with --set "
        "calendar=false")
    assert not (co2_run / "stream.tflite").exists()
