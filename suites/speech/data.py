"""Speech data: synthesised voices (default), a WAV folder with a TSV, LibriSpeech, TFDS.

Every source becomes, per split, 16 kHz mono waveforms and normalised
transcripts (`normalise_transcript`: lower case, the characters of
`config.CHARACTERS` only). Pipelines yield `({"waveform", "samples"}, labels)`
with labels the transcript's character ids padded with -1; training batches are
bucketed by length so little padding is computed.

- `synth`: eSpeak NG utterances (`synth.py`), train/val/test spoken by
  disjoint voice variants, cached on disk.
- A `.tsv` file: `path<TAB>transcript` per line (paths relative to the file;
  a header line `path<TAB>text` is skipped); WAV files (and FLAC through
  soundfile). Split by `val_fraction`/`test_fraction`, seeded.
- A folder in the LibriSpeech layout: `SPEAKER/CHAPTER/SPEAKER-CHAPTER.trans.txt`
  with lines `ID TRANSCRIPT` and the audio `ID.flac` (or `ID.wav`) beside it.
  Subsets named `train-*`, `dev-*`, `test-*` inside the folder become the
  splits; otherwise speakers are split by the fractions, so test speakers are
  unseen.
- `tfds:speech_commands` (the word is the transcript; `_silence_` is an empty
  one, `_unknown_` clips are left out) and `tfds:librispeech`
  (`train_clean100`, `dev_clean`, `test_clean`), once prepared.

Training and validation utterances longer than `max_seconds`, or whose
transcript needs more CTC steps than the model has frames for, are left out
and counted (`skipped`); the test split keeps every utterance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tensorflow as tf

from seqsuite.shared.data import sources
from seqsuite.shared.errors import DataError
from seqsuite.shared.layers.audio import SAMPLE_RATE, STATUS, USABLE, decode_wavs, resample
from seqsuite.shared.layers.ctc import PAD
from seqsuite.shared.run.suite import SuiteData
from seqsuite.suites.speech import synth
from seqsuite.suites.speech.config import CHARACTERS, Config

SPLITS = ("train", "val", "test")
SOURCES = "synth, a path<TAB>text .tsv file, a LibriSpeech-layout folder, or tfds:NAME"
_ALLOWED = re.compile(f"[^{re.escape(CHARACTERS)}]")


# Training utterances whose log-mel frames give the streaming front end's prior.
PRIOR_UTTERANCES = 500


@dataclass
class Utterances:
    waveforms: list[np.ndarray]  # float32 (samples,) at 16 kHz
    texts: list[str]  # normalised transcripts
    speakers: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)  # synth: digits, commands, phrase

    def __len__(self) -> int:
        return len(self.texts)

    def seconds(self) -> float:
        return sum(len(w) for w in self.waveforms) / SAMPLE_RATE


@dataclass
class SpeechData(SuiteData):
    name: str
    splits: dict[str, Utterances]
    skipped: dict[str, int]


def normalise_transcript(text: str) -> str:
    """Lower case; curly apostrophes straightened, hyphens and underscores as spaces,
    any other character outside the vocabulary dropped, spaces collapsed."""
    text = text.lower().replace("\u2019", "'").replace("-", " ").replace("_", " ")
    return " ".join(_ALLOWED.sub("", text).split())


def ctc_steps(samples: int, time_stride: int) -> int:
    """Output steps of the model for `samples` (as its `frame_mask` layer counts them)."""
    from seqsuite.shared.layers.masking import valid_steps
    from seqsuite.suites.speech.model import FRAME_STEP, conv_strides

    return int(valid_steps(samples, (FRAME_STEP, *conv_strides(time_stride))))


def ctc_fits(text: str, samples: int, time_stride: int) -> bool:
    """Whether CTC can align `text` to the model's output steps: one step per
    character plus a blank between each pair of repeated characters."""
    repeats = sum(a == b for a, b in zip(text, text[1:]))
    return len(text) + repeats <= ctc_steps(samples, time_stride)


# --- sources ---------------------------------------------------------------------------

def read_audio(path: Path, what: str = "audio file") -> np.ndarray:
    """A WAV (or, with soundfile, FLAC) file as a 16 kHz mono float32 waveform."""
    path = sources.check_file(path, what, f"check the path, or pass {SOURCES}")
    if path.suffix.lower() == ".flac":
        try:
            import soundfile
        except ImportError as err:
            raise DataError(f"{path}: reading FLAC needs soundfile; pip install soundfile") from err
        try:
            audio, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
        except Exception as err:  # libsndfile's error types vary by version
            raise DataError(f"{what} '{path}' is not a readable FLAC file ({err}); "
                            "re-encode it or leave it out") from err
        mono = audio.mean(axis=1)
        return mono if rate == SAMPLE_RATE else resample(mono, rate, SAMPLE_RATE).numpy()
    waveforms, lengths, status = decode_wavs(tf.constant([path.read_bytes()]))
    code = int(status[0])
    if code not in USABLE:
        raise DataError(f"{what} '{path}': {STATUS[code]}; convert it to a 16-bit PCM WAV "
                        "or leave it out")
    return waveforms[0, : int(lengths[0])].numpy()


def _as_utterances(rows: list[tuple[Path, str, str]], what: str) -> Utterances:
    waveforms = [read_audio(p, what) for p, _, _ in rows]
    return Utterances(waveforms, [normalise_transcript(t) for _, t, _ in rows],
                      [s for _, _, s in rows])


def read_tsv(path: Path) -> list[tuple[Path, str, str]]:
    """(audio path, transcript, speaker "") rows of a `path<TAB>text` file."""
    text = sources.read_text(path, "transcript TSV", f"pass {SOURCES}")
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 2:
            raise DataError(f"{path} line {number}: expected 'path<TAB>transcript', got "
                            f"{len(parts)} field(s); separate the two with one tab")
        audio, transcript = parts[0].strip(), parts[1].strip()
        if number == 1 and audio.lower() == "path":
            continue  # a header
        rows.append((Path(path).parent / audio, transcript, ""))
    if len(rows) < 3:
        raise DataError(f"{path} lists {len(rows)} utterance(s); train, validation and test "
                        "need at least 3")
    return rows


def read_librispeech(folder: Path) -> list[tuple[Path, str, str]]:
    """(audio path, transcript, speaker) rows of every `*.trans.txt` under `folder`."""
    rows = []
    for listing in sorted(Path(folder).rglob("*.trans.txt")):
        for number, line in enumerate(sources.read_text(listing, "LibriSpeech transcript")
                                      .splitlines(), 1):
            if not line.strip():
                continue
            utterance, _, transcript = line.strip().partition(" ")
            audio = next((listing.parent / f"{utterance}{ext}" for ext in (".flac", ".wav")
                          if (listing.parent / f"{utterance}{ext}").exists()), None)
            if audio is None:
                raise DataError(f"{listing} line {number}: no {utterance}.flac or "
                                f"{utterance}.wav beside it; restore the file or remove the line")
            rows.append((audio, transcript, utterance.split("-")[0]))
    if not rows:
        raise DataError(f"{folder} holds no LibriSpeech transcripts (*.trans.txt); pass "
                        f"{SOURCES}")
    return rows


def split_rows(rows, config: Config, by_speaker: bool) -> dict[str, list]:
    """Seeded train/val/test parts; by speaker when `by_speaker` (test speakers unseen)."""
    rng = np.random.default_rng(config.seed)
    if by_speaker:
        speakers = sorted({s for _, _, s in rows})
        if len(speakers) < 3:
            raise DataError(f"{len(speakers)} speaker(s) cannot be split by speaker into "
                            "train, validation and test; add speakers or subsets "
                            "(train-*/dev-*/test-*)")
        order = list(rng.permutation(speakers))
        n_test = max(1, round(len(order) * config.test_fraction))
        n_val = max(1, round(len(order) * config.val_fraction))
        part = {s: "test" for s in order[:n_test]} | {s: "val" for s in
                                                      order[n_test: n_test + n_val]}
        return {split: [r for r in rows if part.get(r[2], "train") == split] for split in SPLITS}
    order = rng.permutation(len(rows))
    n_test = max(1, round(len(rows) * config.test_fraction))
    n_val = max(1, round(len(rows) * config.val_fraction))
    index = {"test": order[:n_test], "val": order[n_test: n_test + n_val],
             "train": order[n_test + n_val:]}
    return {split: [rows[i] for i in sorted(index[split])] for split in SPLITS}


def load_folder(config: Config) -> dict[str, Utterances]:
    folder = Path(config.data)
    subsets = {split: sorted(p for p in folder.iterdir() if p.is_dir() and p.name.startswith(prefix))
               for split, prefix in (("train", "train"), ("val", "dev"), ("test", "test"))}
    if all(subsets.values()):
        parts = {split: [r for d in dirs for r in read_librispeech(d)]
                 for split, dirs in subsets.items()}
    else:
        parts = split_rows(read_librispeech(folder), config, by_speaker=True)
    return {split: _as_utterances(rows, "LibriSpeech audio") for split, rows in parts.items()}


TFDS_SPLITS = {"speech_commands": {"train": "train", "val": "validation", "test": "test"},
               "librispeech": {"train": "train_clean100", "val": "dev_clean",
                               "test": "test_clean"}}


def load_tfds_speech(config: Config) -> dict[str, Utterances]:
    """Utterances of `tfds:speech_commands` or `tfds:librispeech` (16 kHz int16 audio)."""
    name = config.data[len("tfds:"):]
    out = {}
    for split, tfds_split in TFDS_SPLITS[name].items():
        dataset, info = sources.load_tfds(name, tfds_split, config.download, with_info=True)
        utterances = Utterances([], [], [])
        for example in dataset.as_numpy_iterator():
            if name == "speech_commands":
                label = info.features["label"].int2str(int(example["label"]))
                if label == "_unknown_":
                    continue  # some other word, not transcribed
                text, audio, speaker = ("" if label == "_silence_" else label), example["audio"], ""
            else:
                text, audio = example["text"].decode("utf-8"), example["speech"]
                speaker = str(example.get("speaker_id", ""))
            utterances.waveforms.append(np.asarray(audio, "float32") / 32768.0)
            utterances.texts.append(normalise_transcript(text))
            utterances.speakers.append(speaker)
        out[split] = utterances
    return out


def load_synth(config: Config) -> dict[str, Utterances]:
    voices = synth.split_variants(synth.Espeak.variants(), config.seed, 0.1, 0.2)
    settings = synth.SynthSettings(rate=(config.rate_min, config.rate_max))
    out = {}
    for index, split in enumerate(SPLITS):
        spec = synth.CorpusSpec(
            count=getattr(config, f"{split}_utterances"), variants=tuple(voices[split]),
            seed=config.seed * 1000 + index, words=config.vocabulary_words,
            augment=config.augment and split == "train", settings=settings,
            channel=tuple(config.channel) if split == "train" else ())
        corpus = synth.cached_corpus(split, spec, config.cache_dir or None, config.verbose)
        out[split] = Utterances([corpus.waveform(i) for i in range(len(corpus))],
                                list(corpus.texts), list(corpus.voices), list(corpus.kinds))
    return out


def load_splits(config: Config) -> tuple[str, dict[str, Utterances]]:
    """(name, split -> utterances) of the configured source."""
    if config.data == "synth":
        return "synthetic voices (eSpeak NG)", load_synth(config)
    if config.data.startswith("tfds:"):
        return config.data, load_tfds_speech(config)
    path = Path(config.data)
    if path.is_dir():
        return path.name, load_folder(config)
    if path.suffix.lower() == ".tsv":
        parts = split_rows(read_tsv(path), config, by_speaker=False)
        return path.name, {split: _as_utterances(rows, "audio file")
                           for split, rows in parts.items()}
    raise DataError(f"data={config.data}: not a known source; pass {SOURCES}")


# --- pipelines -------------------------------------------------------------------------

def encode_texts(texts: list[str]) -> list[list[int]]:
    from seqsuite.suites.speech.model import VOCABULARY

    return [VOCABULARY.encode(t) for t in texts]


def _filter_trainable(utterances: Utterances, config: Config) -> tuple[Utterances, int]:
    limit = int(config.max_seconds * SAMPLE_RATE)
    keep = [i for i, (w, t) in enumerate(zip(utterances.waveforms, utterances.texts))
            if len(w) <= limit and ctc_fits(t, len(w), config.time_stride)]
    if not keep:
        raise DataError(f"none of the {len(utterances)} utterances is both at most max_seconds="
                        f"{config.max_seconds} long and slow enough for time_stride="
                        f"{config.time_stride}; raise max_seconds or lower time_stride")
    kept = Utterances([utterances.waveforms[i] for i in keep], [utterances.texts[i] for i in keep],
                      [utterances.speakers[i] for i in keep if i < len(utterances.speakers)],
                      [utterances.kinds[i] for i in keep if i < len(utterances.kinds)])
    return kept, len(utterances) - len(keep)


def batches(utterances: Utterances, batch_size: int, rng: np.random.Generator | None = None):
    """Index lists, one per batch: in order, or (with `rng`) shuffled with similar lengths
    together: a random permutation is cut into groups of 8 batches, each group is sorted
    by length and cut into batches, and the batches are shuffled. Either way there are
    ceil(n / batch_size) of them."""
    n = len(utterances)
    if rng is None:
        return [list(range(i, min(i + batch_size, n))) for i in range(0, n, batch_size)]
    lengths = [len(w) for w in utterances.waveforms]
    order, group = rng.permutation(n), 8 * batch_size
    out = []
    for start in range(0, n, group):
        members = sorted(order[start: start + group], key=lambda i: lengths[i])
        out.extend(members[j: j + batch_size] for j in range(0, len(members), batch_size))
    rng.shuffle(out)
    return out


def pipeline(utterances: Utterances, config: Config, training: bool) -> tf.data.Dataset:
    """Batches of ({"waveform": (batch, samples), "samples": (batch,)}, labels (batch, chars)),
    zero-padded waveforms and labels padded with -1; training batches are reshuffled every
    epoch (seeded) and hold utterances of similar lengths, so little padding is computed."""
    ids = encode_texts(utterances.texts)
    rng = np.random.default_rng(config.seed) if training else None
    count = -(-len(utterances) // config.batch_size)

    def generate():
        for index in batches(utterances, config.batch_size, rng):
            lengths = np.array([len(utterances.waveforms[i]) for i in index], "int32")
            audio = np.zeros((len(index), max(lengths.max(), 1)), "float32")
            labels = np.full((len(index), max(1, *(len(ids[i]) for i in index))), PAD, "int32")
            for row, i in enumerate(index):
                audio[row, : lengths[row]] = utterances.waveforms[i]
                labels[row, : len(ids[i])] = ids[i]
            yield {"waveform": audio, "samples": lengths}, labels

    signature = ({"waveform": tf.TensorSpec([None, None], tf.float32),
                  "samples": tf.TensorSpec([None], tf.int32)},
                 tf.TensorSpec([None, None], tf.int32))
    ds = tf.data.Dataset.from_generator(generate, output_signature=signature)
    return ds.apply(tf.data.experimental.assert_cardinality(count)).prefetch(2)


def load_data(config: Config) -> SpeechData:
    name, splits = load_splits(config)
    skipped = {}
    for split in SPLITS:
        if len(splits[split]) == 0:
            raise DataError(f"{name}: the {split} split is empty; give more utterances or "
                            "change val_fraction/test_fraction")
        if split != "test":  # the loss needs alignable utterances; the test measures all
            splits[split], skipped[split] = _filter_trainable(splits[split], config)
    data = SpeechData(name=name, splits=splits, skipped=skipped)
    if config.normalisation_prior:  # the front end's prior: training frames' statistics
        data.adapt = {"logmel": splits["train"].waveforms[:PRIOR_UTTERANCES]}
    data.train = pipeline(splits["train"], config, training=True)
    data.val = pipeline(splits["val"], config, training=False)
    data.test = pipeline(splits["test"], config, training=False)
    return data
