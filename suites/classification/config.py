"""Sequence-classification configuration: one dataclass, three presets.

`model` chooses the classifier: `rnn`, a bidirectional recurrent encoder read
out by attention pooling and trained by epochs, or `esn`, an echo state
network whose reservoir states, pooled over time, feed a ridge readout fitted
in closed form. Fields of the other model are ignored.

The class names (`classes`) and the number of channels (`n_channels`) are
learned from the training data; a trained run keeps them, so new test files
are read against the run's own classes.
"""

from __future__ import annotations

import dataclasses

from seqsuite.shared.config import (
    TrainConfig,
    check_cell_options,
    data_field,
    learned_field,
    require_positive,
    require_split_fractions,
)
from seqsuite.shared.errors import ConfigError

# Embedded recordings (the UEA/UCR archive's .ts files that sktime ships):
# name -> the archive's problem name.
EMBEDDED = {"japanese_vowels": "JapaneseVowels", "basic_motions": "BasicMotions"}
# The reservoir's time scale follows the recordings: 7-29 frames of vowels, 100
# steps of motion (leaky integrators with a = 0.05 average over about 20 steps).
# BENCHMARKS.md says how these were chosen.
DATA_DEFAULTS = {
    "japanese_vowels": {"leak_rate": 0.3, "input_scaling": 0.5},
    "basic_motions": {"leak_rate": 0.05, "input_scaling": 2.0},
    "file": {"leak_rate": 0.3, "input_scaling": 0.5},
}
MODELS = ("rnn", "esn")
POOLING = ("mean", "last", "mean_last")


@dataclasses.dataclass
class Config(TrainConfig):
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
    # rnn
    cell: str = "lstm"  # see shared.config.CELLS
    units: int = 64  # per direction
    layers: int = 1
    bidirectional: bool = True
    attention_units: int = 32  # width of the attention-pooling score layer
    dropout: float = 0.0  # between recurrent layers and on the pooled vector
    input_noise: float = 0.0  # std of Gaussian noise on the standardised channels, in training only
    zoneout_h: float = 0.0
    zoneout_c: float = 0.0
    # esn
    reservoir_units: int = 500
    spectral_radius: float = 0.9
    leak_rate: float | None = None  # leaky integrators; None: DATA_DEFAULTS for the data
    input_scaling: float | None = None  # on standardised channels; None: DATA_DEFAULTS
    connectivity: float = 0.1  # fraction of non-zero recurrent weights
    input_connectivity: float = 0.5  # fraction of non-zero input weights
    bias_scaling: float = 0.1
    ridge: float = 1.0  # Tikhonov regularisation of the readout
    pooling: str = "mean_last"  # reservoir states over time: "mean", "last" (valid) state, or both
    # 1-NN DTW baseline: Sakoe-Chiba band in steps; None: unconstrained
    dtw_window: int | None = None
    classes: list[str] | None = learned_field()  # class names, from the training data
    n_channels: int | None = learned_field()

    def __post_init__(self):
        super().__post_init__()
        for key, value in DATA_DEFAULTS[self.data if self.data in EMBEDDED else "file"].items():
            if getattr(self, key) is None:
                setattr(self, key, value)
        if self.model not in MODELS:
            raise ConfigError(f"model must be one of {', '.join(MODELS)}, got '{self.model}'")
        if self.pooling not in POOLING:
            raise ConfigError(f"pooling must be one of {', '.join(POOLING)}, got '{self.pooling}'")
        require_positive(self, ("units", "layers", "attention_units", "reservoir_units"))
        require_split_fractions(self)
        if not 0 <= self.dropout < 1:
            raise ConfigError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.input_noise < 0:
            raise ConfigError(f"input_noise must be >= 0, got {self.input_noise}")
        check_cell_options(self.cell, self.zoneout_h, self.zoneout_c)
        if self.spectral_radius <= 0:
            raise ConfigError(f"spectral_radius must be > 0, got {self.spectral_radius}")
        for key in ("leak_rate", "connectivity", "input_connectivity"):
            if not 0 < getattr(self, key) <= 1:
                raise ConfigError(f"{key} must be in (0, 1], got {getattr(self, key)}")
        for key in ("ridge", "bias_scaling", "input_scaling"):
            if getattr(self, key) < 0:
                raise ConfigError(f"{key} must be >= 0, got {getattr(self, key)}")
        if self.dtw_window is not None and self.dtw_window < 1:
            raise ConfigError(f"dtw_window must be >= 1 (or none), got {self.dtw_window}")
        if self.sequence_column == self.label_column:
            raise ConfigError("sequence_column and label_column must differ, both are "
                              f"'{self.label_column}'")


PRESETS = {
    "smoke": {"epochs": 2, "units": 8, "attention_units": 8, "reservoir_units": 40,
              "batch_size": 64, "verbose": 0, "patience": 0},
    "quick": {"epochs": 60, "layers": 2, "dropout": 0.3, "patience": 10,
              "learning_rate": 3e-3, "verbose": 2},
    "full": {"epochs": 200, "layers": 2, "units": 128, "dropout": 0.3, "patience": 25,
             "reservoir_units": 1000, "verbose": 2},
}
