import json
import math
import shutil

import numpy as np
import pytest
import tensorflow as tf

from seqsuite import registry
from seqsuite.cli import main
from seqsuite.shared.errors import ConfigError
from seqsuite.shared.run import runner
from seqsuite.suites.language_model.data import NEWLINE, load_data, streams
from seqsuite.suites.language_model.model import Generator
from seqsuite.suites.language_model.train import Compressor, NGramBaselines, ngram_bits

SUITE = registry.get("language_model")


def test_streams_continue_across_batches():
    ids = np.arange(1, 101)
    x, y = streams(ids, batch_size=3, seq_length=4)
    assert x.shape == y.shape == (8, 3, 4)
    np.testing.assert_array_equal(y, x + 1)  # targets are the next tokens
    for k in range(7):  # window k+1 of each stream starts where window k ended
        np.testing.assert_array_equal(x[k + 1, :, 0], x[k, :, -1] + 1)


def test_ngram_baselines_by_hand():
    train = np.array([2, 3, 2, 3, 2, 3, 2, 3])
    test = np.array([2, 3, 2, 3])
    bits = ngram_bits(train, test, test, vocab_size=4)
    # add-one unigram: P(2) = P(3) = (4 + 1) / (8 + 4)
    assert bits["unigram"] == pytest.approx(-math.log2(5 / 12))
    # Given two tokens the next is 3 of 4 times certain in training (the last bigram has
    # no continuation), so the interpolated trigram sits near -log2(0.75) = 0.415.
    assert 0.2 < bits["trigram"] < -math.log2(0.75) < bits["unigram"]


