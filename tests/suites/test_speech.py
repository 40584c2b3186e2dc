"""The speech suite: synthetic data and its cache, loaders, what the smoke run learned,
serving, bad audio. Training, evaluation and export of every suite are in test_contract.py."""

import dataclasses
import io
import json
import subprocess
import sys
import textwrap
import wave
from unittest import mock

import numpy as np
import pytest
import tensorflow as tf

from seqsuite import registry
from seqsuite.cli import main
from seqsuite.shared.layers.ctc import error_rates
from seqsuite.shared.run.files import is_ours
from seqsuite.shared.run.runner import load_run
from seqsuite.suites.speech import synth
from seqsuite.suites.speech.data import (
    ctc_fits,
    load_data,
    load_splits,
    normalise_transcript,
)
from seqsuite.suites.speech.train import LM_WEIGHTS, WORD_BONUSES

RATE = 16000
# A streaming run of one epoch, its running normalisation starting from a training prior,
# 60 ms of silence after each recording (a stream ends with as much); the equality tests
# do not need a good model.
STREAMING = ("streaming=true", "normalisation_prior=100", "tail_ms=60", "epochs=1")


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("speech-cache")


@pytest.fixture(scope="module")
def run(smoke_run):
    """The session's speech smoke run (tests/conftest.py); read-only."""
    return smoke_run("speech")


def _config(cache, *overrides):
    return registry.resolve_config("speech", "smoke", [f"cache_dir={cache}", *overrides])


def wav(samples, rate=RATE, channels=1):
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return out.getvalue()


def spoken(text="three one four", voice="en-us+m3", rate=RATE):
    """eSpeak speech as a float waveform at `rate`."""
    from seqsuite.shared.layers.audio import resample

    speech = synth.Espeak().speak(text, voice).astype("float32") / 32768
    return resample(speech, synth.ESPEAK_RATE, rate).numpy()


def test_transcripts_are_normalised_to_the_vocabulary():
    assert normalise_transcript("  Don’t STOP—now, well-known_item!  ") == "don't stopnow well known item"
    assert ctc_fits("ab", 16000, 4) and not ctc_fits("a" * 60, 8000, 4)
    assert not ctc_fits("aa", 4 * 160 * 2, 4)  # two steps: a repeat needs a blank between


def test_common_words_come_from_wordfreq():
    words = synth.common_words(1000)
    assert len(words) == len(set(words)) == 1000
    assert words[:3] == ["the", "to", "and"]
    assert all(w.replace("'", "").isalpha() and w == w.lower() for w in words)


def test_voices_of_the_splits_are_disjoint_and_synthesis_is_deterministic():
    variants = synth.Espeak.variants()
    assert len(variants) >= 80 and not synth.NOVELTY & set(variants)
    parts = synth.split_variants(variants, 0, 0.1, 0.2)
    assert not set(parts["test"]) & set(parts["train"]) and not set(parts["val"]) & set(parts["train"])
    spec = synth.CorpusSpec(count=6, variants=tuple(parts["train"]), seed=3, augment=True)
    a, b = synth.generate(spec), synth.generate(spec)
    np.testing.assert_array_equal(a.audio, b.audio)
    assert a.texts == b.texts and len(a) == 6
    for i in range(6):
        assert 0.2 < len(a.waveform(i)) / RATE < 6 and a.voices[i].split("+")[1] in parts["train"]


def test_corpus_is_cached_versioned_and_rebuilt_only_when_the_generator_changes(tmp_path):
    spec = synth.CorpusSpec(count=3, variants=("m1", "f2"), seed=0)
    first = synth.cached_corpus("train", spec, tmp_path, verbose=0)
    (folder,) = tmp_path.iterdir()
    assert is_ours(folder) and (folder / "corpus.npz").exists()
    with mock.patch.object(synth, "generate", side_effect=AssertionError("regenerated")):
        again = synth.cached_corpus("train", spec, tmp_path, verbose=0)
    np.testing.assert_array_equal(again.audio, first.audio)
    with mock.patch.object(synth, "GENERATOR_VERSION", synth.GENERATOR_VERSION + 1):
        synth.cached_corpus("train", spec, tmp_path, verbose=0)
    synth.cached_corpus("train", synth.CorpusSpec(count=4, variants=("m1",), seed=0), tmp_path,
                        verbose=0)
    assert len(list(tmp_path.iterdir())) == 3


