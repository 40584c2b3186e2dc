"""Sequence-classification configuration: one dataclass, three presets.

`model` chooses the classifier: `rnn`, a bidirectional recurrent encoder read
out by attention pooling and trained by epochs, or `esn`, an echo state
network whose reservoir states, pooled over time, feed a ridge readout fitted
in closed form. Fields of the other model are ignored.

The class names (`classes`), the number of channels (`n_channels`) and the
median training length (`median_length`, the ESN's time scale) are learned
from the training data; a trained run keeps them, so new test files are read
against the run's own classes.

The ESN's defaults and the quick preset's recurrent settings are one setting
for every data set, chosen by stratified 5-fold cross-validation on the
official training splits of both embedded sets, never on a test split
(`python -m benchmarks.classification --select`; BENCHMARKS.md).
"""

from __future__ import annotations

import dataclasses

from seqsuite.shared.errors import ConfigError
from seqsuite.shared.layers.options import EncoderConfig
from seqsuite.shared.run.commands import Argument, Command
from seqsuite.shared.run.config import (
    TrainConfig,
    data_field,
    learned_field,
    require_positive,
    require_split_fractions,
)

# Embedded recordings (the UEA/UCR archive's .ts files that sktime ships):
# name -> the archive's problem name.
EMBEDDED = {"japanese_vowels": "JapaneseVowels", "basic_motions": "BasicMotions"}
MODELS = ("rnn", "esn")
POOLING = ("mean", "last", "mean_last")


@dataclasses.dataclass
class Config(EncoderConfig, TrainConfig):
    # "japanese_vowels" or "basic_motions" (embedded, official splits), or a .ts / .csv file
    data: str = data_field("japanese_vowels")
    # a .ts / .csv file of test sequences; "" keeps the official test split of an
    # embedded set and cuts `test_fraction` of a file's sequences otherwise
    test_data: str = data_field("")
    sequence_column: str = "id"  # CSV: the column naming the sequence a row (time step) belongs to
    label_column: str = "label"  # CSV: the class of the row's sequence
    time_column: str = ""  # CSV: orders the rows of a sequence ("" keeps file order)
    channels: list[str] = dataclasses.field(default_factory=list)  # CSV: channel columns; empty: all others
    val_fraction: float = 0.1  # stratified part of the training sequences kept for validation
    test_fraction: float = 0.2  # without test_data: stratified part of a file kept for testing
    model: str = "rnn"  # "rnn" (recurrent encoder + attention pooling) or "esn" (reservoir + ridge)
    # rnn: the encoder is EncoderConfig's fields (units per direction; dropout also on the
    # pooled vector), bidirectional by default
    bidirectional: bool = True
    attention_units: int = 32  # width of the attention-pooling score layer
    input_noise: float = 0.0  # std of Gaussian noise on the standardised channels, in training only
    # esn (defaults chosen by cross-validation on both embedded training splits, BENCHMARKS.md)
    reservoir_units: int = 500
    spectral_radius: float = 0.9
    # The leaky integrators' time constant 1/a as a fraction of the median training
    # sequence length: a = min(1, 1 / (time_constant * median_length)), so 7-29-frame
    # utterances and 100-step recordings each get integrators on their own time scale.
    time_constant: float = 1.0
    leak_rate: float | None = None  # a fixed leak rate a in (0, 1]; None: from time_constant
    # Spread (std) of each unit's input drive: W_in's ±1 entries are scaled by
    # input_scaling / sqrt(input_connectivity * n_channels), whatever the channel count.
    input_scaling: float = 4.0
    connectivity: float = 0.1  # fraction of non-zero recurrent weights
    input_connectivity: float = 0.5  # fraction of non-zero input weights
    bias_scaling: float = 0.1
    # Tikhonov regularisation of the readout; None: the value of train.RIDGES with the
    # lowest leave-one-out log loss on the training sequences (exact, from one SVD)
    ridge: float | None = None
    pooling: str = "mean_last"  # reservoir states over time: "mean", "last" (valid) state, or both
    # 1-NN DTW baseline: Sakoe-Chiba band in steps; None: unconstrained
    dtw_window: int | None = None
    classes: list[str] | None = learned_field()  # class names, from the training data
    n_channels: int | None = learned_field()
    median_length: float | None = learned_field()  # of the training sequences (val part too)

    def __post_init__(self):
        super().__post_init__()
        if self.model not in MODELS:
            raise ConfigError(f"model must be one of {', '.join(MODELS)}, got '{self.model}'")
        if self.pooling not in POOLING:
            raise ConfigError(f"pooling must be one of {', '.join(POOLING)}, got '{self.pooling}'")
        require_positive(self, ("attention_units", "reservoir_units"))
        require_split_fractions(self)
        if self.input_noise < 0:
            raise ConfigError(f"input_noise must be >= 0, got {self.input_noise}")
        if self.spectral_radius <= 0:
            raise ConfigError(f"spectral_radius must be > 0, got {self.spectral_radius}")
        if self.time_constant <= 0:
            raise ConfigError(f"time_constant must be > 0, got {self.time_constant}")
        for key in ("leak_rate", "connectivity", "input_connectivity"):
            value = getattr(self, key)
            if value is not None and not 0 < value <= 1:
                raise ConfigError(f"{key} must be in (0, 1], got {value}")
        for key in ("bias_scaling", "input_scaling"):
            if getattr(self, key) < 0:
                raise ConfigError(f"{key} must be >= 0, got {getattr(self, key)}")
        if self.ridge is not None and self.ridge <= 0:
            raise ConfigError(f"ridge must be > 0 (or none: chosen by leave-one-out), got "
                              f"{self.ridge}")
        if self.dtw_window is not None and self.dtw_window < 1:
            raise ConfigError(f"dtw_window must be >= 1 (or none), got {self.dtw_window}")
        if self.sequence_column == self.label_column:
            raise ConfigError("sequence_column and label_column must differ, both are "
                              f"'{self.label_column}'")

    def reservoir_leak_rate(self) -> float:
        """The reservoir's leak rate: `leak_rate`, else from `time_constant` and the
        training sequences' `median_length`."""
        if self.leak_rate is not None:
            return self.leak_rate
        return min(1.0, 1.0 / (self.time_constant * self.median_length))


PRESETS = {
    # Ten epochs at a high learning rate learn Japanese Vowels far above the majority class
    # (0.93 against 0.24; the smoke test asserts it); two at 1e-3 scored 0.07.
    "smoke": {"epochs": 10, "units": 8, "attention_units": 8, "reservoir_units": 40,
              "batch_size": 64, "learning_rate": 1e-2, "verbose": 0, "patience": 0},
    # Two layers and dropout 0.3: the cross-validated choice among 1 layer, 1 layer with
    # dropout 0.3, and this (BENCHMARKS.md).
    "quick": {"epochs": 60, "layers": 2, "dropout": 0.3, "patience": 10,
              "learning_rate": 3e-3, "verbose": 2},
    "full": {"epochs": 200, "layers": 2, "units": 128, "dropout": 0.3, "patience": 25,
             "reservoir_units": 1000, "verbose": 2},
}

# Inference commands (`seqsuite predict --run RUN ...`); see shared.run.commands.
COMMANDS = (
    Command("predict", "label inputs with a finished run", run="train:predict",
            arguments=(Argument("files", ".ts or .csv files of sequences in the training layout", many=True),)),
)
