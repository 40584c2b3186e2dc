import json
import subprocess
import sys
import textwrap
from collections import Counter

import numpy as np
import pytest

from seqsuite.shared.cli import main
from seqsuite.shared.errors import ConfigError, DataError
from seqsuite.shared.runner import get_suite, load_run, resolve_config
from seqsuite.suites.sentiment import reviews
from seqsuite.suites.sentiment.data import class_id, load_data
from seqsuite.suites.sentiment.train import classification_scores, predict, probabilities_of


def clause(adjective, modifier="plain", aspect="plot"):
    return {"aspect": aspect, "adjective": adjective, "modifier": modifier}


@pytest.mark.parametrize("construction, clauses, label", [
    ("single", [clause("dull")], 0),
    ("single", [clause("dull", "negated")], 1),
    ("single", [clause("superb", "intensified")], 1),
    ("but", [clause("good"), clause("awful")], 0),
    ("but", [clause("awful"), clause("good")], 1),  # same words, other order
    ("although_first", [clause("awful"), clause("good")], 1),
    ("although_last", [clause("awful"), clause("good")], 0),
    ("and", [clause("good", "intensified"), clause("bad")], 1),
    ("and", [clause("good"), clause("bad", "intensified")], 0),
    ("and", [clause("bad", "negated"), clause("dull", "intensified")], 0),
])
def test_label_rules(construction, clauses, label):
    assert reviews.label_of(construction, clauses) == label


def test_generator_is_seeded_balanced_and_holds_out_combinations():
    train = reviews.generate(1000, "train", seed=0)
    test = reviews.generate(200, "test", seed=0)
    assert test == reviews.generate(200, "test", seed=0)
    assert test != reviews.generate(200, "test", seed=1)
    reserved = reviews.held_out(0)
    assert len(reserved) == 140

    def combos(review):
        return {(c["aspect"], c["adjective"], review.construction) for c in review.clauses}

    assert not set().union(*map(combos, train)) & reserved
    assert all(combos(r) & reserved for r in test)
    counts = Counter((r.construction, r.label) for r in train)
    assert set(counts.values()) == {100}  # 5 constructions x 2 labels
    assert max(reviews.count_tokens(r.text) for r in train + test) <= reviews.MAX_TOKENS
    for r in train[:200]:
        assert r.label == reviews.label_of(r.construction, r.clauses)


def test_distractors_carry_no_rule_words():
    rule_words = {*reviews.POSITIVE, *reviews.NEGATIVE, *reviews.INTENSIFIERS, "not", "never",
                  "and", "but", "although"}
    pieces = (reviews._WHO + reviews._SAW + reviews._WHEN + reviews._WHERE + reviews._WITH
              + reviews._ASIDE)
    words = {w.lower() for piece in pieces for w in piece.split()}
    assert not words & rule_words and not any(w.endswith("n't") for w in words)


def test_labels_are_checked():
    with pytest.raises(ConfigError, match="labels must be two or more distinct names"):
        _config("labels=pos")
    with pytest.raises(DataError, match="the embedded reviews have labels neg, pos"):
        load_data(_config("labels=bad,good"))