def test_synth_splits_use_unseen_voices(cache):
    name, splits = load_splits(_config(cache, "train_utterances=24", "val_utterances=8",
                                       "test_utterances=8"))
    variants = {split: {v.split("+")[1] for v in u.speakers} for split, u in splits.items()}
    assert not variants["test"] & variants["train"]
    assert [len(splits[s]) for s in ("train", "val", "test")] == [24, 8, 8]


def _tsv_folder(tmp_path, lines=None):
    texts = ["yes", "no", "go left", "stop", "two three", "up"]
    for i, text in enumerate(texts):
        (tmp_path / f"u{i}.wav").write_bytes(wav(spoken(text)))
    rows = lines or ["path\ttext", *(f"u{i}.wav\t{t.upper()}" for i, t in enumerate(texts))]
    (tmp_path / "list.tsv").write_text("\n".join(rows) + "\n")
    return tmp_path / "list.tsv"


def test_tsv_loader(tmp_path, cache):
    path = _tsv_folder(tmp_path)
    data = load_data(_config(cache, f"data={path}", "val_fraction=0.2", "test_fraction=0.2"))
    sizes = [len(data.splits[s]) for s in ("train", "val", "test")]
    assert sizes == [4, 1, 1]
    assert set(sum((data.splits[s].texts for s in data.splits), [])) == {
        "yes", "no", "go left", "stop", "two three", "up"}
    batch, labels = next(iter(data.train))
    assert batch["waveform"].shape[0] == labels.shape[0] and batch["samples"].dtype == tf.int32


@pytest.mark.parametrize("lines, message", [
    (["u0.wav yes", "u1.wav\tno", "u2.wav\tgo"], "expected 'path<TAB>transcript'"),
    (["missing.wav\tyes", "u1.wav\tno", "u2.wav\tgo"], "not found"),
    (["list.tsv\tyes", "u1.wav\tno", "u2.wav\tgo"], "not a WAV file"),
    (["u0.wav\tyes"], "at least 3"),
])
def test_bad_tsv_gets_one_line_error(tmp_path, cache, capsys, lines, message):
    path = _tsv_folder(tmp_path, lines)
    out = tmp_path / "run"
    assert main(["train", "speech", "--preset", "smoke", "--out", str(out), "--set",
                 f"data={path}", f"cache_dir={cache}"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("seqsuite: error:") and "\n" not in err and message in err, err
    assert not out.exists()


def test_librispeech_layout_with_flac_and_subsets(tmp_path, cache):
    import soundfile

    for subset, speakers in (("train-clean-5", ("19", "26")), ("dev-clean", ("84",)),
                             ("test-clean", ("121",))):
        for speaker in speakers:
            chapter = tmp_path / "LibriSpeech" / subset / speaker / "100"
            chapter.mkdir(parents=True)
            lines = []
            for k, text in enumerate(("GO LEFT", "YES")):
                utterance = f"{speaker}-100-{k:04d}"
                soundfile.write(chapter / f"{utterance}.flac", spoken(text, rate=22050), 22050)
                lines.append(f"{utterance} {text}")
            (chapter / f"{speaker}-100.trans.txt").write_text("\n".join(lines) + "\n")
    name, splits = load_splits(_config(cache, f"data={tmp_path / 'LibriSpeech'}"))
    assert [len(splits[s]) for s in ("train", "val", "test")] == [4, 2, 2]
    assert splits["test"].texts == ["go left", "yes"] and splits["test"].speakers == ["121"] * 2
    assert abs(len(splits["train"].waveforms[1]) / RATE - len(spoken("YES")) / RATE) < 0.01


def test_librispeech_layout_without_subsets_splits_by_speaker(tmp_path, cache):
    for speaker in ("1", "2", "3", "4", "5"):
        chapter = tmp_path / speaker / "7"
        chapter.mkdir(parents=True)
        (chapter / f"{speaker}-7-0000.wav").write_bytes(wav(spoken("no")))
        (chapter / f"{speaker}-7.trans.txt").write_text(f"{speaker}-7-0000 NO\n")
    _, splits = load_splits(_config(cache, f"data={tmp_path}", "val_fraction=0.2",
                                    "test_fraction=0.2"))
    speakers = {s: set(u.speakers) for s, u in splits.items()}
    assert len(speakers["test"]) == 1 and not speakers["test"] & speakers["train"]


@pytest.mark.parametrize("name", ["speech_commands", "librispeech"])
def test_tfds_loaders_with_mock_data(name, cache):
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=6), mock.patch.object(
            tfds.core.DatasetBuilder, "is_prepared", return_value=True):
        _, splits = load_splits(_config(cache, f"data=tfds:{name}"))
    assert set(splits) == {"train", "val", "test"}
    for utterances in splits.values():
        assert len(utterances) <= 6
        for waveform, text in zip(utterances.waveforms, utterances.texts):
            assert waveform.dtype == np.float32 and np.abs(waveform).max() <= 1.0
            assert normalise_transcript(text) == text


def test_unprepared_tfds_is_refused_at_once(tmp_path, cache, monkeypatch, capsys):
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))
    out = tmp_path / "run"
    assert main(["train", "speech", "--preset", "smoke", "--out", str(out), "--set",
                 "data=tfds:speech_commands", f"cache_dir={cache}"]) == 2
    assert "tfds build speech_commands" in capsys.readouterr().err


