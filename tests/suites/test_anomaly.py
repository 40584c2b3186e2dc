"""The anomaly suite's own behaviour: a labelled CSV through training, `detect` and the
SavedModel, each detector, the threshold rules and the measures. What every suite shares
(a smoke run on the embedded recording trains, re-evaluates, exports and serves in a fresh
process) is tests/suites/test_contract.py's."""

import csv
import io
import json

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from seqsuite import registry
from seqsuite.cli import main
from seqsuite.shared.evaluation.anomaly import smooth_errors
from seqsuite.shared.run.runner import load_run
from seqsuite.suites.anomaly import config as anomaly_config
from seqsuite.suites.anomaly.data import frames, load_data
from seqsuite.suites.anomaly.model import smooth
from seqsuite.suites.anomaly.recordings import RECORDINGS
from seqsuite.suites.anomaly.train import choose_threshold, measure, model_scores, watched

ROWS, CLEAN = 900, 400


def _recording(path, spike=600, shift=(750, 770), labels=True, seed=0):
    """Two channels, one second apart: a sine and a slower cosine with noise; a spike on
    the first channel and a level shift on the second, both labelled."""
    rng = np.random.default_rng(seed)
    t = np.arange(ROWS)
    heart = np.sin(2 * np.pi * t / 25) + 0.05 * rng.normal(size=ROWS)
    breath = 2 * np.cos(2 * np.pi * t / 60) + 0.05 * rng.normal(size=ROWS) + 10
    label = np.zeros(ROWS, int)
    heart[spike : spike + 3] += 6
    label[spike : spike + 3] = 1
    breath[shift[0] : shift[1]] += 5
    label[shift[0] : shift[1]] = 1
    frame = pd.DataFrame({"time": pd.date_range("2026-01-01", periods=ROWS, freq="s"),
                          "heart": heart, "breath": breath})
    if labels:
        frame["alarm"] = label
    frame.to_csv(path, index=False)
    return path


def _settings(path, *extra):
    return [f"data={path}", "label_column=alarm", "time_column=time", f"train_end={CLEAN}",
            *extra]


# Session-wide: pytest tears a module fixture down when a worker runs another file's test
# in between (this suite's contract test joins this file's group), and would train again.
@pytest.fixture(scope="session")
def csv_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("anomaly")
    path = _recording(root / "monitor.csv")
    out = root / "run"
    assert main(["train", "anomaly", "--preset", "smoke", "--out", str(out), "--set",
                 *_settings(path, "detector=esn")]) == 0
    return out, path


@pytest.mark.slow
def test_labelled_csv_is_measured_beside_the_references(csv_run):
    out, _ = csv_run
    metrics = json.loads((out / "metrics.json").read_text())
    test = metrics["test"]
    assert set(test) == {"esn", "matrix_profile", "isolation_forest", "rolling_z"}
    row = test["esn"]
    for key in ("roc_auc", "pr_auc", "point_f1", "event_f1", "point_adjusted_f1",
                "false_alarms_per_hour", "mean_delay_points"):
        assert key in row, key
    assert "ucr_rule" not in row  # two labelled events: the UCR rule needs exactly one
    # A spike of 6 and a shift of 3 (the noise is 0.05): a detector that learned anything
    # ranks them first; random scores give 0.5.
    assert row["roc_auc"] > 0.9 and row["events_found"] == "2/2"
    assert metrics["data"] == {"recording": "monitor", "rows": ROWS, "channels": 2,
                               "clean_rows": CLEAN, "scored_rows": ROWS - CLEAN,
                               "labelled_events": 2, "seconds_per_point": 1.0}
    table = pd.read_csv(out / "anomalies.csv")
    assert len(table) == ROWS and list(table.columns) == ["row", "time", "score", "smoothed",
                                                          "flag", "label"]
    assert (out / "anomalies.png").stat().st_size > 10_000
    learned = json.loads((out / "learned.json").read_text())
    assert learned["channel_names"] == ["heart", "breath"] and learned["epsilon"] > 0


