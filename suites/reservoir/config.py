"""Reservoir-computing configuration: one dataclass, three presets.

`task` None resolves from the data: NARMA series are system identification
(map the input u to the output y), every other series is prediction.
"""

from __future__ import annotations

import dataclasses

from seqsuite.shared.checks import require_range
from seqsuite.shared.errors import ConfigError
from seqsuite.shared.run.config import (
    TrainConfig,
    data_field,
    learned_field,
    require_positive,
    require_split_fractions,
)

SERIES = ("mackey_glass", "lorenz", "rossler", "henon", "logistic_map", "narma10", "narma30")
TASKS = ("predict", "generate", "system_id")


@dataclasses.dataclass
class Config(TrainConfig):
    data: str = data_field("mackey_glass")  # one of SERIES, or the path of a CSV file
    target: str = "value"  # CSV: the column to model
    time_column: str = ""  # CSV: the column that orders rows ("" keeps file order)
    n_steps: int = 4000  # length of a generated series
    tau: float = 17.0  # Mackey-Glass delay
    task: str | None = None  # "predict", "generate" or "system_id" (NARMA); None: from data
    horizon: int = 1  # predict: steps ahead (1 = one-step; >1 = t+1..t+horizon at once)
    generate_steps: int = 84  # generate: closed-loop steps after the end of the training part
    warmup: int = 100  # reservoir steps discarded before the readout is fitted
    val_fraction: float = 0.1
    test_fraction: float = 0.2
    units: int = 300  # reservoir size
    spectral_radius: float = 1.25
    leak_rate: float = 0.3
    input_scaling: float = 1.0
    connectivity: float = 0.1  # fraction of non-zero recurrent weights
    input_connectivity: float = 1.0  # fraction of non-zero input weights
    bias_scaling: float = 0.0
    ridge: float = 1e-6  # Tikhonov regularisation of the readout
    compare_lstm: bool = True  # also train an LSTM by backpropagation through time
    lstm_units: int = 32
    lstm_window: int = 50  # BPTT window of the LSTM baseline
    # Learned from the training part of the data: the scaling the model was fitted with.
    input_mean: list[float] | None = learned_field()
    input_std: list[float] | None = learned_field()
    target_mean: list[float] | None = learned_field()
    target_std: list[float] | None = learned_field()

    def __post_init__(self):
        super().__post_init__()
        if self.task is None:
            self.task = "system_id" if self.data.startswith("narma") else "predict"
        if self.task not in TASKS:
            raise ConfigError(f"task must be one of {', '.join(TASKS)}, got '{self.task}'")
        if (self.task == "system_id") != self.data.startswith("narma"):
            raise ConfigError("task=system_id goes with data=narma10 or data=narma30 and only "
                              "with them; use task=predict or task=generate for other series")
        require_positive(self, ("n_steps", "horizon", "generate_steps", "units", "lstm_units", "lstm_window"))
        require_range("spectral_radius", self.spectral_radius, low=0, low_open=True)
        for key in ("leak_rate", "connectivity", "input_connectivity"):
            require_range(key, getattr(self, key), 0, 1, low_open=True)
        for key in ("ridge", "bias_scaling", "warmup"):
            require_range(key, getattr(self, key), low=0)
        require_split_fractions(self)


PRESETS = {
    "smoke": {"n_steps": 600, "units": 50, "warmup": 20, "generate_steps": 20, "epochs": 2,
              "lstm_units": 8, "lstm_window": 20, "verbose": 0, "patience": 0},
    "quick": {"n_steps": 4000, "units": 400, "epochs": 20, "verbose": 2},
    "full": {"n_steps": 20000, "units": 1000, "epochs": 100, "patience": 10},
}