@pytest.mark.slow
def test_smoke_run_transcribes_voices_it_never_heard(run):
    for name in ("history.png", "alignment.png", "test_transcripts.tsv"):
        assert (run / name).exists(), name
    metrics = json.loads((run / "metrics.json").read_text())
    assert set(metrics["test"]) == {"greedy", "beam", "lm"}
    for row in metrics["test"].values():
        assert set(row) == {"cer", "wer", "utterances"} and row["utterances"] == 32
        # The empty transcript, all a model that learned nothing emits after CTC's first
        # steps, has CER 1; the smoke run's is 0.44 (greedy) and 0.42 (beam) on these 32
        # utterances of unseen voices, whatever global TensorFlow seed an earlier test
        # left set.
        assert row["cer"] < 0.7, row
    assert metrics["data"]["real_time_factor"] > 0
    # The lexicon (the 2,000 commonest words) and its weights, chosen on validation.
    config, _ = load_run(registry.get("speech"), run)
    assert len(config.words) == 2000 and config.words[:3] == ["the", "to", "and"]
    assert config.lm_weight in LM_WEIGHTS and config.word_bonus in WORD_BONUSES
    assert metrics["test"]["lm"]["wer"] <= metrics["test"]["beam"]["wer"] + 0.1


@pytest.mark.slow
def test_calibration_chooses_the_lexicon_weights_on_validation(run, monkeypatch):
    """The grid includes weight 0 and bonus 0 (the beam's best), so what calibration
    picks transcribes the validation split at least as well as the beam; with no
    lexicon there is nothing to choose."""
    from seqsuite.suites.speech import train as speech_train

    config, model = load_run(registry.get("speech"), run)
    data = registry.get("speech").load_data(config)
    val = data.splits["val"]
    picks = speech_train.transcribe_utterances(model, val, config, ["beam"])["beam"]
    counts = {w: 1.0 for text in picks for w in text.split()}
    monkeypatch.setattr(speech_train.synth, "common_words", lambda n: list(counts))
    learned = speech_train.calibrate(model, data, config)
    # wordfreq's frequencies: the made-up words of a young model's transcripts drop out
    assert learned["words"] and set(learned["words"]) <= set(counts)
    chosen = dataclasses.replace(config, **learned)
    rescored = speech_train.transcribe_utterances(model, val, chosen, ["lm"])["lm"]
    assert error_rates(val.texts, rescored)["wer"] <= error_rates(val.texts, picks)["wer"]
    none = speech_train.calibrate(model, data, dataclasses.replace(config, lexicon_words=0))
    assert set(none.values()) == {None} and "correct_within" in none


