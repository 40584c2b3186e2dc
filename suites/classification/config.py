"""Sequence-classification configuration: one dataclass, three presets.

`model` chooses the classifier: `rnn`, a bidirectional recurrent encoder read
out by attention pooling and trained by epochs, or `esn`, echo state networks
at several time scales whose states, pooled over time into statistics, feed a
ridge readout fitted in closed form. Fields of the other model are ignored.

The class names (`classes`), the number of channels (`n_channels`) and the
median training length (`median_length`, the ESN's time scale) are learned
from the training data; a trained run keeps them, so new test files are read
against the run's own classes.

Every default is one setting for every data set, chosen on training splits only,
never on a test split: the quick preset's recurrent settings by stratified 5-fold
cross-validation on both embedded sets (`python -m benchmarks.classification
--select`), the ESN's by the readout's leave-one-out accuracy over the training
sequences of nine UCR/UEA problems (docs/suites/classification.md).
"""

from __future__ import annotations

import dataclasses

import numpy as np

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

# Embedded recordings (the UEA/UCR archive's .ts files that sktime ships):
# name -> the archive's problem name.
EMBEDDED = {"japanese_vowels": "JapaneseVowels", "basic_motions": "BasicMotions"}
MODELS = ("rnn", "esn")
# Statistics TimePooling takes over a sequence's valid steps; `pooling` joins them with "_".
STATISTICS = ("mean", "max", "min", "ppv", "std", "last")
# What the ESN's reservoirs read, each view into reservoirs of its own: the channels
# standardised with training statistics ("global": each recording's level and amplitude
# kept), each recording z-normalised on its own ("series": its shape only), and the
# z-normalised first difference of each recording ("difference": where it rises and falls).
VIEWS = ("global", "series", "difference")


@dataclasses.dataclass
class Config(SequenceEncoderConfig, TrainConfig):
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
    # "esn" (reservoirs + ridge; the default, chosen by cross-validation on training splits:
    # `python -m benchmarks.classification --choose-model`) or "rnn" (recurrent encoder +
    # attention pooling)
    model: str = "esn"
    # rnn: the encoder is SequenceEncoderConfig's fields (units per direction; dropout also on the
    # pooled vector), bidirectional by default
    bidirectional: bool = True
    attention_units: int = 32  # width of the attention-pooling score layer
    input_noise: float = 0.0  # std of Gaussian noise on the standardised channels, in training only
    # esn (defaults chosen on the training splits only: leave-one-out accuracy of the readout
    # over the training sequences of nine UCR/UEA problems, docs/suites/classification.md)
    reservoir_units: int = 1500  # in all, split evenly over the reservoirs
    # Reservoirs per input view, each at its own leak rate: geometrically spaced from 1 (units
    # that follow the last few steps) down to the slowest, from time_constant / leak_rate.
    timescales: int = 4
    views: list[str] = dataclasses.field(default_factory=lambda: list(VIEWS))  # see VIEWS
    spectral_radius: float = 0.9
    # The slowest integrators' time constant 1/a as a fraction of the median training
    # sequence length: a = min(1, 1 / (time_constant * median_length)), so 7-29-frame
    # utterances and 1,000-step recordings each get integrators on their own time scale.
    time_constant: float = 1.0
    leak_rate: float | None = None  # the slowest leak rate a in (0, 1]; None: from time_constant
    # Spread (std) of each unit's input drive: W_in's ±1 entries are scaled by
    # input_scaling / sqrt(input_connectivity * n_channels), whatever the channel count.
    input_scaling: float = 1.0
    connectivity: float = 0.1  # fraction of non-zero recurrent weights
    input_connectivity: float = 0.5  # fraction of non-zero input weights
    bias_scaling: float = 0.1
    # Tikhonov regularisation of the readout (on standardised features); None: the value of
    # train.RIDGES with the lowest leave-one-out log loss on the training sequences (exact,
    # from one SVD)
    ridge: float | None = None
    # Statistics of each unit's states over the valid steps, joined with "_" (STATISTICS):
    # mean, max, min, ppv (the proportion of positive states), std, last (the final state)
    pooling: str = "mean_max_min_ppv_std_last"
    # and the mean state over each of this many equal parts of the sequence (1: none), a
    # temporal pyramid that keeps where in a recording a pattern occurred
    segments: int = 1
    # 1-NN DTW baseline: Sakoe-Chiba band in steps; None: unconstrained
    dtw_window: int | None = None
    classes: list[str] | None = learned_field()  # class names, from the training data
    n_channels: int | None = learned_field()
    median_length: float | None = learned_field()  # of the training sequences (val part too)

    def __post_init__(self):
        super().__post_init__()
        if self.model not in MODELS:
            raise ConfigError(f"model must be one of {', '.join(MODELS)}, got '{self.model}'")
        statistics = self.pooling.split("_")
        if not statistics or set(statistics) - set(STATISTICS) or len(set(statistics)) < len(statistics):
            raise ConfigError(f"pooling must join distinct statistics of {', '.join(STATISTICS)} "
                              f"with '_' (e.g. mean_max), got '{self.pooling}'")
        if not self.views or set(self.views) - set(VIEWS) or len(set(self.views)) < len(self.views):
            raise ConfigError(f"views must list distinct views of {', '.join(VIEWS)}, got "
                              f"{self.views}")
        require_positive(self, ("attention_units", "reservoir_units", "timescales", "segments"))
        if self.reservoir_units < self.timescales * len(self.views):
            raise ConfigError(f"reservoir_units={self.reservoir_units} cannot give each of the "
                              "reservoirs a unit; raise reservoir_units or lower timescales")
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
        """The slowest reservoir's leak rate: `leak_rate`, else from `time_constant` and
        the training sequences' `median_length`."""
        if self.leak_rate is not None:
            return self.leak_rate
        return min(1.0, 1.0 / (self.time_constant * self.median_length))

    def reservoir_leak_rates(self) -> list[float]:
        """One leak rate per reservoir of a view: `timescales` values spaced geometrically
        from 1 down to `reservoir_leak_rate()` (that one alone when `timescales` is 1)."""
        slowest = self.reservoir_leak_rate()
        if self.timescales == 1:
            return [slowest]
        return [float(a) for a in np.geomspace(1.0, slowest, self.timescales)]


PRESETS = {
    # Ten epochs at a high learning rate learn Japanese Vowels far above the majority class
    # (0.93 against 0.24; the smoke test asserts it); two at 1e-3 scored 0.07.
    "smoke": {"epochs": 10, "units": 8, "attention_units": 8, "reservoir_units": 80,
              "timescales": 2,
              "batch_size": 64, "learning_rate": 1e-2, "verbose": 0, "patience": 0},
    # Two layers and dropout 0.3: the cross-validated choice among 1 layer, 1 layer with
    # dropout 0.3, and this (BENCHMARKS.md).
    "quick": {"epochs": 60, "layers": 2, "dropout": 0.3, "patience": 10,
              "learning_rate": 3e-3, "verbose": 2},
    "full": {"epochs": 200, "layers": 2, "units": 128, "dropout": 0.3, "patience": 25,
             "reservoir_units": 3000, "verbose": 2},
}

# Inference commands (`seqsuite predict --run RUN ...`); see shared.run.commands.
COMMANDS = (
    Command("predict", "label inputs with a finished run", run="train:predict",
            arguments=(Argument("files", ".ts or .csv files of sequences in the training layout", many=True),)),
)
