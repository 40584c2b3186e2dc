"""Anomaly-detection configuration: one dataclass, three presets.

Data sources:
    internal_bleeding    the UCR anomaly archive's InternalBleeding16 recording (one
                         channel, the first 1,200 points clean, one labelled anomaly)
    gait                 a Daphnet freezing-of-gait recording (nine accelerometer channels
                         at 64 Hz, nothing labelled: false alarms are what it measures;
                         the first 2,000 rows are its clean stretch)
    ecg, web_traffic     an MIT-BIH ECG excerpt and a Yahoo S5 service-traffic excerpt,
                         as sktime ships them (recordings.py)
    path.csv             a user's recording: one row per time step, `channels` (empty:
                         every column but the label and time columns), `label_column`
                         (0/1; "" for none), `time_column`, and `train_end`, the rows at
                         the start that hold no anomaly

The detector learns normality from the clean stretch: its first (1 - val_fraction)
trains, the rest is held out and calibrates the scores and the threshold. Every row
after the clean stretch is scored; labels, where given, only measure.
"""

from __future__ import annotations

import dataclasses

from seqsuite.shared.checks import require_range
from seqsuite.shared.errors import ConfigError
from seqsuite.shared.layers.options import EncoderConfig
from seqsuite.shared.run.commands import Argument, Command
from seqsuite.shared.run.config import TrainConfig, data_field, learned_field, require_positive

# The embedded recordings (recordings.RECORDINGS, kept in step by a test).
RECORDINGS = ("internal_bleeding", "gait", "ecg", "web_traffic")
DETECTORS = ("forecast", "autoencoder", "esn")
THRESHOLDS = ("telemanom", "clean_max", "robust_z")
BASELINES = ("matrix_profile", "isolation_forest", "rolling_z")


@dataclasses.dataclass
class Config(EncoderConfig, TrainConfig):
    data: str = data_field("internal_bleeding")  # one of RECORDINGS, or a CSV path
    label_column: str = ""  # CSV: 0/1 per row ("": no labels, detection only)
    time_column: str = ""  # CSV: the column of times ("": rows are equally spaced steps)
    channels: list[str] = dataclasses.field(default_factory=list)  # CSV: empty = all others
    train_end: int = 0  # CSV: rows [0, train_end) hold no anomaly (embedded: their own)
    val_fraction: float = 0.25  # of the clean stretch, held out to calibrate the threshold
    # "autoencoder": a recurrent sequence autoencoder, the reconstruction error scores;
    # "forecast": a recurrent one-step forecaster of every channel, the residual scores;
    # "esn": an echo state network forecaster with a ridge readout (no epochs).
    # The defaults of detector, threshold and span: the best mean event F1 on the
    # development recordings of benchmarks/anomaly.py, none of them a test recording.
    detector: str = "autoencoder"
    window: int = 64  # steps each score looks back over (and the baselines' window)
    # What flags a row, chosen on the held-out clean scores alone: "telemanom", the smoothed
    # score above Telemanom's dynamic threshold of the smoothed clean scores; "clean_max",
    # the smoothed score above the largest smoothed clean score; "robust_z", the raw score
    # above the clean scores' median + z_threshold robust standard deviations.
    threshold: str = "telemanom"
    z_threshold: float = 5.0  # robust_z: how many robust standard deviations flag
    span: int = 1  # telemanom, clean_max: span of the exponential smoothing (1: none)
    reservoir_units: int = 300  # esn: reservoir size
    spectral_radius: float = 0.9  # esn
    leak_rate: float = 0.5  # esn
    ridge: float = 1e-4  # esn: readout regularisation
    units: int = 32
    baselines: list[str] = dataclasses.field(default_factory=lambda: list(BASELINES))
    # What the clean stretch decides: the channels, their scaling, the residuals' centre
    # and scale on the held-out clean part, and the threshold on the smoothed scores.
    channel_names: list[str] | None = learned_field(None)
    centre: list[float] | None = learned_field(None)
    scale: list[float] | None = learned_field(None)
    residual_centre: list[float] | None = learned_field(None)
    residual_scale: list[float] | None = learned_field(None)
    epsilon: float | None = learned_field(None)

    def __post_init__(self):
        super().__post_init__()
        for key, options in (("detector", DETECTORS), ("threshold", THRESHOLDS)):
            if getattr(self, key) not in options:
                raise ConfigError(f"{key} must be one of {', '.join(options)}, got "
                                  f"'{getattr(self, key)}'")
        unknown = sorted(set(self.baselines) - set(BASELINES))
        if unknown:
            raise ConfigError(f"unknown baselines {unknown}; use any of {', '.join(BASELINES)}")
        require_positive(self, ("window", "span", "reservoir_units"))
        require_range("val_fraction", self.val_fraction, 0, 1, low_open=True, high_open=True)
        require_range("z_threshold", self.z_threshold, low=0, low_open=True)
        require_range("spectral_radius", self.spectral_radius, low=0, low_open=True)
        require_range("leak_rate", self.leak_rate, 0, 1, low_open=True)
        require_range("ridge", self.ridge, low=0)
        require_range("train_end", self.train_end, low=0)
        if self.bidirectional:
            raise ConfigError("a detector scores each point from the past alone; drop "
                              "bidirectional=true")
        if self.data in RECORDINGS:
            if self.label_column or self.channels or self.time_column or self.train_end:
                raise ConfigError(f"label_column, channels, time_column and train_end describe "
                                  f"a CSV; the embedded '{self.data}' has its own (drop them)")
        elif not self.train_end:
            raise ConfigError(f"set train_end=ROWS for '{self.data}': the number of rows at the "
                              "start that hold no anomaly, which the detector learns normality "
                              "from")

    @property
    def n_channels(self) -> int:
        if self.channel_names is None:
            raise ConfigError("the channels are filled from the data; train through "
                              "`seqsuite train anomaly`")
        return len(self.channel_names)


PRESETS = {
    "smoke": {"epochs": 2, "units": 8, "window": 16, "batch_size": 64, "learning_rate": 3e-3,
              "patience": 0, "verbose": 0, "reservoir_units": 50},
    "quick": {"epochs": 30, "units": 32, "batch_size": 64, "patience": 5, "verbose": 2},
    "full": {"epochs": 100, "units": 64, "layers": 2, "patience": 10},
}

# Inference commands (`seqsuite detect --run RUN ...`); see shared.run.commands.
COMMANDS = (
    Command("detect", "score a recording with an anomaly run: anomalies.csv and a plot",
            run="train:detect",
            arguments=(Argument("--data", "a CSV with the run's channels (and its label "
                                "column, if it has one)", existing_file=True),)),
    Command("stream", "score rows as they arrive: CSV lines from FILE or standard input",
            run="train:stream",
            arguments=(Argument("source", "a CSV file, or - for standard input", default="-"),)),
)