@pytest.mark.slow
def test_detect_scores_a_new_recording(csv_run, tmp_path, capsys):
    out, _ = csv_run
    new = _recording(tmp_path / "tomorrow.csv", spike=300, shift=(500, 530), seed=1)
    assert main(["detect", "--run", str(out), "--data", str(new)]) == 0
    assert "detections written to" in capsys.readouterr().out
    written = out / "detections" / "tomorrow"
    table = pd.read_csv(written / "anomalies.csv")
    assert len(table) == ROWS and table["label"].sum() == 33
    metrics = json.loads((written / "metrics.json").read_text())["detections"]
    assert metrics["events_found"] == "2/2" and metrics["roc_auc"] > 0.9
    assert (written / "anomalies.png").is_file()
    # Without labels, detection still runs and writes its flags.
    unlabelled = _recording(tmp_path / "unlabelled.csv", labels=False)
    assert main(["detect", "--run", str(out), "--data", str(unlabelled)]) == 0
    table = pd.read_csv(out / "detections" / "unlabelled" / "anomalies.csv")
    assert "label" not in table.columns and table["flag"].iloc[600:603].any()


@pytest.mark.slow
def test_saved_model_scores_raw_values_as_evaluation_does(csv_run):
    out, path = csv_run
    config, model = load_run(registry.get("anomaly"), out)
    data = load_data(config)
    expected = model_scores(model, data.scaled, config)
    serve = tf.saved_model.load(str(out / "export")).signatures["serving_default"]
    served = serve(values=tf.constant(data.recording.values, tf.float32))
    np.testing.assert_allclose(served["score"].numpy(), expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(served["smoothed"].numpy(), smooth_errors(expected, config.span),
                               rtol=1e-4, atol=1e-4)
    flags = pd.read_csv(out / "anomalies.csv")["flag"].to_numpy().astype(bool)
    assert (served["flag"].numpy() == flags).mean() > 0.999  # float32 against float64 at ε


@pytest.mark.slow
@pytest.mark.parametrize("detector", ["forecast", "autoencoder"])
def test_each_detector_finds_the_events(tmp_path, detector):
    path = _recording(tmp_path / "monitor.csv")
    out = tmp_path / "run"
    assert main(["train", "anomaly", "--preset", "smoke", "--out", str(out), "--set",
                 *_settings(path, f"detector={detector}", "baselines=[]", "epochs=10")]) == 0
    row = json.loads((out / "metrics.json").read_text())["test"][detector]
    # Both rank the two events above every ordinary row (random scores: 0.5). The
    # forecaster's threshold also flags both; the autoencoder's held-out scores have a
    # heavy tail and set its threshold above them (the benchmark shows it on real data).
    assert row["roc_auc"] > 0.9, row
    if detector == "forecast":
        assert row["events_found"] == "2/2", row
        _tflite_scores_as_the_saved_model(out, path, tmp_path)


def _tflite_scores_as_the_saved_model(out, path, tmp_path):
    """`seqsuite export --tflite --out F` converts the run's stream signature (the run itself
    is left alone); the TFLite interpreter scores a recording row by row as the SavedModel
    does."""
    lite = tmp_path / "monitor.tflite"
    assert main(["export", "--run", str(out), "--tflite", "--out", str(lite)]) == 0
    assert not (out / "stream.tflite").exists()
    values = pd.read_csv(path)[["heart", "breath"]].to_numpy("float32")[:150]
    served = tf.saved_model.load(str(out / "export"))
    runner = tf.lite.Interpreter(model_path=str(lite)).get_signature_runner()
    saved = served.signatures["initial_state"](batch_size=tf.constant(1))
    state = {k: v.numpy() for k, v in saved.items()}
    scores, flags = [], []
    for row in values:
        want = served.signatures["stream"](values=tf.constant(row[None]), **saved)
        saved = {k: v for k, v in want.items() if k.startswith("state_")}
        got = runner(values=row[None], **state)
        state = {k: v for k, v in got.items() if k.startswith("state_")}
        scores.append([float(want["score"][0]), float(got["score"][0])])
        flags.append(bool(want["flag"][0]) == bool(got["flag"][0]))
    scores = np.array(scores)
    np.testing.assert_allclose(scores[:, 1], scores[:, 0], rtol=1e-3, atol=1e-3)
    assert np.mean(flags) > 0.99


def test_frames_end_at_their_point(tmp_path):
    path = _recording(tmp_path / "monitor.csv")
    config = registry.resolve_config("anomaly", "smoke", _settings(path))
    data = load_data(config)
    framed = frames(data.scaled, 100, 110, config.window)
    assert framed.shape == (10, config.window + 1, 2)
    np.testing.assert_array_equal(framed[3], data.scaled[103 - config.window : 104])
    x, y = next(iter(data.train))
    np.testing.assert_array_equal(x.numpy(), y.numpy())  # the autoencoder's: the frame
    forecast = registry.resolve_config("anomaly", "smoke", _settings(path, "detector=forecast"))
    x, y = next(iter(load_data(forecast).train))
    np.testing.assert_array_equal(x[:, -1].numpy(), y.numpy())  # a forecaster's: its row
    assert data.fit_end == CLEAN - round(config.val_fraction * CLEAN)
    # every channel scaled by the training rows' median and MAD
    np.testing.assert_allclose(np.median(data.scaled[: data.fit_end], 0), 0, atol=1e-6)


def test_smoothing_in_tensorflow_matches_numpy():
    errors = np.random.default_rng(0).normal(size=300)
    np.testing.assert_allclose(smooth(tf.constant(errors, tf.float32), 7).numpy(),
                               smooth_errors(errors, 7), rtol=1e-5, atol=1e-6)


def test_threshold_rules_on_a_hand_worked_case():
    clean = np.array([1.0, 2.0, 3.0, 4.0, 100.0])
    config = registry.resolve_config("anomaly", "smoke", ["threshold=robust_z", "z_threshold=2"])
    # median 3, MAD 1 -> 3 + 2 * 1.4826
    assert choose_threshold(clean, config) == pytest.approx(3 + 2 * 1.4826)
    assert watched(clean, config) is clean
    # span 1: no smoothing; the largest clean score
    largest = registry.resolve_config("anomaly", "smoke", ["threshold=clean_max", "span=1"])
    assert choose_threshold(clean, largest) == 100.0
    # Telemanom's threshold separates the one outlier from forty ordinary scores: every z
    # that flags it alone scores the same, and the largest such z wins (the hand-worked
    # objective is in tests/shared/test_metrics_anomaly.py): mean + 6 sd < 100 < mean + 6.5 sd
    scores = np.concatenate([np.tile([1.0, 2.0, 3.0, 4.0], 10), [100.0]])
    mean, sd = scores.mean(), scores.std()
    assert mean + 6 * sd < 100 < mean + 6.5 * sd
    telemanom = registry.resolve_config("anomaly", "smoke", ["threshold=telemanom", "span=1"])
    assert choose_threshold(scores, telemanom) == pytest.approx(mean + 6 * sd)


def test_measures_on_a_hand_worked_case():
    labels = np.zeros(20, bool)
    labels[5:8] = True
    flags = np.zeros(20, bool)
    flags[[6, 7, 15]] = True  # the event found one row late, and one false alarm
    scores = np.arange(20.0) / 100
    scores[6] = 1.0
    row = measure(scores, flags, labels, seconds_per_point=60.0)
    assert row["alarms"] == 2 and row["false_alarms"] == 1
    assert row["false_alarms_per_hour"] == pytest.approx(1 / (20 / 60))
    assert row["point_precision"] == pytest.approx(2 / 3) and row["point_recall"] == 2 / 3
    assert row["event_precision"] == 0.5 and row["event_recall"] == 1.0
    assert row["point_adjusted_f1"] == pytest.approx(2 * 0.75 * 1 / 1.75)
    assert row["ucr_rule"] and row["events_found"] == "1/1"
    assert row["mean_delay_points"] == 1 and row["mean_delay_seconds"] == 60.0
    unlabelled = measure(scores, flags, np.zeros(20, bool), None)
    assert unlabelled == {"alarms": 2, "false_alarms": 2, "flagged_fraction": 0.15}


def test_embedded_names_agree():
    assert set(anomaly_config.RECORDINGS) == set(RECORDINGS)


def _expect_error(capsys, argv, message, out):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("seqsuite: error:") and "\n" not in err, err
    assert message in err, err
    assert not out.exists(), "a failed command must not leave its output"


def _edited(path, row, column, value):
    frame = pd.read_csv(path)
    frame[column] = frame[column].astype(object)
    frame.loc[row, column] = value
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("edit, extra, message", [
    (None, ["train_end=0"], "set train_end=ROWS"),
    (None, ["label_column=status"], "has no column 'status'"),
    ((10, "alarm", 2), [], "must hold 0 or 1 on every row; row 12 has '2'"),
    ((10, "alarm", 1), [], "row 12 of the clean stretch (the first 400 rows) is labelled"),
    (None, ["window=390"], "too short for window=390"),
    (None, ["label_column=", "train_end=900"], "covers the whole recording"),
    (None, ["detector=isolation"], "detector must be one of forecast, autoencoder, esn"),
])
def test_bad_input_gets_one_line_error(tmp_path, capsys, edit, extra, message):
    path = _recording(tmp_path / "monitor.csv")
    if edit is not None:
        _edited(path, *edit)
    out = tmp_path / "run"
    _expect_error(capsys, ["train", "anomaly", "--preset", "smoke", "--out", str(out),
                           "--set", *_settings(path), *extra], message, out)


def test_all_anomalous_clean_stretch_is_refused(tmp_path, capsys):
    path = _recording(tmp_path / "monitor.csv")
    frame = pd.read_csv(path)
    frame.loc[:CLEAN, "alarm"] = 1
    frame.to_csv(path, index=False)
    out = tmp_path / "run"
    _expect_error(capsys, ["train", "anomaly", "--preset", "smoke", "--out", str(out),
                           "--set", *_settings(path)], "every row of the clean stretch", out)


@pytest.mark.slow
def test_detect_refuses_a_recording_without_the_run_channels(csv_run, tmp_path, capsys):
    out, _ = csv_run
    other = tmp_path / "other.csv"
    with other.open("w", newline="") as f:
        csv.writer(f).writerows([["time", "pulse"], ["2026-01-01", 1.0]])
    _expect_error(capsys, ["detect", "--run", str(out), "--data", str(other)],
                  "has no column 'heart'", out / "detections" / "other")


@pytest.mark.slow
def test_streaming_row_by_row_gives_the_whole_recording(csv_run, plain_tensorflow, tmp_path):
    """The export's `stream` signature, fed one row at a time in a fresh process with plain
    TensorFlow, gives the scores, smoothed scores and flags of `serving_default`."""
    out, path = csv_run
    values = pd.read_csv(path)[["heart", "breath"]].to_numpy("float32")[:300]
    np.save(tmp_path / "values.npy", values)
    script = f"""
import numpy as np, tensorflow as tf
served = tf.saved_model.load({str(out / "export")!r})
values = np.load({str(tmp_path / "values.npy")!r})
whole = served.signatures["serving_default"](values=tf.constant(values))
state = served.signatures["initial_state"](batch_size=tf.constant(1))
rows = []
for row in values:
    step = served.signatures["stream"](values=tf.constant(row[None]), **state)
    state = {{k: v for k, v in step.items() if k.startswith("state_")}}
    rows.append([step["score"][0].numpy(), step["smoothed"][0].numpy(), step["flag"][0].numpy()])
rows = np.array(rows, float)
np.testing.assert_allclose(rows[:, 0], whole["score"].numpy(), rtol=1e-4, atol=1e-5)
np.testing.assert_allclose(rows[:, 1], whole["smoothed"].numpy(), rtol=1e-4, atol=1e-5)
assert (rows[:, 2] == whole["flag"].numpy()).mean() > 0.99
print("streamed", len(rows))
"""
    proc = plain_tensorflow(script)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "streamed 300" in proc.stdout


@pytest.mark.slow
def test_the_esn_detector_streams_in_tensorflow_lite(csv_run, tmp_path):
    out, path = csv_run
    _tflite_scores_as_the_saved_model(out, path, tmp_path)


@pytest.mark.slow
def test_stream_command_prints_each_row_and_skips_a_bad_line(csv_run, tmp_path, capsys):
    out, path = csv_run
    frame = pd.read_csv(path).iloc[:80]
    lines = frame[["time", "heart", "breath"]].to_csv(index=False).splitlines()
    lines.insert(5, "2026-01-01 00:00:04,abc,1.0")  # line 6: not a number
    source = tmp_path / "live.csv"
    source.write_text("\n".join(lines) + "\n")
    assert main(["stream", "--run", str(out), str(source)]) == 0
    captured = capsys.readouterr()
    printed = [line for line in captured.out.splitlines() if line]
    assert printed[0] == "row,score,smoothed,flag" and len(printed) == 81
    assert captured.err.strip() == ("seqsuite: line 6 skipped: expected 2 numbers (heart, "
                                    "breath), got '2026-01-01 00:00:04,abc,1.0'")
    streamed = pd.read_csv(io.StringIO("\n".join(printed)))
    config, model = load_run(registry.get("anomaly"), out)
    scaled = ((frame[["heart", "breath"]].to_numpy() - np.asarray(config.centre))
              / np.asarray(config.scale)).astype("float32")
    np.testing.assert_allclose(streamed["score"], model_scores(model, scaled, config),
                               rtol=1e-3, atol=1e-4)
    # a header without the run's channels stops the stream before anything is scored
    other = tmp_path / "other.csv"
    other.write_text("time,pulse\n2026-01-01,1\n")
    assert main(["stream", "--run", str(out), str(other)]) == 2
    assert "the header has no column 'heart', 'breath'" in capsys.readouterr().err
