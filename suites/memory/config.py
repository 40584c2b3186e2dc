"""Memory-task configuration: one dataclass, three presets.

`length` is the task's T: the sequence length of the adding problem, the
delay of the copy task, and for the digits the number of steps (64 pixels,
each held `length / 64` steps). It is a data field, so
`seqsuite evaluate --run RUN --set length=400` measures a trained model on
longer sequences than it saw.
"""

from __future__ import annotations

import dataclasses

from seqsuite.shared.errors import ConfigError
from seqsuite.shared.layers.options import EncoderConfig
from seqsuite.shared.run.config import (
    TrainConfig,
    data_field,
    require_positive,
    require_split_fractions,
)

TASKS = ("adding", "copy", "digits", "permuted_digits")
DEFAULT_LENGTH = {"adding": 100, "copy": 100, "digits": 64, "permuted_digits": 64}
PIXELS = 64  # scikit-learn's digits are 8x8


@dataclasses.dataclass
class Config(EncoderConfig, TrainConfig):
    task: str = "adding"  # one of TASKS
    length: int | None = data_field(None)  # T (None: 100 for adding and copy, 64 for digits)
    samples: int = 10000  # adding, copy: sequences generated (train + validation + test)
    copy_symbols: int = 8  # copy: size of the alphabet to remember
    copy_length: int = 10  # copy: symbols to remember
    val_fraction: float = 0.1
    test_fraction: float = 0.2
    # The encoder is SequenceEncoderConfig's fields, one way only (see __post_init__); `cell` may
    # also name an echo state network (shared.layers.reservoir)
    other_cells = ("esn",)
    recurrent_gain: float = 1.0  # scales the recurrent initialisation; > 1 makes gradients explode
    reservoir_units: int = 256  # esn: reservoir size
    spectral_radius: float = 0.95  # esn
    leak_rate: float = 1.0  # esn: 1 is no leak; small values remember longer
    input_scaling: float = 1.0  # esn
    diagnostic_batch: int = 32  # test sequences in the gradient-flow measurement
    jacobian_examples: int = 4  # of them, how many give step-Jacobian norms (0 skips)

    def __post_init__(self):
        super().__post_init__()
        if self.task not in TASKS:
            raise ConfigError(f"task must be one of {', '.join(TASKS)}, got '{self.task}'")
        if self.length is None:
            self.length = DEFAULT_LENGTH[self.task]
        require_positive(self, ("length", "samples", "copy_symbols", "copy_length",
                                "reservoir_units", "diagnostic_batch"))
        if self.task in ("digits", "permuted_digits") and self.length % PIXELS:
            raise ConfigError(f"length for the digits must be a multiple of {PIXELS} (each pixel "
                              f"held length/{PIXELS} steps), got {self.length}")
        if self.bidirectional:
            raise ConfigError("bidirectional=true: the tasks measure what one pass carries "
                              "through time (and gradient_flow unrolls one direction); drop it")
        if self.recurrent_gain <= 0:
            raise ConfigError(f"recurrent_gain must be > 0, got {self.recurrent_gain}")
        if self.spectral_radius <= 0:
            raise ConfigError(f"spectral_radius must be > 0, got {self.spectral_radius}")
        if not 0 < self.leak_rate <= 1:
            raise ConfigError(f"leak_rate must be in (0, 1], got {self.leak_rate}")
        if self.jacobian_examples < 0:
            raise ConfigError(f"jacobian_examples must be >= 0, got {self.jacobian_examples}")
        require_split_fractions(self)
        if self.task in ("adding", "copy") and self.samples * min(
                self.val_fraction, self.test_fraction) < 1:
            raise ConfigError(f"samples={self.samples} leaves an empty validation or test split; "
                              "raise samples")

    @property
    def steps(self) -> int:
        """Length of an input sequence."""
        return self.length + 2 * self.copy_length if self.task == "copy" else self.length

    @property
    def features(self) -> int:
        """Input features per step: value and marker (adding), one-hot symbols (copy), pixel."""
        return {"adding": 2, "copy": self.copy_symbols + 2}.get(self.task, 1)

    @property
    def classes(self) -> int:
        """Output classes (0 for the adding problem, a regression)."""
        return {"adding": 0, "copy": self.copy_symbols + 2}.get(self.task, 10)


PRESETS = {
    # Enough to solve the adding problem at T=64 in seconds (the smoke test asserts the
    # loss falls below the baseline's; the GRU reached a lower loss than an LSTM with a
    # chrono bias). T=64 also suits the digits (a multiple of 64).
    # With the gradient diagnostics on: their plots are part of what a smoke run shows.
    "smoke": {"length": 64, "samples": 1000, "cell": "gru", "units": 16,
              "reservoir_units": 32, "epochs": 8, "batch_size": 16, "learning_rate": 1e-2,
              "patience": 0, "verbose": 0, "diagnostic_batch": 8, "jacobian_examples": 2,
              "log_gradients": True},
    "quick": {"samples": 10000, "units": 64, "epochs": 20, "batch_size": 64, "patience": 5,
              "verbose": 2},
    "full": {"samples": 20000, "units": 128, "epochs": 100, "batch_size": 64,
             "patience": 10, "clip_norm": 1.0},
}