def test_newlines_survive_the_vocabulary(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("line one\nline two\r\nline three\n" * 200, encoding="utf-8")
    config = registry.resolve_config("language_model", "smoke",
                            [f"data={path}", "batch_size=2", "seq_length=10"])
    data = load_data(config)
    assert NEWLINE in data.vocabulary and "\n" not in data.vocabulary and "\r" not in data.vocabulary


# End to end. What every suite shares (a smoke run trains, re-evaluates, exports and
# serves in a fresh process) is tests/suites/test_contract.py's; the pydoc smoke run here
# is the one it trains.

@pytest.fixture(scope="module")
def lm_run(smoke_run):
    return smoke_run("language_model")  # shared: copy it before changing anything in it


# A causal Transformer (issue 25): windowed, read again for each new token.
TRANSFORMER = ("encoder=transformer", "layers=1", "epochs=3", "seq_length=16")


@pytest.fixture(scope="module")
def transformer_lm_run(smoke_run):
    return smoke_run("language_model", *TRANSFORMER)


@pytest.fixture(params=["rnn", "transformer"])
def any_lm_run(request):
    return request.getfixturevalue("lm_run" if request.param == "rnn"
                                   else "transformer_lm_run")


def _expected_probabilities(model, config, ids) -> np.ndarray:
    """The next-token probabilities after each of `ids`, from the whole-sequence model: for
    a windowed model, from the last `seq_length` tokens up to each."""
    from seqsuite.suites.language_model.model import token_model, windowed

    core = token_model(model, config)
    if not windowed(config):
        return tf.nn.softmax(core(np.array([ids], "int32"))[0]).numpy()
    L, rows = config.seq_length, []
    for k in range(len(ids)):
        window = ids[max(0, k - L + 1):k + 1]  # zeros after it: causal, so they do not count
        padded = np.array([window + [0] * (L - len(window))], "int32")
        rows.append(tf.nn.softmax(core(padded)[0, len(window) - 1]).numpy())
    return np.stack(rows)


@pytest.mark.slow
def test_a_transformer_language_model_trains_generates_and_is_causal(transformer_lm_run):
    from seqsuite.suites.language_model.model import token_model

    test = json.loads((transformer_lm_run / "metrics.json").read_text())["test"]
    assert test["model"]["bits_per_char"] < test["unigram"]["bits_per_char"], test
    config, model = runner.load_run(SUITE, transformer_lm_run)
    assert (config.encoder, config.seq_length) == ("transformer", 16)
    names = [layer.name for layer in model.layers]
    assert "encoder_0" in names and not any(n.startswith("rnn_") for n in names)
    # No later token changes a prediction: the logits up to step 5 ignore steps 6 on.
    core = token_model(model, config)
    a = core(np.arange(5, 21, dtype="int32")[None]).numpy()  # a whole window of 16
    b = core(np.array([[5, 6, 7, 8, 9, 10] + [20] * 10], "int32")).numpy()
    np.testing.assert_allclose(a[:, :6], b[:, :6], atol=1e-5)
    assert np.abs(a[:, 6:] - b[:, 6:]).max() > 1e-3
    # Generation longer than the window slides it: 40 characters from a 16-token window.
    text = Generator(model, config).generate(tf.constant(["The for"]), length=40,
                                             temperature=0.8, seed=7).numpy()[0].decode()
    assert text.startswith("The for") and len(text) == len("The for") + 40


@pytest.mark.slow
def test_run_reports_bits_per_char_beside_baselines(lm_run):
    metrics = json.loads((lm_run / "metrics.json").read_text())
    test = metrics["test"]
    assert set(test) == {"model", "trigram", "unigram", "kneser_ney", "xz"}
    assert test["kneser_ney"]["bits_per_char"] < test["trigram"]["bits_per_char"]
    assert all(0 < row["bits_per_char"] < 10 for row in test.values())
    assert test["trigram"]["bits_per_char"] < test["unigram"]["bits_per_char"]
    assert len((lm_run / "sample.txt").read_text()) > 300
    # A model that learned nothing fails here: uniform guessing over the 88 characters
    # costs log2(88) = 6.46 bits, character frequencies alone (the unigram) 4.59; the
    # smoke model reaches 3.49 (seed 0). The trigram's 2.98 is out of reach in seconds.
    vocab_size = json.loads((lm_run / "learned.json").read_text())["vocab_size"]
    assert test["model"]["bits_per_char"] < test["unigram"]["bits_per_char"] - 0.5
    assert 2 ** test["model"]["bits_per_char"] < vocab_size / 4  # perplexity


def _brute_kneser_ney(train, vocab_size, order, discount):
    """Python: interpolated Kneser-Ney from the module docstring's equations, by counting."""
    import collections

    grams = [collections.Counter(tuple(train[i:i + k]) for i in range(len(train) - k + 1))
             for k in range(1, order + 2)]

    def a(g):
        if len(g) == order:
            return grams[order - 1][g]
        return sum(1 for longer in grams[len(g)] if longer[1:] == g)

    def p(w, h):
        lower = 1.0 / vocab_size if not h else p(w, h[1:])
        total = sum(a(h + (x,)) for x in range(vocab_size))
        if total == 0:
            return lower
        types = sum(1 for x in range(vocab_size) if a(h + (x,)) > 0)
        return max(a(h + (w,)) - discount, 0) / total + discount * types / total * lower

    return p


def test_kneser_ney_matches_counting_by_hand_and_sums_to_one():
    import itertools

    from seqsuite.suites.language_model.kneser_ney import count, fit_kneser_ney

    rng = np.random.default_rng(0)
    train, test = rng.integers(0, 4, 60), rng.integers(0, 4, 20)
    model = count(train, 4, 3)
    model.discount = 0.75
    p = _brute_kneser_ney([int(t) for t in train], 4, 3, 0.75)
    want = [p(int(test[i]), tuple(int(t) for t in test[i - 2:i])) for i in range(2, 20)]
    np.testing.assert_allclose(model.probabilities(test), want, atol=1e-12)
    for history in itertools.product(range(4), repeat=2):
        total = sum(model.probabilities(np.array([*history, w]))[0] for w in range(4))
        assert total == pytest.approx(1.0)
    fitted = fit_kneser_ney(train, test, 4, 3)
    assert fitted.discount in (0.5, 0.75, 0.9)


def test_compressor_charges_what_the_training_text_does_not_predict(tmp_path):
    """xz spends few bits on a test text that repeats the training text, many on new
    random text; the saved baseline scores the same after loading."""
    import lzma
    import random

    train = "the quick brown fox jumps over the lazy dog. " * 200
    rng = random.Random(0)
    noise = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(2000))
    repeat = train[:2000]
    assert Compressor.bits(train, repeat) / 2000 < 0.1
    assert Compressor.bits(train, noise) / 2000 > 4.0  # log2(27) = 4.75 bits per character
    size = len(lzma.compress((train + noise).encode(), preset=9 | lzma.PRESET_EXTREME))
    assert Compressor.bits(train, noise) == 8 * (size - len(
        lzma.compress(train.encode(), preset=9 | lzma.PRESET_EXTREME)))
    Compressor(train).save(tmp_path)
    assert Compressor.load(tmp_path).train == train
    (tmp_path / Compressor.file).write_bytes(b"not xz")
    with pytest.raises(ConfigError, match="train.xz is unreadable; the run directory is damaged"):
        Compressor.load(tmp_path)


