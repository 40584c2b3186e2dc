"""Vision configuration (text-line recognition): one dataclass, three presets."""

from __future__ import annotations

import dataclasses

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

DIGITS = "0123456789"


@dataclasses.dataclass
class Config(SequenceEncoderConfig, TrainConfig):
    # "digits" (lines composed from scikit-learn's handwritten digits) or a labels .tsv
    # file: `path<TAB>text` per line, image paths relative to the file
    data: str = data_field("digits")
    train_lines: int = 3000  # digits: lines per split (digit images differ between splits)
    val_lines: int = 300
    test_lines: int = 500
    min_digits: int = 3  # digits: characters per line
    max_digits: int = 8
    max_gap: int = 6  # digits: widest gap between digits, pixels of the 32-row line
    val_fraction: float = 0.1  # digit images held out for validation (digits) / lines (file)
    test_fraction: float = 0.2
    height: int = 32  # every line is resized to this many rows
    max_width: int = 512  # wider lines are squeezed to this many columns
    conv_filters: int = 32  # first convolution; the second has twice as many
    # The encoder is SequenceEncoderConfig's fields (units per direction, and the width of the
    # column projection), with these defaults
    cell: str = "gru"
    units: int = 96
    layers: int = 2
    bidirectional: bool = True
    dropout: float = 0.1
    beam_width: int = 4  # prefix beam search at evaluation and in the SavedModel
    characters: str = learned_field("")  # what the model writes (digits: 0-9)

    def __post_init__(self):
        super().__post_init__()
        require_positive(self, ("train_lines", "val_lines", "test_lines", "min_digits",
                                "conv_filters", "beam_width"))
        if self.max_digits < self.min_digits:
            raise ConfigError(f"max_digits ({self.max_digits}) must be >= min_digits "
                              f"({self.min_digits})")
        if self.max_gap < 0:
            raise ConfigError(f"max_gap must be >= 0, got {self.max_gap}")
        if self.height < 16 or self.height % 4:
            raise ConfigError(f"height must be a multiple of 4 and >= 16, got {self.height}")
        if self.max_width < self.height:
            raise ConfigError(f"max_width ({self.max_width}) must be >= height ({self.height}): "
                              "a line holds at least one square character")
        require_split_fractions(self)
        if self.data.startswith("tfds:"):
            raise ConfigError(f"data={self.data}: text lines come from 'digits' or a labels "
                              ".tsv file (path<TAB>text)")


PRESETS = {
    # smoke: seconds on 2 cores, yet a CER well below 1 (tests/suites/test_vision.py
    # asserts it); CTC needs a few hundred steps to get past emitting only blanks
    "smoke": {"train_lines": 512, "val_lines": 16, "test_lines": 32, "max_digits": 4,
              "conv_filters": 8, "units": 16, "layers": 1, "dropout": 0.0, "epochs": 10,
              "batch_size": 16, "learning_rate": 1e-2, "patience": 0, "verbose": 0,
              "beam_width": 2},
    "quick": {"train_lines": 3000, "val_lines": 300, "test_lines": 500, "units": 64,
              "layers": 2, "epochs": 10, "batch_size": 32, "learning_rate": 3e-3,
              "clip_norm": 5.0, "patience": 3, "verbose": 2},
    "full": {"train_lines": 20000, "val_lines": 500, "test_lines": 1000, "units": 128,
             "layers": 2, "conv_filters": 48, "epochs": 40, "batch_size": 32,
             "learning_rate": 1e-3, "clip_norm": 5.0, "patience": 5},
}

# Inference commands (`seqsuite read --run RUN ...`); see shared.run.commands.
COMMANDS = (
    Command("read", "read text lines in images with a finished vision run", run="train:read",
            arguments=(Argument("files", "PNG or JPEG images of text lines (any size)", many=True),)),
)
