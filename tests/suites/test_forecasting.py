import json
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from seqsuite import registry
from seqsuite.cli import main
from seqsuite.shared.runner import load_run
from seqsuite.suites.forecasting.data import load_data
from seqsuite.suites.forecasting.model import predict


@pytest.fixture(scope="module")
def co2_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "co2"
    assert main(["train", "forecasting", "--preset", "smoke", "--out", str(out)]) == 0
    return out


@pytest.mark.slow
def test_run_directory_is_complete(co2_run):
    for name in ("run.json", "config.json", "metrics.json", "model.keras", "history.csv",
                 "forecast.png", "history.png", "export/saved_model.pb"):
        assert (co2_run / name).exists(), name
    assert any((co2_run / "logs").rglob("events.out.tfevents*"))
    assert not (co2_run / "checkpoint").exists()
    metrics = json.loads((co2_run / "metrics.json").read_text())
    assert set(metrics["test"]) == {"model", "naive", "seasonal_naive"}
    for row in metrics["test"].values():
        assert set(row) == {"mae", "rmse", "mase"} and all(np.isfinite(list(row.values())))
    assert json.loads((co2_run / "config.json").read_text())["window"] == 104


@pytest.mark.slow
def test_saved_model_serves_raw_windows_in_a_fresh_process(co2_run, tmp_path):
    config, model = load_run(registry.get("forecasting"), co2_run)
    data = load_data(config)
    x = data.windows["test"][0][:5]
    np.save(tmp_path / "x.npy", x)
    script = textwrap.dedent(f"""
        import sys, numpy as np, tensorflow as tf
        loaded = tf.saved_model.load({str(co2_run / "export")!r})
        out = loaded.signatures["serving_default"](window=tf.constant(np.load({str(tmp_path / "x.npy")!r})))
        np.save({str(tmp_path / "y.npy")!r}, out["forecast"].numpy())
        assert not any(m.split(".")[0] == "seqsuite" for m in sys.modules), "imported project"
    """)
    subprocess.run([sys.executable, "-c", script], check=True, cwd=tmp_path)
    served = np.load(tmp_path / "y.npy")
    np.testing.assert_allclose(served, predict(model, x), rtol=1e-4, atol=1e-3)
    # original units: CO2 is ~300-380 ppm, never scaled values around 0
    assert 300 < served.mean() < 400


@pytest.mark.slow
def test_evaluate_and_export_commands(co2_run, tmp_path, capsys):
    assert main(["evaluate", "--run", str(co2_run)]) == 0
    assert "seasonal_naive" in capsys.readouterr().out
    assert main(["export", "--run", str(co2_run), "--out", str(tmp_path / "sm")]) == 0
    assert (tmp_path / "sm" / "saved_model.pb").exists()


def test_list_names_the_suite(capsys):
    assert main(["list"]) == 0
    assert any(line.startswith("forecasting") for line in capsys.readouterr().out.splitlines())


@pytest.mark.slow
def test_anomaly_mode_on_sunspots(tmp_path):
    out = tmp_path / "ss"
    assert main(["train", "forecasting", "--preset", "smoke", "--out", str(out),
                 "--set", "data=sunspots", "task=anomaly"]) == 0
    anomaly = json.loads((out / "metrics.json").read_text())["anomaly"]
    assert {"precision", "recall", "f1", "injected_points"} <= set(anomaly)
    table = pd.read_csv(out / "anomalies.csv")
    assert table["injected"].sum() == anomaly["injected_points"]
    assert (out / "anomalies.png").exists()


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
def test_csv_with_extra_feature(tmp_path):
    path = _csv(tmp_path / "s.csv")
    config = registry.resolve_config("forecasting", "smoke",
                            [f"data={path}", "features=temp", "window=10", "horizon=3"])
    data = load_data(config)
    x, y, starts = data.windows["train"]
    assert x.shape[1:] == (10, 2) and y.shape[1] == 3
    ordered = np.sin(np.arange(120) / 5) * 10 + 50  # the sorted series
    np.testing.assert_allclose(y[0], ordered[starts[0] : starts[0] + 3], rtol=1e-5)
    train_part = ordered[: data.bounds[0]]
    assert data.target_mean == pytest.approx(train_part.mean(), rel=1e-5)
    out = tmp_path / "run"
    assert main(["train", "forecasting", "--preset", "smoke", "--out", str(out), "--set",
                 f"data={path}", "features=temp", "window=10", "horizon=3"]) == 0


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
    assert np.isfinite(load_data(config).series).all()


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
def test_finished_run_is_not_overwritten_silently(co2_run, capsys):
    assert main(["train", "forecasting", "--preset", "smoke", "--out", str(co2_run)]) == 2
    assert "pass --overwrite" in capsys.readouterr().err


@pytest.mark.slow
def test_module_entry_point(tmp_path):
    out = tmp_path / "m"
    proc = subprocess.run([sys.executable, "-m", "seqsuite.suites.forecasting.train", "--preset", "smoke",
                           "--set", "data=sunspots", "--out", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "seasonal_naive" in proc.stdout and (out / "metrics.json").exists()


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