def test_class_ids_and_scores():
    assert [class_id(v, ["neg", "pos"]) for v in ("pos", " NEG ", "1", "0", "2", "meh")] == \
        [1, 0, 1, 0, None, None]
    summary, per_class = classification_scores([0, 0, 1, 1], [0, 1, 1, 1], ["neg", "pos"])
    assert summary["accuracy"] == 0.75
    assert per_class["neg"] == {"precision": 1.0, "recall": 0.5, "f1": 2 / 3, "support": 2}
    assert per_class["pos"]["precision"] == pytest.approx(2 / 3)
    assert summary["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2)


def _csv(path, rows, header="text,label"):
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _config(*overrides):
    return resolve_config(get_suite("sentiment"), "smoke", list(overrides))


def test_csv_reviews_with_names_indices_and_blank_texts(tmp_path):
    rows = [f"great film number {i},pos" for i in range(10)]
    rows += [f"dull film number {i},0" for i in range(10)] + ['"  ",neg', ",1"]
    data = load_data(_config(f"data={_csv(tmp_path / 'r.csv', rows)}"))
    assert data.skipped_empty == 2
    assert sum(len(t) for t in data.texts.values()) == 20
    assert {len(data.texts["val"]), len(data.texts["test"])} == {2}
    assert sorted(np.concatenate(list(data.labels.values())).tolist()) == [0] * 10 + [1] * 10
    text, label = next(iter(data.train))
    assert text.dtype.name == "string" and "great" in data.vocabulary


@pytest.mark.parametrize("content, header, message", [
    (["nice,pos"] * 8 + ["meh,neutral"], "text,label",
     "row 9: unknown label 'neutral' in column 'label'; use one of neg, pos"),
    (["nice,pos"] * 12, "review,label", "has no column 'text' .* pass --set text_column="),
    (["nice,pos"] * 12, "text,stars", "has no column 'label'"),
    (["nice,pos"] * 3, "text,label", "has 3 non-blank reviews; at least 10"),
])
def test_bad_csv(tmp_path, content, header, message):
    with pytest.raises(DataError, match=message):
        load_data(_config(f"data={_csv(tmp_path / 'bad.csv', content, header)}"))


def _folders(root, counts, split=""):
    for label, n in counts.items():
        folder = root / split / label
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(n):
            (folder / f"{i}_7.txt").write_text(f"a {label} review<br />number {i}",
                                               encoding="utf-8")


def test_aclimdb_layout_and_single_split_directory(tmp_path):
    imdb = tmp_path / "aclImdb"
    _folders(imdb, {"pos": 6, "neg": 5, "unsup": 3}, "train")
    _folders(imdb, {"pos": 2, "neg": 2}, "test")
    (imdb / "train" / "labeledBow.feat").write_text("0 0:1\n")
    (imdb / "train" / "neg" / "4_7.txt").write_text("   ")  # blank: skipped
    data = load_data(_config(f"data={imdb}"))
    assert len(data.texts["test"]) == 4 and len(data.texts["train"]) + len(data.texts["val"]) == 10
    assert data.skipped_empty == 1 and "<br" not in data.vocabulary
    flat = tmp_path / "flat"
    _folders(flat, {"pos": 10, "neg": 10})
    data = load_data(_config(f"data={flat}"))
    assert [len(data.texts[s]) for s in ("train", "val", "test")] == [16, 2, 2]


@pytest.mark.parametrize("make, message", [
    (lambda root: None, "is empty; it needs folders neg, pos"),
    (lambda root: _folders(root, {"pos": 3}), "has no 'neg/' folder"),
    (lambda root: _folders(root, {"pos": 3, "neg": 0}), "neg has no .txt files"),
    (lambda root: _folders(root, {"pos": 3, "neg": 3}, "train"), "has train/ but no test/"),
    (lambda root: root.rmdir(), "is neither a file nor a directory"),
])
def test_bad_directories(tmp_path, make, message):
    root = tmp_path / "reviews"
    root.mkdir()
    make(root)
    with pytest.raises(DataError, match=message):
        load_data(_config(f"data={root}"))


@pytest.mark.parametrize("kind", ["csv", "txt"])
def test_non_utf8_input_is_a_one_line_cli_error(tmp_path, capsys, kind):
    latin1 = "caf\xe9 cr\xe8me".encode("latin-1")
    if kind == "csv":
        path = tmp_path / "latin1.csv"
        path.write_bytes(b"text,label\n" + (latin1 + b",pos\n") * 20)
    else:
        path = tmp_path / "reviews"
        _folders(path, {"pos": 6, "neg": 6})
        (path / "pos" / "0_7.txt").write_bytes(latin1)
    out = tmp_path / "run"
    assert main(["train", "sentiment", "--preset", "smoke", "--out", str(out),
                 "--set", f"data={path}"]) == 2
    err = capsys.readouterr().err.strip()
    assert "is not UTF-8" in err and "\n" not in err and not out.exists()


def test_imdb_reviews_loader_with_mock_data():
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=20):
        config = _config("data=tfds:imdb_reviews")
        data = load_data(config)
    assert data.config_updates["labels"] == ["neg", "pos"]
    assert [len(data.texts[s]) for s in ("train", "val", "test")] == [18, 2, 20]
    assert set(np.concatenate(list(data.labels.values())).tolist()) <= {0, 1}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "reviews"
    assert main(["train", "sentiment", "--preset", "smoke", "--out", str(out)]) == 0
    return out


def test_run_directory_and_metrics(run_dir):
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert set(metrics["test"]) == {"model", "bag_of_words"}
    assert set(metrics["test"]["model"]) == {"accuracy", "macro_f1"}
    assert set(metrics["per_class"]) == {"model neg", "model pos", "bag_of_words neg",
                                         "bag_of_words pos"}
    assert set(metrics["by_construction"]) == set(reviews.CONSTRUCTIONS)
    for name in ("attention_0.png", "attention_2.png", "export/saved_model.pb"):
        assert (run_dir / name).exists(), name


def test_saved_model_takes_raw_strings_in_a_fresh_process(run_dir, tmp_path):
    suite, config, model = load_run(run_dir)
    texts = ["The plot was not bad, although the cast was dull.", "", "  <br />  ",
             "Zzyzx qwerty!"]
    script = textwrap.dedent(f"""
        import json, sys, tensorflow as tf
        loaded = tf.saved_model.load({str(run_dir / "export")!r})
        out = loaded.signatures["serving_default"](text=tf.constant({texts!r}))
        print(json.dumps({{"p": out["probabilities"].numpy().tolist(),
                          "label": [s.decode() for s in out["label"].numpy()]}}))
        assert not any(m.split(".")[0] in ("shared", "suites") for m in sys.modules)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=tmp_path, check=True)
    served = json.loads(proc.stdout.strip().splitlines()[-1])
    np.testing.assert_allclose(served["p"], probabilities_of(model, texts, config), atol=1e-5)
    assert served["label"][0] in config.labels and served["label"][3] in config.labels
    # no tokens: uniform probabilities and no label
    assert served["label"][1:3] == ["", ""]
    np.testing.assert_allclose(served["p"][1:3], 0.5)


def test_predict_command(run_dir, capsys):
    assert main(["predict", "--run", str(run_dir), "The acting was superb.", ""]) == 0
    lines = capsys.readouterr().out.strip("\n").splitlines()
    label, probability, text = lines[0].split("\t")
    assert label in ("neg", "pos") and 0.5 <= float(probability) <= 1
    assert text == "The acting was superb." and lines[1] == "(empty)\t0.500\t"
    suite, config, model = load_run(run_dir)
    assert predict(model, config, ["   "]) == ["(empty)\t0.500\t   "]


def test_sentiment_search_space_drives_build_model(tmp_path):
    out = tmp_path / "tune"
    assert main(["tune", "sentiment", "--tuner", "random", "--max-trials", "1", "--preset",
                 "smoke", "--out", str(out)]) == 0
    assert (out / "best" / "metrics.json").exists()
