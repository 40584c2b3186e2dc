"""Forecasting configuration: one dataclass, three presets.

Fields left as None (window, horizon, season) take the series' own default
from `SERIES_DEFAULTS`, and the resolved value is what `config.json` records.
"""

from __future__ import annotations

import dataclasses

from seqsuite.shared.checks import require_range
from seqsuite.shared.config import (
    TrainConfig,
    check_cell_options,
    data_field,
    require_positive,
    require_split_fractions,
)
from seqsuite.shared.errors import ConfigError

# Weekly CO2 has a 52-week season; the sunspot cycle is about 11 years.
SERIES_DEFAULTS = {
    "co2": {"window": 104, "horizon": 8, "season": 52},
    "sunspots": {"window": 24, "horizon": 4, "season": 11},
    "csv": {"window": 32, "horizon": 4, "season": 1},
}
TASKS = ("forecast", "anomaly")


@dataclasses.dataclass
class Config(TrainConfig):
    data: str = data_field("co2")  # "co2", "sunspots", or the path of a CSV file
    target: str = "value"  # CSV: the column to forecast
    time_column: str = "time"  # CSV: the column that orders rows ("" keeps file order)
    features: list[str] = dataclasses.field(default_factory=list)  # CSV: extra input columns
    fill: str = "error"  # CSV gaps: "error" refuses NaNs, "interpolate" fills them linearly
    window: int | None = None  # input steps per example
    horizon: int | None = None  # steps forecast at once (direct multi-step)
    season: int | None = None  # seasonal period for the seasonal-naive baseline and MASE
    val_fraction: float = 0.15  # chronological splits: train | validation | test
    test_fraction: float = 0.15
    cell: str = "lstm"  # see shared.encoders.CELLS
    units: int = 32
    layers: int = 1
    bidirectional: bool = False
    dropout: float = 0.0  # between stacked layers
    zoneout_h: float = 0.0  # zoneout rate of the hidden state (0 disables)
    zoneout_c: float = 0.0  # zoneout rate of the LSTM cell state
    task: str = "forecast"  # "forecast", or "anomaly" to also evaluate anomaly detection
    anomaly_threshold: float = 5.0  # robust z-score of a residual that flags a point

    def __post_init__(self):
        super().__post_init__()
        kind = self.data if self.data in ("co2", "sunspots") else "csv"
        for key, value in SERIES_DEFAULTS[kind].items():
            if getattr(self, key) is None:
                setattr(self, key, value)
        require_positive(self, ("window", "horizon", "season", "units", "layers"))
        if self.fill not in ("error", "interpolate"):
            raise ConfigError(f"fill must be 'error' or 'interpolate', got '{self.fill}'")
        if self.task not in TASKS:
            raise ConfigError(f"task must be one of {', '.join(TASKS)}, got '{self.task}'")
        require_split_fractions(self)
        require_range("dropout", self.dropout, 0, 1, high_open=True)
        check_cell_options(self.cell, self.zoneout_h, self.zoneout_c)

    @property
    def n_features(self) -> int:
        return 1 + len(self.features)


PRESETS = {
    "smoke": {"epochs": 2, "units": 8, "batch_size": 64, "patience": 0, "verbose": 0},
    "quick": {"epochs": 40, "units": 32, "patience": 8, "verbose": 2},
    "full": {"epochs": 200, "units": 64, "layers": 2, "dropout": 0.1, "patience": 20},
}