@pytest.mark.slow
def test_baselines_are_fitted_once_and_saved_as_numbers(lm_run):
    # (that a re-evaluation trains nothing is the contract test's: test_contract.py)
    baseline = NGramBaselines.load(lm_run / "baselines" / "ngram")
    saved = baseline.ngram
    learned = json.loads((lm_run / "learned.json").read_text())
    assert saved.vocab_size == learned["vocab_size"] == len(baseline.vocabulary) > 2
    assert saved.weights.sum() == pytest.approx(1.0)
    assert "vocab_size" not in json.loads((lm_run / "config.json").read_text())


@pytest.mark.slow
def test_evaluate_without_saved_baselines_says_retrain(lm_run, tmp_path, capsys):
    copy = tmp_path / "run"
    shutil.copytree(lm_run, copy)
    shutil.rmtree(copy / "baselines")
    assert main(["evaluate", "--run", str(copy)]) == 2
    err = capsys.readouterr().err
    assert "baselines/ngram is missing" in err and "train the run again" in err
    shutil.copytree(lm_run / "baselines", copy / "baselines")
    (copy / "baselines" / "ngram" / "counts.npz").unlink()
    assert main(["evaluate", "--run", str(copy)]) == 2
    err = capsys.readouterr().err
    assert "counts.npz not found" in err and "train it again" in err


@pytest.mark.slow
def test_evaluate_on_other_text_maps_it_to_the_run_vocabulary(lm_run, tmp_path):
    """`evaluate --set data=` reads a new corpus with the vocabulary the run learned."""
    copy = tmp_path / "run"
    shutil.copytree(lm_run, copy)
    path = tmp_path / "other.txt"
    path.write_text("the quick brown fox jumps over the lazy dog; \u00e9t\u00e9 \n" * 500,
                    encoding="utf-8")
    config, model = runner.load_run(SUITE, copy, {"data": str(path)})
    data = load_data(config)
    assert list(data.vocabulary) != model.get_layer("vectorizer").get_vocabulary()
    test = runner.evaluate_run(SUITE, copy, {"data": str(path)})["test"]
    assert test["model"]["bits_per_char"] > 0 and np.isfinite(test["trigram"]["bits_per_char"])
    assert json.loads((copy / "learned.json").read_text()) == json.loads(
        (lm_run / "learned.json").read_text())


@pytest.mark.slow
def test_learned_vocab_size_cannot_be_set(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "language_model", "--preset", "smoke", "--out", str(out),
                 "--set", "vocab_size=50"]) == 2
    assert "learned from the training data" in capsys.readouterr().err and not out.exists()


def test_search_space_gives_valid_configs():
    import dataclasses

    import keras_tuner as kt

    base = registry.resolve_config("language_model", "smoke")
    values = SUITE.search_space(kt.HyperParameters())
    config = dataclasses.replace(base, **values)  # the Config's own checks apply
    assert set(values) <= {f.name for f in dataclasses.fields(config)}


