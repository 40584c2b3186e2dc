"""Train, evaluate and export the speech suite; transcribe WAV files.

    seqsuite train speech --preset quick --out runs/speech
    seqsuite transcribe --run runs/speech a.wav b.wav
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

from seqsuite.shared.data.text import read_word_counts
from seqsuite.shared.evaluation.plots import _save, plt
from seqsuite.shared.layers.ctc import ctc_beam_candidates, error_rates
from seqsuite.shared.layers.lexicon import Lexicon, correct, rescore
from seqsuite.shared.run.suite import Evaluation
from seqsuite.suites.speech import model as speech_model
from seqsuite.suites.speech import synth
from seqsuite.suites.speech.config import CHARACTERS, Config
from seqsuite.suites.speech.data import SpeechData, Utterances
from seqsuite.suites.speech.model import VOCABULARY, logits_numpy, serving


def _logit_batches(model, utterances: Utterances, config: Config):
    """(indices, logits) per batch of utterances of similar length, so little padding is
    computed; padded steps are blank (`BlankPadding`), so decoding them adds nothing."""
    waveforms = utterances.waveforms
    order = np.argsort([len(w) for w in waveforms], kind="stable")
    for start in range(0, len(order), config.batch_size):
        index = order[start: start + config.batch_size]
        lengths = np.array([max(len(waveforms[i]), 1) for i in index], "int32")
        batch = np.zeros((len(index), lengths.max()), "float32")
        for row, i in enumerate(index):
            batch[row, : len(waveforms[i])] = waveforms[i]
        yield index, model({"waveform": batch, "samples": lengths}, training=False)


def transcribe_utterances(model, utterances: Utterances, config: Config,
                          methods=None) -> dict[str, list[str]]:
    """{method: transcripts} of utterances (default: every method the run offers,
    `model.methods`), decoded from one pass of the model."""
    methods = methods or speech_model.methods(config)
    out = {method: [""] * len(utterances) for method in methods}
    for index, logits in _logit_batches(model, utterances, config):
        for method in methods:
            for i, text in zip(index, speech_model.decode(logits, config, method).numpy()):
                out[method][i] = text.decode()
    return out


def build_lexicon(config: Config) -> Lexicon | None:
    """The lexicon `lexicon_file` or `lexicon_words` asks for (None: neither), its
    log-probabilities rounded to 4 decimals as `learned.json` keeps them."""
    if config.lexicon_file:
        found = Lexicon.from_counts(read_word_counts(config.lexicon_file, CHARACTERS,
                                                     "lexicon_file"))
    elif not config.lexicon_words:
        return None
    else:
        words = synth.common_words(config.lexicon_words)  # says so when wordfreq is missing
        import wordfreq

        found = Lexicon.from_counts({w: wordfreq.word_frequency(w, "en") for w in words})
    # As kept in learned.json, so calibration measures what the run will decode with.
    return Lexicon(found.words, np.round(found.log_probs, 4))


LM_WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5)
WORD_BONUSES = (-1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 6.0)
# (correct_within, correct_prior), the first no correction
CORRECTIONS = ((0.0, 0.0), (0.34, 0.0), (0.5, 0.0), (0.5, 0.2), (1.0, 0.2))


def calibrate(model, data: SpeechData, config: Config) -> dict:
    """`Suite.calibrate`: the lexicon, the language-model weight and word bonus
    (LM_WEIGHTS x WORD_BONUSES) whose rescored validation transcripts have the lowest
    WER (then CER; then the smaller weight and bonus), and then the correction of
    unknown words (CORRECTIONS) that lowers that WER most (none unless one does)."""
    found = build_lexicon(config)
    val = data.splits["val"]
    if found is None or not len(val):
        return dict.fromkeys(("words", "word_log_probs", "lm_weight", "word_bonus",
                              "correct_within", "correct_prior"))
    texts, scores = [None] * len(val), np.zeros((len(val), config.beam_width), "float32")
    for index, logits in _logit_batches(model, val, config):
        ids, log_probs = ctc_beam_candidates(logits, beam_width=config.beam_width)
        for i, row in zip(index, VOCABULARY.to_text(ids).numpy()):
            texts[i] = [t.decode() for t in row]
        scores[index] = log_probs.numpy()
    texts, tensors = tf.constant(texts), found.tensors()
    best = None
    for weight in LM_WEIGHTS:
        for bonus in WORD_BONUSES:
            picked = [t.decode() for t in rescore(texts, scores, *tensors, weight, bonus).numpy()]
            rates = error_rates(val.texts, picked)
            key = (rates["wer"], rates["cer"], weight, abs(bonus))
            if best is None or key < best[0]:
                best = key, weight, bonus, picked
    weight, bonus, rescored = best[1:]
    chosen = None
    for within, prior in CORRECTIONS:
        fixed = [t.decode() for start in range(0, len(rescored), 64) for t in correct(
            tf.constant(rescored[start: start + 64]), *found.tensors(), within, prior).numpy()]
        rates = error_rates(val.texts, fixed)
        if chosen is None or (rates["wer"], rates["cer"]) < chosen[0]:
            chosen = (rates["wer"], rates["cer"]), within, prior
    return {"words": found.words, "word_log_probs": [round(float(p), 4) for p in found.log_probs],
            "lm_weight": weight, "word_bonus": bonus, "correct_within": chosen[1],
            "correct_prior": chosen[2]}


def plot_alignment(model, waveform: np.ndarray, text: str, config: Config, path: Path,
                   title: str = "") -> Path:
    """Log-mel features of one utterance above the CTC alignment of its best path.

    The lower panel shows, per output step, the posterior of each character
    the greedy path emits (the blank's posterior in grey); the emitted
    characters are written where they peak.
    """
    layer = model.get_layer("logmel")
    features = layer([waveform[None].astype("float32"),
                      np.array([len(waveform)], "int32")]).numpy()[0]
    logits = logits_numpy(model, [waveform])[0]  # (steps, classes)
    probs = tf.nn.softmax(logits).numpy()
    best = probs.argmax(-1)
    seconds = np.arange(len(probs)) * config.time_stride / 100
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 5), sharex=True,
                                      gridspec_kw={"height_ratios": [2, 1]})
    top.imshow(features.T, origin="lower", aspect="auto", cmap="magma",
               extent=[0, len(features) / 100, 0, features.shape[1]])
    top.set_ylabel("mel band")
    top.set_title(title or f"reference: {text}")
    bottom.plot(seconds, probs[:, 0], color="0.75", lw=1, label="blank")
    previous = 0
    for step, k in enumerate(best):
        if k != 0 and k != previous:
            char = VOCABULARY.characters[k - 1]
            bottom.vlines(seconds[step], 0, probs[step, k], color="tab:blue", lw=1.5)
            bottom.text(seconds[step], min(probs[step, k] + 0.05, 1.05),
                        "␣" if char == " " else char, ha="center", fontsize=9)
            top.axvline(seconds[step], color="white", lw=0.5, alpha=0.5)
        previous = k
    bottom.set_ylim(0, 1.2)
    bottom.set_xlabel("seconds")
    bottom.set_ylabel("posterior")
    bottom.legend(loc="upper right", fontsize=8)
    return _save(fig, path)


def evaluate(model, data: SpeechData, config: Config, where: Evaluation) -> dict:
    """Test CER and WER for greedy and beam-search decoding, and for the beam rescored with
    the lexicon when the run has one (per utterance kind on synthetic data), the real-time factor of the model, `test_transcripts.tsv` and `alignment.png`
    in `where.out`."""
    test = data.splits["test"]
    start = time.perf_counter()
    hypotheses = transcribe_utterances(model, test, config)
    seconds = time.perf_counter() - start
    metrics = {"test": {method: error_rates(test.texts, texts)
                        for method, texts in hypotheses.items()}}
    if test.kinds:
        kinds = np.asarray(test.kinds)
        metrics["by_kind"] = {}
        for kind in sorted(set(test.kinds)):
            pick = np.flatnonzero(kinds == kind)
            metrics["by_kind"][kind] = {
                f"{method}_{rate}": error_rates([test.texts[i] for i in pick],
                                                [texts[i] for i in pick])[rate]
                for method, texts in hypotheses.items() for rate in ("cer", "wer")}
    with (where.out / "test_transcripts.tsv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        writer.writerow(["reference", *hypotheses, "speaker"])
        for i, reference in enumerate(test.texts):
            writer.writerow([reference, *(texts[i] for texts in hypotheses.values()),
                             test.speakers[i] if i < len(test.speakers) else ""])
    longest = int(np.argmax([len(t) for t in test.texts]))
    plot_alignment(model, test.waveforms[longest], test.texts[longest], config,
                   where.out / "alignment.png")
    metrics["data"] = {"source": data.name,
                       **{f"{split}_utterances": len(u) for split, u in data.splits.items()},
                       "test_seconds": round(test.seconds(), 1),
                       **{f"skipped_{split}": n for split, n in data.skipped.items()},
                       "real_time_factor": round(seconds / max(test.seconds(), 1e-9), 4)}
    return metrics


def transcribe(run, args) -> list[str]:
    """One line per file (`seqsuite transcribe`): `path<TAB>transcript`, and a third field
    saying what was wrong when the file was not a clean WAV. `--vocabulary FILE` closes
    the vocabulary: every transcript word is one of the file's. A missing or unreadable
    file, or one that is not a WAV, gets its own line; the others are transcribed."""
    served, files = serving(run.model, run.config), args.files
    if args.vocabulary:
        words = list(read_word_counts(args.vocabulary, CHARACTERS, "--vocabulary file"))
        vocabulary = served.endpoints["vocabulary"][0]

        def serve(wav):
            return vocabulary(wav, tf.constant(words))
    else:
        serve = served.function
    contents, problems = [], {}
    for i, name in enumerate(files):
        path = Path(name)
        try:
            contents.append(path.read_bytes())
        except IsADirectoryError:
            problems[i] = "a directory, not a WAV file"
            contents.append(b"")
        except OSError as err:
            problems[i] = f"cannot read it ({err.strerror or err})"
            contents.append(b"")
    result = serve(tf.constant(contents, tf.string))
    lines = []
    for i, name in enumerate(files):
        text = result["transcript"][i].numpy().decode()
        status = problems.get(i) or result["status"][i].numpy().decode()
        lines.append(f"{name}\t{text}" + ("" if status == "ok" else f"\t({status})"))
    return lines


def search_space(hp) -> dict:
    clip = hp.Choice("clip_norm", [0.0, 1.0, 5.0])
    return {
        "cell": hp.Choice("cell", ["gru", "lstm", "layernorm_lstm"]),
        "units": hp.Choice("units", [64, 128, 192]),
        "layers": hp.Int("layers", 1, 3),
        "conv_filters": hp.Choice("conv_filters", [16, 32]),
        "time_stride": hp.Choice("time_stride", [2, 4]),
        "dropout": hp.Choice("dropout", [0.0, 0.1, 0.2]),
        "zoneout_h": hp.Choice("zoneout_h", [0.0, 0.05, 0.1]),
        "freq_masks": hp.Choice("freq_masks", [0, 2]),
        "time_masks": hp.Choice("time_masks", [0, 2]),
        "learning_rate": hp.Choice("learning_rate", [1e-3, 2e-3, 4e-3]),
        "batch_size": hp.Choice("batch_size", [16, 32]),
        "clip_norm": clip or None,  # 0 in the space means "no clipping"
    }


def stream(run, args):
    """`seqsuite stream --run RUN [FILE|-]`: transcribe a 16 kHz 16-bit PCM WAV as it is read
    (a file, or standard input fed by a recorder), 120 ms at a time, with the run's
    SavedModel (`stream` signature of a `streaming=true` run), printing
    `milliseconds,text` whenever a chunk adds characters (greedy decoding), then
    `end,<the whole transcript>`.

    A run trained without `streaming=true` (its encoder reads the recording backwards
    too), a WAV of another rate, width or encoding, or a file that is not a WAV stops
    with one line naming the fix before anything is printed."""
    import contextlib
    import io
    import sys
    import wave

    from seqsuite.shared.errors import DataError
    from seqsuite.shared.run.live import streaming_export

    if not run.config.streaming:
        raise DataError("this run was trained with streaming=false (its encoder reads each "
                        "recording both ways); train one with --set streaming=true, or use "
                        "seqsuite transcribe")
    source = sys.stdin.buffer if args.source == "-" else Path(args.source).open("rb")
    with contextlib.nullcontext(source) if args.source == "-" else source:
        try:
            reader = wave.open(source, "rb")
        except (wave.Error, EOFError) as err:
            why = f" ({err})" if str(err) else ""
            raise DataError(f"{args.source} is not a WAV file{why}; give a 16 kHz 16-bit "
                            "PCM WAV") from None
        rate, width, channels = (reader.getframerate(), reader.getsampwidth(),
                                 reader.getnchannels())
        if rate != 16000 or width != 2:
            raise DataError(f"{args.source} is {rate} Hz, {8 * width}-bit; the stream reads "
                            "16 kHz 16-bit PCM: convert it first (sox in.wav -r 16000 -b 16 "
                            "out.wav), or use seqsuite transcribe, which resamples")
        served = streaming_export(run)
        step = served.signatures["stream"]
        state = served.signatures["initial_state"](batch_size=tf.constant(1))
        chunk = 4 * speech_model.chunk_samples(run.config)  # 120 ms at time_stride=3
        yield "milliseconds,text"
        heard, pieces, flush = 0, [], speech_model.tail_samples(run.config)
        while True:
            frames = reader.readframes(chunk)
            if frames:
                pcm = np.frombuffer(frames, "<i2").reshape(-1, channels).mean(axis=1) / 32768
            elif flush > 0:  # the silence the model was trained to end on (tail_ms)
                pcm, flush = np.zeros(min(flush, chunk)), flush - chunk
            else:
                break
            audio = np.zeros(chunk, "float32")  # the last, partial chunk padded with silence
            audio[: len(pcm)] = pcm
            out = step(chunk=tf.constant(audio[None]), **state)
            state = {k: v for k, v in out.items() if k.startswith("state_")}
            heard += len(pcm)
            text = out["text"][0].numpy().decode("utf-8")
            if text:
                pieces.append(text)
                buffer = io.StringIO()
                csv.writer(buffer, lineterminator="").writerow([heard * 1000 // 16000, text])
                yield buffer.getvalue()
        yield f"end,{' '.join(''.join(pieces).split())}"
