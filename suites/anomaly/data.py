"""Anomaly data: a recording, scaled by its clean stretch, and the windows a detector learns
normality from.

Every point t from `window` on is scored from its frame, the `window + 1` rows ending at
it (`frames`): the forecasters read the first `window` rows and estimate the last, the
autoencoder reconstructs all of them. The clean stretch [0, clean_end) splits in two:

    train  t in [window, fit_end)      the detector fits these points' frames
    val    t in [fit_end, clean_end)   held out: early stopping, and the scores that
                                        calibrate the residuals and choose the threshold

with fit_end = clean_end - round(val_fraction * clean_end). The points after the clean
stretch are scored; labels measure them and nothing else. Each channel is scaled by the
median and MAD of the training points (`centre`, `scale`, kept in the config so the
SavedModel takes raw values).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from seqsuite.shared.errors import DataError
from seqsuite.shared.evaluation.anomaly import robust_scale
from seqsuite.shared.run.suite import SuiteData
from seqsuite.suites.anomaly.config import RECORDINGS, Config
from seqsuite.suites.anomaly.recordings import Recording, read_labelled_csv, read_recording


@dataclass(kw_only=True)
class AnomalyData(SuiteData):
    recording: Recording
    scaled: np.ndarray  # (rows, channels) float32, scaled by the training points
    fit_end: int  # the clean stretch's training points end here; clean_end is the recording's

    @property
    def clean_end(self) -> int:
        return self.recording.clean_end


def read(config: Config) -> Recording:
    """The recording `config.data` names: an embedded one, or a CSV with the config's
    columns and clean stretch."""
    if config.data in RECORDINGS:
        return read_recording(config.data)
    if not Path(config.data).is_file():
        raise DataError(f"no recording '{config.data}': use {', '.join(RECORDINGS)} or the "
                        "path of an existing CSV file")
    return read_labelled_csv(config.data, config.label_column, config.time_column,
                             config.channels, config.train_end)


def scaled_values(values: np.ndarray, centre, scale) -> np.ndarray:
    """A recording's raw values in a run's scaling (float32), as its detector reads them."""
    return ((values - np.asarray(centre)) / np.asarray(scale)).astype("float32")


def frames(scaled: np.ndarray, start: int, stop: int, window: int) -> np.ndarray:
    """(stop - start, window + 1, channels): the frame ending at each point of [start, stop),
    a view of `scaled` (nothing copied)."""
    view = np.lib.stride_tricks.sliding_window_view(scaled, window + 1, axis=0)
    return view[start - window : stop - window].transpose(0, 2, 1)


def _dataset(scaled: np.ndarray, start: int, stop: int, config: Config, shuffle: bool):
    """Frames of points [start, stop) with their targets (the last row, or the whole frame
    for the autoencoder), cut from the scaled recording batch by batch."""
    whole = tf.constant(scaled)

    def example(t):
        frame = whole[t - config.window : t + 1]
        return frame, frame if config.detector == "autoencoder" else frame[-1]

    points = tf.data.Dataset.range(start, stop)
    if shuffle:
        points = points.shuffle(stop - start, seed=config.seed)
    return points.map(example).batch(config.batch_size).prefetch(2)


def load_data(config: Config) -> AnomalyData:
    recording = read(config)
    if config.channel_names is not None and recording.channels != config.channel_names:
        raise DataError(f"the run watches channels {', '.join(config.channel_names)}; the data "
                        f"has {', '.join(recording.channels)}: give those columns (channels=...)")
    clean_end = recording.clean_end
    fit_end = clean_end - round(config.val_fraction * clean_end)
    # A few dozen points each side: fewer give no threshold worth the name.
    if fit_end - config.window < 32 or clean_end - fit_end < 32:
        raise DataError(f"the clean stretch ({clean_end} rows) is too short for window="
                        f"{config.window} and val_fraction={config.val_fraction}: it needs at "
                        f"least {config.window + 32} training rows and 32 held out; lengthen "
                        "train_end or lower window")
    if clean_end >= len(recording.values):
        raise DataError(f"train_end={clean_end} covers the whole recording; leave rows after the "
                        "clean stretch to score")
    if config.centre is not None:  # a trained run (evaluate, detect): its own scaling
        centre, scale = np.asarray(config.centre), np.asarray(config.scale)
    else:
        centre, scale = robust_scale(recording.values[:fit_end], axis=0)
        # A flat channel (MAD 0) would blow up: its standard deviation, else 1.
        flat = scale <= 1e-9
        scale = np.where(flat, recording.values[:fit_end].std(0), scale)
        scale = np.where(scale <= 1e-9, 1.0, scale)
    scaled = scaled_values(recording.values, centre, scale)
    return AnomalyData(
        recording=recording, scaled=scaled, fit_end=fit_end,
        train=_dataset(scaled, config.window, fit_end, config, shuffle=True),
        val=_dataset(scaled, fit_end, clean_end, config, shuffle=False),
        learned={"channel_names": recording.channels,
                 "centre": np.round(centre, 9).tolist(), "scale": np.round(scale, 9).tolist()},
    )