@pytest.mark.slow
def test_generation_signature(lm_run):
    # Served in this process: test_contract serves every export in a fresh one.
    config, model = runner.load_run(SUITE, lm_run)
    assert model.get_layer("vectorizer").get_vocabulary()[2:5] == load_data(config).vocabulary[2:5]
    expected = Generator(model, config).generate(tf.constant(["The for"]), length=30,
                                                 temperature=0.8, seed=7).numpy()[0].decode()
    serve = tf.saved_model.load(str(lm_run / "export")).signatures["serving_default"]
    out = serve(prompt=tf.constant(["The for", ""]), length=tf.constant(30),
                temperature=tf.constant(0.8), seed=tf.constant(7))["text"]
    with_prompt, without = (s.decode() for s in out.numpy())
    assert with_prompt == expected and with_prompt.startswith("The for")
    assert len(with_prompt) == len("The for") + 30 and len(without) == 30


@pytest.mark.slow
def test_generate_command_is_seeded(lm_run, capsys):
    argv = ["generate", "--run", str(lm_run), "--prompt", "def", "--temperature", "0.8",
            "--top-k", "5", "--length", "25", "--seed", "3"]
    assert main(argv) == 0
    first = capsys.readouterr().out
    assert main(argv) == 0
    assert capsys.readouterr().out == first and first.startswith("def")
    assert main([*argv[:-2], "--seed", "4"]) == 0


@pytest.mark.slow
def test_word_level_on_a_text_file(tmp_path):
    # Sentences of a seven-word grammar with three free binary choices: "{the|a}
    # {cat|dog} {sat|ran} on {the|a} mat ." A model that learned it has a perplexity
    # near 2^(3/7) = 1.35 (the smoke model: 1.57 after three epochs, seed 0); word
    # frequencies alone (the unigram) give 8.5, uniform guessing the vocabulary size.
    path = tmp_path / "words.txt"
    rng = np.random.default_rng(0)
    sentences = [f"{rng.choice(['the', 'a'])} {rng.choice(['cat', 'dog'])} "
                 f"{rng.choice(['sat', 'ran'])} on {rng.choice(['the', 'a'])} mat ."
                 for _ in range(700)]
    path.write_text(" ".join(sentences), encoding="utf-8")
    out = tmp_path / "run"
    assert main(["train", "language_model", "--preset", "smoke", "--out", str(out), "--set",
                 f"data={path}", "tokens=word", "seq_length=10", "epochs=3"]) == 0
    test = json.loads((out / "metrics.json").read_text())["test"]
    vocab_size = json.loads((out / "learned.json").read_text())["vocab_size"]
    assert test["model"]["perplexity"] < test["unigram"]["perplexity"] / 2
    assert 1 < test["model"]["perplexity"] < vocab_size / 4


def test_tiny_shakespeare_loader_with_mock_data():
    import tensorflow_datasets as tfds

    # download=true: mock_data fakes the download, not a prepared data folder
    with tfds.testing.mock_data(num_examples=1):
        config = registry.resolve_config("language_model", "smoke",
                                ["data=tfds:tiny_shakespeare", "batch_size=1", "seq_length=3",
                                 "download=true"])
        data = load_data(config)
    assert data.name == "tiny_shakespeare" and len(data.vocabulary) > 2


@pytest.mark.slow
def test_capped_corpus_error_names_max_chars(capsys, tmp_path):
    """The smoke preset cuts pydoc to 20000 characters, too few words for word mode;
    the error says so instead of asking for a longer text."""
    out = tmp_path / "run"
    assert main(["train", "language_model", "--preset", "smoke", "--out", str(out),
                 "--set", "tokens=word"]) == 2
    err = capsys.readouterr().err.strip()
    assert "max_chars=20000 (the smoke preset's cap) cuts the corpus" in err, err
    assert "--set max_chars=0" in err and "longer text" not in err and "\n" not in err
    assert not out.exists()


