"""`benchmarks.record`: figures with their spread, and result files written and read back."""

import json
import math

import numpy as np
import pytest

from benchmarks import record


def test_median_spread_keeps_every_value_in_the_order_measured():
    spread = record.median_spread([3.0, 1.0, 2.0, 10.0])
    assert spread == {"median": 2.5, "min": 1.0, "max": 10.0, "q1": 1.75, "q3": 4.75, "n": 4,
                      "values": [3.0, 1.0, 2.0, 10.0]}


def test_median_spread_of_one_value_and_of_none():
    assert record.median_spread(np.array([0.5])) == {
        "median": 0.5, "min": 0.5, "max": 0.5, "q1": 0.5, "q3": 0.5, "n": 1, "values": [0.5]}
    with pytest.raises(ValueError, match="at least one value"):
        record.median_spread([])


def test_scaled_and_ratio():
    seconds = record.median_spread([0.002, 0.001, 0.004])
    ms = record.scaled(seconds, 1e3)
    assert ms["median"] == pytest.approx(2.0)
    assert ms["values"] == pytest.approx([2.0, 1.0, 4.0])
    assert ms["n"] == 3
    assert record.ratio(ms, record.median_spread([1.0, 1.0])) == pytest.approx(2.0)


def test_mean_error():
    figure = record.mean_error([1.0, 2.0, 3.0])
    assert figure["mean"] == 2.0
    assert figure["sem"] == pytest.approx(1 / math.sqrt(3))


def test_summary_is_the_first_paragraph_on_one_line():
    doc = "A benchmark that says what it\nmeasures.\n\nDetails follow."
    assert record.summary(doc) == "A benchmark that says what it measures"


def test_table_needs_every_column_in_every_row():
    with pytest.raises(ValueError, match=r"a row has no \['b'\]"):
        record.table("t", [record.column("a", "A"), record.column("b", "B")], [{"a": 1}])


def _provenance():
    return record.provenance("python -m benchmarks.demo --steps 3", seeds=[0, np.int64(1)],
                             preset="smoke", steps=3)


def test_write_result_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv(record.ENVIRONMENT, str(tmp_path))
    times = record.median_spread([0.2, 0.1, 0.3])
    table = record.table("Step", [record.column("name", "name"),
                                  record.column("seconds", "s", ".2f"),
                                  record.column("score", "score", ".3f")],
                         [{"name": "a", "seconds": times, "score": np.float32(0.5)},
                          {"name": "b", "seconds": times, "score": float("nan")}])
    path = record.write_result("demo", suite="demo", title="Demo.\n\nMore.",
                               provenance=_provenance(), tables=[table],
                               headline=[record.headline("a", 0.5, ".3f")])
    assert path == tmp_path / "demo.json"
    data = record.read_result(path)
    assert data["format"] == record.FORMAT and data["title"] == "Demo"
    main = data["sections"]["main"]
    rows = main["tables"][0]["rows"]
    assert rows[0]["seconds"] == times
    assert rows[0]["score"] == 0.5 and rows[1]["score"] is None  # NaN is no JSON
    p = main["provenance"]
    assert p["command"] == "python -m benchmarks.demo --steps 3"
    assert p["seeds"] == [0, 1] and p["preset"] == "smoke" and p["settings"] == {"steps": 3}
    for key in ("commit", "dirty", "started", "finished", "machine", "software"):
        assert key in p
    assert p["machine"]["cores"] >= 1 and isinstance(p["machine"]["gpus"], list)

    # A second section keeps the first; rewriting a section replaces only it.
    record.write_result("demo", suite="demo", title="Demo", provenance=_provenance(),
                        tables=[table], section="other")
    record.write_result("demo", suite="demo", title="Demo", provenance=_provenance(),
                        tables=[], section="main")
    sections = record.read_result(path)["sections"]
    assert list(sections) == ["main", "other"]
    assert sections["main"]["tables"] == [] and len(sections["other"]["tables"]) == 1
    assert not list(tmp_path.glob(".*.tmp"))  # written atomically, nothing left over


def test_read_result_refuses_another_format(tmp_path):
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"format": "0.2", "sections": {}}))
    with pytest.raises(ValueError, match="format '0.2'"):
        record.read_result(path)


def test_only_edits_to_what_a_benchmark_runs_make_it_dirty(tmp_path, monkeypatch):
    import subprocess

    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    for name in ("code.py", "benchmarks/results/a.json", "docs/page.md", "NOTES.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "start")
    monkeypatch.setattr(record, "ROOT", tmp_path)
    assert record.git_commit()["dirty"] is False
    for name in ("benchmarks/results/a.json", "docs/page.md", "NOTES.md"):
        (tmp_path / name).write_text("y\n")
    assert record.git_commit()["dirty"] is False  # results, docs and notes
    (tmp_path / "code.py").write_text("y\n")
    assert record.git_commit()["dirty"] is True
