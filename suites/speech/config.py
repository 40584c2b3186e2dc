"""Speech configuration: one dataclass, three presets."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from seqsuite.shared.checks import require_range
from seqsuite.shared.errors import ConfigError
from seqsuite.shared.layers.options import SequenceEncoderConfig
from seqsuite.shared.run.commands import Argument, Command
from seqsuite.shared.run.config import (
    TrainConfig,
    data_field,
    learned_field,
    require_positive,
    require_split_fractions,
)

# What the model writes: lower-case letters, the apostrophe and the space.
CHARACTERS = "abcdefghijklmnopqrstuvwxyz' "
TFDS_SETS = ("speech_commands", "librispeech")
CHANNELS = ("vtlp", "band", "codec")  # speaker and channel augmentations (synth.channel)


@dataclasses.dataclass
class Config(SequenceEncoderConfig, TrainConfig):
    # "synth" (eSpeak NG voices), a `path<TAB>text` .tsv file, a LibriSpeech-layout
    # folder, "tfds:speech_commands" or "tfds:librispeech"
    data: str = data_field("synth")
    cache_dir: str = data_field("")  # synth: where generated audio is kept ("" = ~/.cache/seqsuite)
    train_utterances: int = 3000  # synth: utterances per split (voices differ between splits)
    val_utterances: int = 300
    test_utterances: int = 400
    vocabulary_words: int = 1000  # synth: phrases use this many of the commonest English words
    augment: bool = True  # synth: noise, reverberation, speed and gain on training utterances
    # synth: speaker and channel augmentation of training utterances, any of "vtlp",
    # "band" and "codec" (CHANNELS; suites/speech/synth.py); none by default until measured
    channel: list[str] = dataclasses.field(default_factory=list)
    rate_min: int = 130  # synth: speaking rates in words per minute
    rate_max: int = 220
    val_fraction: float = 0.1  # file data: validation and test parts (by speaker where known)
    test_fraction: float = 0.1
    max_seconds: float = 16.0  # longer clips are dropped from training and cut when served
    num_mel_bins: int = 40
    conv_filters: int = 32  # two 3x3 convolutions, each halving the mel axis
    time_stride: int = 3  # feature frames (100 per second) per output step: 1, 2, 3 or 4
    # A recogniser that hears no later audio: causal log-mel frames and running
    # normalisation, convolutions padded in the past only, a unidirectional encoder; its
    # export adds `initial_state` and `stream` (audio in chunks, new characters out).
    streaming: bool = False
    # streaming: the running normalisation starts from this many frames of the training
    # frames' mean and variance (LogMelSpectrogram prior_frames; 0: from nothing).
    # None: 100 with streaming, else 0 (chosen on validation: benchmarks.streaming
    # --section speech-ablation)
    normalisation_prior: int | None = None
    # streaming: silence appended after each recording, in training, evaluation and serving
    # (rounded up to whole output steps), so the last characters can be emitted after the
    # speech that settles them; `seqsuite stream` flushes its stream with as much at the
    # end. None: 300 with streaming, else 0 (chosen as normalisation_prior)
    tail_ms: int | None = None
    # The encoder is SequenceEncoderConfig's fields (units per direction), with these defaults
    cell: str = "gru"
    units: int | None = None  # None: 128, or 192 with streaming (chosen as above)
    layers: int = 2
    bidirectional: bool | None = None  # None: True, or False with streaming
    dropout: float = 0.1
    freq_masks: int = 2  # SpecAugment in training: masks of up to 8 mel bands ...
    time_masks: int = 2  # ... and of up to 15 frames (0 and 0 switch it off)
    beam_width: int = 8  # prefix beam search at evaluation and in the SavedModel
    # Knowledge of words (shared.layers.lexicon): the beam's `beam_width` best transcripts
    # are rescored with a unigram language model over the `lexicon_words` commonest
    # English words (wordfreq's frequencies), or over the words of `lexicon_file` (one
    # per line, `word<TAB>count` optional); its weight and a per-word bonus are chosen
    # on the validation split after training, with the spelling correction below.
    # 0 and "": the beam search's best alone.
    lexicon_words: int = 20000
    lexicon_file: str = ""
    words: list[str] | None = learned_field(None)  # the lexicon, most frequent first
    word_log_probs: list[float] | None = learned_field(None)
    lm_weight: float | None = learned_field(None)  # chosen on the validation split
    word_bonus: float | None = learned_field(None)
    # then each word the lexicon lacks becomes the lexicon word at most this fraction of
    # its letters away (0: none), the closest and, by `correct_prior`, the commonest
    correct_within: float | None = learned_field(None)
    correct_prior: float | None = learned_field(None)

    def __post_init__(self):
        if self.bidirectional is None:
            self.bidirectional = not self.streaming
        # The streaming defaults: the design that did best on the validation split
        # (greedy CER 0.238 against 0.358 for 128 units without prior or tail, and the
        # offline model's 0.245; quick preset, seed 0).
        for key, offline, streaming in (("units", 128, 192), ("normalisation_prior", 0, 100),
                                        ("tail_ms", 0, 300)):
            if getattr(self, key) is None:
                setattr(self, key, streaming if self.streaming else offline)
        super().__post_init__()
        if self.streaming and self.bidirectional:
            raise ConfigError("streaming=true hears no later audio, so its encoder cannot be "
                              "bidirectional; drop bidirectional=true")
        if self.streaming and self.encoder != "rnn":
            raise ConfigError(f"streaming=true needs encoder=rnn: encoder={self.encoder} "
                              "attends over the whole recording, audio still to come "
                              "included; drop one of them")
        require_range("normalisation_prior", self.normalisation_prior, 0)
        require_range("tail_ms", self.tail_ms, 0)
        for name in ("normalisation_prior", "tail_ms"):
            if getattr(self, name) and not self.streaming:
                raise ConfigError(f"{name} is for streaming=true (the offline model hears "
                                  "each whole recording); drop it")
        require_positive(self, ("train_utterances", "val_utterances", "test_utterances",
                                "vocabulary_words", "num_mel_bins", "conv_filters",
                                "beam_width", "rate_min"))
        require_range("lexicon_words", self.lexicon_words, 0)
        unknown = sorted(set(self.channel) - set(CHANNELS))
        if unknown:
            raise ConfigError(f"channel: unknown augmentation {unknown[0]!r}; use any of "
                              f"{', '.join(CHANNELS)}")
        if self.lexicon_file and not Path(self.lexicon_file).is_file():
            raise ConfigError(f"lexicon_file={self.lexicon_file} does not exist; give a text "
                              "file with one word per line (word<TAB>count optional)")
        if self.freq_masks < 0 or self.time_masks < 0:
            raise ConfigError(f"freq_masks and time_masks must be >= 0, got {self.freq_masks} "
                              f"and {self.time_masks}")
        if self.time_stride not in (1, 2, 3, 4):
            raise ConfigError(f"time_stride must be 1, 2, 3 or 4, got {self.time_stride}")
        if self.rate_max < self.rate_min:
            raise ConfigError(f"rate_max ({self.rate_max}) must be >= rate_min ({self.rate_min})")
        if self.num_mel_bins < 8:
            raise ConfigError(f"num_mel_bins must be >= 8 (two convolutions halve it), "
                              f"got {self.num_mel_bins}")
        require_range("max_seconds", self.max_seconds, 0, None, low_open=True)
        require_split_fractions(self)
        if self.data.startswith("tfds:") and self.data[5:] not in TFDS_SETS:
            raise ConfigError(f"data={self.data}: the speech suite reads "
                              f"{', '.join('tfds:' + n for n in TFDS_SETS)}")

    @property
    def frames_per_second(self) -> float:
        return 100.0 / self.time_stride


PRESETS = {
    # smoke: seconds on 2 cores, yet a CER well below the empty transcript's 1.0
    # (tests/suites/test_speech.py asserts it); CTC gets past emitting only blanks
    # after a few hundred steps on clean speech, so no augmentation or SpecAugment here
    "smoke": {"train_utterances": 400, "val_utterances": 16, "test_utterances": 32,
              "vocabulary_words": 1000, "augment": False, "units": 48, "layers": 1,
              "conv_filters": 8, "num_mel_bins": 32, "time_stride": 4, "freq_masks": 0,
              "time_masks": 0, "dropout": 0.0, "epochs": 8, "batch_size": 16,
              "learning_rate": 5e-3, "patience": 0, "verbose": 0, "beam_width": 2,
              "lexicon_words": 2000},
    "quick": {"train_utterances": 3000, "val_utterances": 200, "test_utterances": 400,
              "layers": 2, "epochs": 12, "batch_size": 32, "learning_rate": 3e-3,
              "clip_norm": 5.0, "patience": 3, "verbose": 2},
    "full": {"train_utterances": 20000, "val_utterances": 500, "test_utterances": 1000,
             "units": 256, "layers": 3, "conv_filters": 32, "num_mel_bins": 64,
             "epochs": 40, "batch_size": 32, "learning_rate": 1e-3, "clip_norm": 5.0,
             "patience": 5, "dropout": 0.2},
}

# Inference commands (`seqsuite transcribe --run RUN ...`); see shared.run.commands.
COMMANDS = (
    Command("transcribe", "transcribe WAV files with a finished speech run", run="train:transcribe",
            arguments=(Argument("files", "WAV files (any rate, mono or stereo)", many=True),
                       Argument("--vocabulary", "a closed vocabulary (one word per line): "
                                "every transcript word is one of them", existing_file=True))),
    Command("stream", "transcribe a 16 kHz WAV as it is read, 120 ms at a time (a "
            "streaming=true run)", run="train:stream",
            arguments=(Argument("source", "a WAV file, or - for standard input", default="-"),)),
)