@pytest.mark.slow
@pytest.mark.parametrize("content, extra, message", [
    (b"", [], "is empty"),
    (b"caf\xe9 " * 50, [], "is not UTF-8"),
    (b"short text", [], "fewer than batch_size x seq_length"),
])
def test_bad_text_gets_one_line_error(tmp_path, capsys, content, extra, message):
    path = tmp_path / "t.txt"
    path.write_bytes(content)
    out = tmp_path / "run"
    assert main(["train", "language_model", "--preset", "smoke", "--out", str(out),
                 "--set", f"data={path}", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and not out.exists(), err


def test_movie_reviews_corpus_leaves_out_the_long_reviews():
    from seqsuite.shared.data.sources import LONG_REVIEW_WORDS, imdb_reviews, is_long_review
    from seqsuite.suites.language_model.data import movie_reviews

    lines = movie_reviews().splitlines()
    assert len(lines) > 15000 and "<br" not in lines[0]
    assert max(len(line.split()) for line in lines) < LONG_REVIEW_WORDS
    # Disjoint from the long reviews the sentiment benchmark samples, by the same rule.
    long = {" ".join(t.replace("<br />", " ").split()) for t, _ in imdb_reviews()
            if is_long_review(t)}
    assert len(long) > 2500 and not long & set(lines)
    config = registry.resolve_config("language_model", "smoke",
                                     ["data=movie_reviews", "tokens=word", "max_chars=200000"])
    data = load_data(config)
    assert data.name == "movie reviews (IMDB)" and len(data.ids["train"]) > 20000


@pytest.mark.slow
def test_streaming_a_token_at_a_time_gives_the_whole_sequence(any_lm_run, plain_tensorflow,
                                                              tmp_path):
    """The export's `stream` signature, fed one character at a time in a fresh process with
    plain TensorFlow, gives the next-token probabilities the whole-sequence model gives
    (a windowed model's: over the last `seq_length` tokens; the text is longer than the
    Transformer's window, so the window slides)."""
    from seqsuite.shared.run.runner import load_run

    config, model = load_run(SUITE, any_lm_run)
    vocabulary = model.get_layer("vectorizer").get_vocabulary()
    text = "The cat sat.\nA dog ran"
    tokens = [NEWLINE if ch == "\n" else ch for ch in text]
    tokens = [t.lower() for t in tokens] if config.lowercase else tokens
    ids = [vocabulary.index(t) if t in vocabulary else 1 for t in tokens]
    np.save(tmp_path / "expected.npy", _expected_probabilities(model, config, ids))
    script = f"""
import numpy as np, tensorflow as tf
served = tf.saved_model.load({str(any_lm_run / "export")!r})
start, stream = served.signatures["initial_state"], served.signatures["stream"]
state = start(batch_size=tf.constant(1))
got = []
for ch in {list(text)!r}:
    out = stream(token=tf.constant([ch]), **state)
    state = {{k: v for k, v in out.items() if k.startswith("state_")}}
    got.append(out["probabilities"][0].numpy())
    assert out["next_tokens"].shape == (1, 5)
np.testing.assert_allclose(np.array(got), np.load({str(tmp_path / "expected.npy")!r}),
                           atol=1e-5)
print("streamed", len(got))
"""
    proc = plain_tensorflow(script)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"streamed {len(text)}" in proc.stdout


@pytest.mark.slow
def test_stream_command_prints_each_tokens_surprisal_and_the_next_guesses(lm_run, tmp_path,
                                                                          capsys):
    """`seqsuite stream` on a text file: one row per character (the line break one too),
    whose bits are -log2 of the whole-sequence model's probability of that character
    after the ones before it."""
    import csv
    import io

    from seqsuite.shared.run.runner import load_run
    from seqsuite.suites.language_model.model import token_model

    config, model = load_run(SUITE, lm_run)
    vocabulary = model.get_layer("vectorizer").get_vocabulary()
    text = "The cat, sat.\nA dog"
    source = tmp_path / "live.txt"
    source.write_text(text, encoding="utf-8")
    assert main(["stream", "--run", str(lm_run), str(source)]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    tokens = [NEWLINE if ch == "\n" else ch for ch in text]
    tokens = [t.lower() for t in tokens] if config.lowercase else tokens
    assert [r["token"] for r in rows] == tokens and rows[0]["bits"] == ""
    ids = [vocabulary.index(t) if t in vocabulary else 1 for t in tokens]
    p = tf.nn.softmax(token_model(model, config)(np.array([ids], "int32"))[0]).numpy()
    for k in range(1, len(tokens)):
        if ids[k] > 1:
            assert float(rows[k]["bits"]) == pytest.approx(-math.log2(p[k - 1, ids[k]]),
                                                           rel=1e-3)
        assert rows[k - 1]["next_1"] == vocabulary[int(np.argmax(p[k - 1]))]