@pytest.mark.slow
def test_transcribe_with_a_closed_vocabulary(run, tmp_path, capsys):
    paths = _bad_batch(tmp_path)[:1]
    words = tmp_path / "words.txt"
    words.write_text("seven\ntwo\nstop\n", encoding="utf-8")
    assert main(["transcribe", "--run", str(run), *paths, "--vocabulary", str(words)]) == 0
    text = capsys.readouterr().out.splitlines()[0].split("\t")[1]
    assert text and set(text.split()) <= {"seven", "two", "stop"}, text
    for content, message in [(b"", "holds no words"), (b"caf\xe9", "not UTF-8"),
                             (b"seven\n2\n", "cannot write")]:
        words.write_bytes(content)
        assert main(["transcribe", "--run", str(run), *paths, "--vocabulary", str(words)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "--vocabulary" in err[0] and message in err[0], err
    assert main(["transcribe", "--run", str(run), *paths, "--vocabulary",
                 str(tmp_path / "none.txt")]) == 2
    assert "none.txt" in capsys.readouterr().err


def _bad_batch(tmp_path):
    speech = spoken("seven two")
    files = {
        "good.wav": wav(speech),
        "text.wav": b"this is not audio",
        "truncated.wav": wav(speech)[: len(wav(speech)) // 2],
        "stereo.wav": wav(np.stack([speech, speech], 1).ravel(), channels=2),
        "rate44k.wav": wav(spoken("seven two", rate=44100), rate=44100),
        "silence.wav": wav(np.zeros(RATE)),
        "long.wav": wav(np.tile(speech, 40)),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return [str(tmp_path / n) for n in files]


@pytest.mark.slow
def test_transcribe_command_handles_bad_files_one_by_one(run, tmp_path, capsys):
    paths = _bad_batch(tmp_path)
    assert main(["transcribe", "--run", str(run), *paths, str(tmp_path / "gone.wav")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 8
    fields = [line.split("\t") for line in lines]
    assert [f[0] for f in fields] == [*paths, str(tmp_path / "gone.wav")]
    status = {f[0].rsplit("/", 1)[1]: (f[2] if len(f) > 2 else "ok") for f in fields}
    assert status["good.wav"] == status["stereo.wav"] == status["rate44k.wav"] == "ok"
    assert "not a WAV file" in status["text.wav"] and "truncated" in status["truncated.wav"]
    assert status["silence.wav"] == "(silence)" and "longer than the limit" in status["long.wav"]
    assert "cannot read it" in status["gone.wav"]
    assert fields[1][1] == "" and fields[5][1] == ""
    assert fields[0][1] == fields[3][1]  # stereo of the same speech: the same transcript


@pytest.mark.slow
def test_transcribe_refuses_runs_of_other_suites(tmp_path, capsys):
    run = tmp_path / "r"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"suite": "forecasting", "preset": "smoke"}))
    (run / "config.json").write_text("{}")
    (run / "learned.json").write_text("{}")
    (run / "model.keras").write_text("")
    assert main(["transcribe", "--run", str(run), "a.wav"]) == 2
    assert "has no `transcribe`" in capsys.readouterr().err


@pytest.mark.slow
def test_saved_model_serves_wav_bytes_and_waveforms_in_a_fresh_process(run, tmp_path, plain_tensorflow):
    paths = _bad_batch(tmp_path)
    np.save(tmp_path / "wavs.npy", np.array([open(p, "rb").read() for p in paths], dtype=object),
            allow_pickle=True)
    speech = spoken("seven two")
    np.save(tmp_path / "waveform.npy", speech[None].astype("float32"))
    script = textwrap.dedent(f"""
        import json, sys, numpy as np, tensorflow as tf
        served = tf.saved_model.load({str(run / "export")!r})
        wavs = np.load({str(tmp_path / "wavs.npy")!r}, allow_pickle=True)
        out = served.signatures["serving_default"](wav=tf.constant(list(wavs)))
        wave = served.signatures["waveform"](waveform=tf.constant(np.load({str(tmp_path / "waveform.npy")!r})),
                                             samples=tf.constant([{len(speech)}]))
        closed = served.signatures["vocabulary"](wav=tf.constant(list(wavs)),
                                                 vocabulary=tf.constant(["seven", "two"]))
        assert not any(m.split(".")[0] == "seqsuite" for m in sys.modules), "imported project"
        print(json.dumps({{"transcript": [t.decode() for t in out["transcript"].numpy()],
                          "status": [s.decode() for s in out["status"].numpy()],
                          "waveform": wave["transcript"].numpy()[0].decode(),
                          "closed": [t.decode() for t in closed["transcript"].numpy()],
                          "closed_status": [s.decode() for s in closed["status"].numpy()]}}))
    """)
    proc = plain_tensorflow(script, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["status"][0] == "ok" and result["status"][1].startswith("not a WAV")
    assert result["transcript"][1] == result["transcript"][5] == ""
    # the float signature and the WAV signature hear the same speech the same way
    assert result["waveform"] == result["transcript"][0]
    # the SavedModel decodes as the suite does in Python (beam, lexicon, correction)
    config, model = load_run(registry.get("speech"), run)
    logits = model({"waveform": speech[None].astype("float32"),
                    "samples": np.array([len(speech)], "int32")}, training=False)
    from seqsuite.suites.speech.model import decode

    assert result["waveform"] == decode(logits, config, "lm").numpy()[0].decode()
    # a closed vocabulary: only its words, the bad files still reported one by one
    assert result["closed_status"] == result["status"]
    assert result["closed"][0] and set(result["closed"][0].split()) <= {"seven", "two"}
    assert result["closed"][1] == ""
    # saved_model_cli runs the same signature
    cli = subprocess.run(["saved_model_cli", "run", "--dir", str(run / "export"),
                          "--tag_set", "serve", "--signature_def", "serving_default",
                          "--inputs", f"wav={tmp_path / 'wavs.npy'}"],
                         capture_output=True, text=True, cwd=tmp_path,
                         env={"PATH": f"{sys.prefix}/bin", "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert cli.returncode == 0, cli.stderr[-2000:]
    assert "not a WAV file" in cli.stdout and "Result for output key transcript" in cli.stdout


def _band_energy(x, low, high, rate=16000):
    spectrum = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / rate)
    return spectrum[(f >= low) & (f < high)].sum() / spectrum.sum()


def _centroid(x, rate=16000):
    spectrum = np.abs(np.fft.rfft(x))
    return float((np.fft.rfftfreq(len(x), 1 / rate) * spectrum).sum() / spectrum.sum())


def test_channel_augmentations_keep_length_and_do_what_they_say():
    rng = np.random.default_rng(0)
    x = rng.normal(size=16000) * 0.1  # white: energy at every frequency
    banded = synth.band_limit(x, 300, 3400)
    assert len(banded) == len(x)
    assert _band_energy(banded, 4000, 8000) < 0.01 and _band_energy(x, 4000, 8000) > 0.4
    assert _band_energy(banded, 0, 100) < 0.001
    speech = spoken("seven two")
    up, down = synth.vtlp(speech, 1.1), synth.vtlp(speech, 0.9)
    assert len(up) == len(down) == len(speech)
    assert _centroid(down) < _centroid(speech) < _centroid(up)
    np.testing.assert_allclose(synth.vtlp(speech, 1.0), speech, atol=1e-6)  # no warp
    coded = synth.mu_law_codec(speech)
    assert len(coded) == len(speech)
    assert _band_energy(coded, 4100, 8000) < 0.01  # 8 kHz sampling: nothing above 4 kHz
    assert np.corrcoef(coded, synth.band_limit(speech, 1, 4000))[0, 1] > 0.9
    # Seeded: the same generator state gives the same augmented waveform.
    a = synth.channel(speech, ("vtlp", "band", "codec"), np.random.default_rng(5))
    b = synth.channel(speech, ("vtlp", "band", "codec"), np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    assert len(a) == len(speech)


def test_channel_augmentation_is_checked_and_keys_the_cache():
    from seqsuite.shared.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown augmentation 'phone'; use any of vtlp"):
        registry.resolve_config("speech", "smoke", ["channel=[\"phone\"]"])
    plain = synth.CorpusSpec(count=2, variants=("m1",), seed=0)
    assert plain.key("1.5") != synth.CorpusSpec(count=2, variants=("m1",), seed=0,
                                                channel=("band",)).key("1.5")


def test_streaming_is_unidirectional_with_the_design_chosen_on_validation():
    config = registry.resolve_config("speech", "smoke", ["streaming=true"])
    assert config.bidirectional is False
    assert registry.resolve_config("speech", "smoke").bidirectional is True
    chosen = registry.resolve_config("speech", "quick", ["streaming=true"])
    offline = registry.resolve_config("speech", "quick")
    assert (chosen.units, chosen.normalisation_prior, chosen.tail_ms) == (192, 100, 300)
    assert (offline.units, offline.normalisation_prior, offline.tail_ms) == (128, 0, 0)
    given = registry.resolve_config("speech", "quick", ["streaming=true", "units=64",
                                                        "tail_ms=0"])
    assert (given.units, given.normalisation_prior, given.tail_ms) == (64, 100, 0)
    with pytest.raises(Exception, match="cannot be bidirectional; drop bidirectional=true"):
        registry.resolve_config("speech", "smoke", ["streaming=true", "bidirectional=true"])


@pytest.mark.slow
def test_streaming_run_transcribes_chunk_by_chunk_in_a_fresh_process(smoke_run, tmp_path,
                                                                      plain_tensorflow):
    """A `streaming=true` run's `stream` signature, fed 120 ms chunks with plain TensorFlow,
    gives the whole recording's logits (to 1e-4) and its greedy transcript, text piece by
    text piece. One epoch: the equality does not need a good model."""
    from seqsuite.suites.speech.model import chunk_samples, decode, tail_samples

    out = smoke_run("speech", *STREAMING)
    config, model = load_run(registry.get("speech"), out)
    logmel = model.get_layer("logmel")  # adapted: speech's log-mel levels, not 0 and 1
    assert np.abs(logmel.prior_mean.numpy()).max() > 1
    assert not np.allclose(logmel.prior_variance.numpy(), 1.0)
    chunk = 4 * chunk_samples(config)
    recordings, expected = [], []
    for text, voice in (("three one four", "en-us+m3"), ("open the door", "en+f2")):
        w = spoken(text, voice)
        x = np.zeros(-(-len(w) // chunk) * chunk, "float32")
        x[: len(w)] = w
        logits = model({"waveform": x[None], "samples": np.array([len(x)], "int32")},
                       training=False)
        recordings.append(np.concatenate([x, np.zeros(tail_samples(config), "float32")]))
        expected.append((logits.numpy()[0], decode(logits, config, "greedy").numpy()[0]))
    np.savez(tmp_path / "expected.npz", *[e[0] for e in expected])
    np.savez(tmp_path / "audio.npz", *recordings)
    script = f"""
import numpy as np, tensorflow as tf
served = tf.saved_model.load({str(out / "export")!r})
audio, logits = np.load({str(tmp_path / "audio.npz")!r}), np.load({str(tmp_path / "expected.npz")!r})
for k in range(len(audio.files)):
    x = audio[f"arr_{{k}}"]
    state = served.signatures["initial_state"](batch_size=tf.constant(1))
    texts, steps = [], []
    for i in range(0, len(x), {chunk}):
        out = served.signatures["stream"](chunk=tf.constant(x[None, i:i + {chunk}]), **state)
        state = {{n: v for n, v in out.items() if n.startswith("state_")}}
        texts.append(out["text"][0].numpy().decode()); steps.append(out["logits"][0].numpy())
    np.testing.assert_allclose(np.concatenate(steps), logits[f"arr_{{k}}"], atol=1e-4)
    print("text", repr("".join(texts)))
try:
    served.signatures["stream"](chunk=tf.zeros([1, 100]), **state)
except tf.errors.InvalidArgumentError as err:
    print("refused", "a chunk must hold a multiple of" in str(err))
"""
    proc = plain_tensorflow(script)
    assert proc.returncode == 0, proc.stderr[-3000:]
    texts = [line[5:] for line in proc.stdout.splitlines() if line.startswith("text ")]
    assert texts == [repr(t.decode()) for _, t in expected]
    assert "refused True" in proc.stdout


@pytest.mark.slow
def test_stream_command_transcribes_a_wav_as_it_is_read(smoke_run, run, tmp_path, capsys):
    from seqsuite.suites.speech.model import chunk_samples, decode

    out = smoke_run("speech", *STREAMING)
    config, model = load_run(registry.get("speech"), out)
    w = spoken("open the door", "en+f2")
    chunk = 4 * chunk_samples(config)
    x = np.zeros(-(-len(w) // chunk) * chunk, "float32")
    x[: len(w)] = (np.clip(w, -1, 1) * 32767).astype("<i2") / 32768  # as the file holds it
    (tmp_path / "live.wav").write_bytes(wav(w))
    assert main(["stream", "--run", str(out), str(tmp_path / "live.wav")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "milliseconds,text" and lines[-1].startswith("end,")
    logits = model({"waveform": x[None], "samples": np.array([len(x)], "int32")},
                   training=False)
    expected = decode(logits, config, "greedy").numpy()[0].decode()
    assert lines[-1] == "end," + " ".join(expected.split())
    # a WAV of another rate, and a run that hears both ways, are refused in one line
    (tmp_path / "slow.wav").write_bytes(wav(w[::2], rate=8000))
    assert main(["stream", "--run", str(out), str(tmp_path / "slow.wav")]) == 2
    assert "is 8000 Hz, 16-bit; the stream reads 16 kHz" in capsys.readouterr().err
    assert main(["stream", "--run", str(run), str(tmp_path / "live.wav")]) == 2
    assert "train one with --set streaming=true" in capsys.readouterr().err


@pytest.mark.slow
def test_streaming_run_converts_to_tensorflow_lite(smoke_run, tmp_path, capsys):
    """`seqsuite export --tflite` on a `streaming=true` run: the interpreter, fed 120 ms
    chunks, gives the whole recording's logits and the characters greedy decoding adds
    at each step (class ids, repeats merged across chunks); int8 weights make it smaller."""
    import tensorflow as tf

    from seqsuite.suites.speech.model import LITE_CHUNK_STEPS, chunk_samples, tail_samples

    out = smoke_run("speech", *STREAMING)
    config, model = load_run(registry.get("speech"), out)
    chunk = LITE_CHUNK_STEPS * chunk_samples(config)
    w = spoken("three one four", "en-us+m3")
    x = np.zeros(-(-len(w) // chunk) * chunk, "float32")
    x[: len(w)] = w
    whole = model({"waveform": x[None], "samples": np.array([len(x)], "int32")},
                  training=False).numpy()[0]
    # the stream is flushed with the model's tail of silence, in whole chunks
    x = np.concatenate([x, np.zeros(-(-tail_samples(config) // chunk) * chunk, "float32")])
    ids = whole.argmax(-1)
    expected = np.where(ids != np.concatenate([[0], ids[:-1]]), ids, 0)
    sizes = {}
    for quantize in ("none", "dynamic"):
        lite = tmp_path / f"{quantize}.tflite"
        assert main(["export", "--run", str(out), "--tflite", "--quantize", quantize,
                     "--out", str(lite)]) == 0
        sizes[quantize] = lite.stat().st_size
        runner = tf.lite.Interpreter(model_path=str(lite)).get_signature_runner()
        served = tf.saved_model.load(str(out / "export"))
        state = {k: v.numpy() for k, v in
                 served.signatures["initial_state"](batch_size=tf.constant(1)).items()}
        steps, added = [], []
        for i in range(0, len(x), chunk):
            o = runner(chunk=x[None, i:i + chunk], **state)
            state = {k: v for k, v in o.items() if k.startswith("state_")}
            steps.append(o["logits"][0])
            added.append(o["ids"][0])
        steps, added = np.concatenate(steps)[: len(whole)], np.concatenate(added)[: len(whole)]
        if quantize == "none":
            np.testing.assert_allclose(steps, whole, atol=1e-4)
            np.testing.assert_array_equal(added, expected)
        else:
            assert np.corrcoef(steps.ravel(), whole.ravel())[0, 1] > 0.99
    assert sizes["dynamic"] < sizes["none"]
    # another chunk length than the flatbuffer's is refused by the interpreter
    with pytest.raises((ValueError, RuntimeError)):
        runner(chunk=x[None, :chunk // 2], **state)
