"""Fit, evaluate and serve the anomaly suite: a detector learns normality from a recording's
clean stretch, the threshold is chosen on held-out clean points, and every later row is
scored and flagged beside the detectors the field uses.

    seqsuite train anomaly --preset quick --out runs/bleeding
    seqsuite train anomaly --set data=gait detector=esn --out runs/gait
    seqsuite train anomaly --set data=icu.csv label_column=alarm time_column=time \\
        train_end=5000 --out runs/icu
    seqsuite detect --run runs/icu --data tomorrow.csv

Metrics on the scored rows (after the clean stretch), where labels are given: ROC-AUC and
PR-AUC of the scores; the UCR archive's rule (one labelled event: the highest score
within 100 rows of it); point-wise and event-wise precision, recall and F1 of the flags;
point-adjusted F1 (inflated, shown only beside the others); the delay from each event's
onset to its first flag; and, labelled or not, the alarms that overlap no labelled event,
per hour when the time column gives a regular clock.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import keras
import numpy as np

from seqsuite.shared.errors import DataError
from seqsuite.shared.evaluation.anomaly import (
    detection_delays,
    detection_scores,
    dynamic_threshold,
    event_scores,
    events,
    per_point,
    point_adjusted_scores,
    robust_scale,
    rolling_robust_z,
    smooth_errors,
    ucr_rule,
)
from seqsuite.shared.evaluation.plots import plot_detections
from seqsuite.shared.run.files import replacing, write_bytes_atomic, write_text_atomic
from seqsuite.shared.run.suite import Evaluation
from seqsuite.suites.anomaly.baselines import isolation_forest_scores, ranking_scores
from seqsuite.suites.anomaly.config import Config
from seqsuite.suites.anomaly.data import AnomalyData, frames, read, scaled_values
from seqsuite.suites.anomaly.model import estimate, residual_scores
from seqsuite.suites.anomaly.recordings import Recording, read_labelled_csv

# The ESN's readout sees its frames' features this many at a time (memory stays flat).
CHUNK = 2048


# The detector's scores and the threshold rule, one path for evaluation and `detect`.

def residuals(model, scaled: np.ndarray, start: int, stop: int, config: Config) -> np.ndarray:
    """(points, channels): each point of [start, stop) minus the detector's estimate."""
    return scaled[start:stop] - estimate(model, frames(scaled, start, stop, config.window), config)


def model_scores(model, scaled: np.ndarray, config: Config) -> np.ndarray:
    """One score per row of a scaled recording (`model.residual_scores`, with the run's
    residual centre and scale); the first `window` rows score 0."""
    scores = np.zeros(len(scaled))
    if len(scaled) > config.window:
        found = residuals(model, scaled, config.window, len(scaled), config)
        scores[config.window:] = np.asarray(residual_scores(
            found, np.asarray(config.residual_centre), np.asarray(config.residual_scale)))
    return scores


def watched(scores: np.ndarray, config: Config) -> np.ndarray:
    """What the threshold is compared with: the raw scores (robust_z) or the smoothed ones."""
    return scores if config.threshold == "robust_z" else smooth_errors(scores, config.span)


def choose_threshold(clean_scores: np.ndarray, config: Config) -> float:
    """ε from held-out clean scores alone (`config.threshold`): Telemanom's dynamic threshold
    of their smoothed values, the largest smoothed value, or their median + z_threshold *
    1.4826 MAD."""
    if config.threshold == "robust_z":
        centre, scale = robust_scale(clean_scores)
        return centre + config.z_threshold * scale
    smoothed = smooth_errors(clean_scores, config.span)
    return dynamic_threshold(smoothed) if config.threshold == "telemanom" else float(smoothed.max())


# Fitting: the ESN's readout in closed form, and the calibration every detector gets.

def is_esn(config: Config) -> bool:
    return config.detector == "esn"


def fit_esn(model, data: AnomalyData, config: Config):
    """Ridge readout from [reservoir state, last row] to the next row, over the training
    points' frames, streamed in chunks."""
    features = keras.Model(model.inputs, model.get_layer("features").output)
    readout = model.get_layer("readout")
    readout.reset_statistics()
    for start in range(config.window, data.fit_end, CHUNK):
        stop = min(start + CHUNK, data.fit_end)
        readout.update_statistics(features(frames(data.scaled, start, stop, config.window)),
                                  data.scaled[start:stop])
    readout.solve()
    return model


def esn_validation_loss(model, data: AnomalyData, config: Config) -> float:
    """Mean squared error of the held-out clean points (scaled units), as the trained
    forecaster's val_loss."""
    return float(np.mean(residuals(model, data.scaled, data.fit_end, data.clean_end, config)
                         ** 2))


def calibrate(model, data: AnomalyData, config: Config) -> dict:
    """`Suite.calibrate`: the residuals' median and MAD per channel on the held-out clean
    points, and ε, the threshold their scores give (`choose_threshold`)."""
    found = residuals(model, data.scaled, data.fit_end, data.clean_end, config)
    centre, scale = robust_scale(found, axis=0)
    clean = np.asarray(residual_scores(found, centre, scale))
    return {"residual_centre": np.round(centre, 9).tolist(),
            "residual_scale": np.round(scale, 9).tolist(),
            "epsilon": round(choose_threshold(clean, config), 9)}


# Measures.

def measure(scores: np.ndarray, flags: np.ndarray, labels: np.ndarray,
            seconds_per_point: float | None) -> dict:
    """The field's figures for scores and flags against labels (one per scored row)."""
    alarms = events(flags)
    false = sum(not labels[a:b].any() for a, b in alarms)
    row = {"alarms": len(alarms), "false_alarms": false,
           "flagged_fraction": float(np.mean(flags)) if len(flags) else 0.0}
    if seconds_per_point:
        row["false_alarms_per_hour"] = false / (len(flags) * seconds_per_point / 3600.0)
    if not labels.any():
        return row
    row.update(ranking_scores(scores, labels))
    if len(events(labels)) == 1:
        row["ucr_rule"] = bool(ucr_rule(scores, labels))
    row.update({f"point_{k}": v for k, v in detection_scores(flags, labels).items()})
    row.update({f"event_{k}": v for k, v in event_scores(flags, labels).items()})
    row["point_adjusted_f1"] = point_adjusted_scores(flags, labels)["f1"]
    delays = [d for d in detection_delays(flags, labels) if d is not None]
    row["events_found"] = f"{len(delays)}/{len(events(labels))}"
    row["mean_delay_points"] = float(np.mean(delays)) if delays else None
    if seconds_per_point and delays:
        row["mean_delay_seconds"] = float(np.mean(delays)) * seconds_per_point
    return row


# The detectors the field uses, fitted with every run.

def reference_scores(name: str, recording: Recording, fit_end: int, config: Config) -> np.ndarray:
    """One score per row of `recording` from reference detector `name`, each learning from
    the clean stretch's training rows [0, fit_end) alone and scoring causally (a row's score
    comes from the window ending at it):

    matrix_profile   the distance of each window to its nearest neighbour among the
                     training rows' windows (stumpy's AB-join, z-normalised Euclidean;
                     the mean over channels): a discord scores high (Yeh et al. 2016)
    isolation_forest scikit-learn's Isolation Forest on windows (`baselines.py`)
    rolling_z        the robust z of each value against the `window` rows before it
    """
    values, width = recording.values, config.window
    if name == "isolation_forest":
        return isolation_forest_scores(values[:fit_end], values, width, seed=config.seed)
    if name == "rolling_z":
        return rolling_robust_z(values, width)
    import stumpy

    profiles = [stumpy.stump(values[:, c], width, values[:fit_end, c], ignore_trivial=False)[:, 0]
                for c in range(values.shape[1])]
    profile = np.mean(np.asarray(profiles, float), axis=0)
    # a flat window against a varying one is at sqrt(2 m) in stumpy's convention; keep finite
    return per_point(np.nan_to_num(profile, posinf=np.sqrt(2.0 * width)), width)


class ReferenceDetectors:
    """The detectors `config.baselines` names (`shared.run.baselines.Baseline`), scored
    once, at training, on every row of the recording, with a fingerprint of the values and
    split they saw: evaluating the run's own data refits nothing; other data
    (`seqsuite evaluate --set data=...`) is scored afresh, each detector learning from
    that data's clean stretch, as the network's threshold never is."""

    name = "references"
    file = "scores.npz"

    def __init__(self, scores: dict[str, np.ndarray] | None = None,
                 fingerprint: str | None = None):
        self.scores, self.fingerprint = scores or {}, fingerprint

    @staticmethod
    def _fingerprint(data: AnomalyData, config: Config) -> str:
        digest = hashlib.sha1(np.ascontiguousarray(data.recording.values).tobytes())
        digest.update(f"{data.fit_end} {config.window} {config.seed}".encode())
        return digest.hexdigest()

    @staticmethod
    def _score(data: AnomalyData, config: Config) -> dict[str, np.ndarray]:
        return {name: reference_scores(name, data.recording, data.fit_end, config)
                for name in config.baselines}

    def fit(self, data: AnomalyData, config: Config) -> None:
        self.scores, self.fingerprint = self._score(data, config), self._fingerprint(data, config)

    def save(self, directory: Path) -> None:
        buffer = io.BytesIO()
        np.savez(buffer, **self.scores)
        write_bytes_atomic(Path(directory) / self.file, buffer.getvalue())
        write_text_atomic(Path(directory) / "fingerprint.txt", self.fingerprint + "\n")

    @classmethod
    def load(cls, directory: Path) -> ReferenceDetectors:
        try:
            with np.load(Path(directory) / cls.file, allow_pickle=False) as saved:
                scores = {k: saved[k] for k in saved.files}
            fingerprint = (Path(directory) / "fingerprint.txt").read_text().strip()
        except (OSError, ValueError):
            raise DataError(f"the run's reference scores in {directory} are missing or damaged; "
                            "train it again (seqsuite train anomaly ... --overwrite)") from None
        return cls(scores, fingerprint)

    def scores_for(self, data: AnomalyData, config: Config) -> dict[str, np.ndarray]:
        """The saved scores when `data` is what they were computed on, else new ones."""
        if self._fingerprint(data, config) == self.fingerprint:
            return self.scores
        return self._score(data, config)

    def score(self, data: AnomalyData, config: Config) -> dict:
        """{detector: measures} on the scored rows, each thresholded by the run's rule on its
        own held-out clean scores."""
        return {name: _judge(scores, data, config)[0]
                for name, scores in self.scores_for(data, config).items()}


def baselines(config: Config) -> list:
    """`Suite.baselines`: the reference detectors, unless `baselines=` names none."""
    return [ReferenceDetectors()] if config.baselines else []


def _judge(scores: np.ndarray, data: AnomalyData, config: Config, epsilon: float | None = None):
    """(measures on the scored rows, flags of every row, ε): the threshold rule applied
    with ε chosen on this detector's held-out clean scores (or the run's ε)."""
    if epsilon is None:
        epsilon = choose_threshold(scores[data.fit_end : data.clean_end], config)
    flags = watched(scores, config) > epsilon
    rows = slice(data.clean_end, None)
    recording = data.recording
    return (measure(scores[rows], flags[rows], recording.labels[rows],
                    recording.seconds_per_point), flags, epsilon)


def evaluate(model, data: AnomalyData, config: Config, where: Evaluation) -> dict:
    """The detector's measures on the rows after the clean stretch beside the reference
    detectors fitted at training; `anomalies.csv` (score, smoothed score and flag per row)
    and `anomalies.png` in `where.out`."""
    scores = model_scores(model, data.scaled, config)
    row, flags, _ = _judge(scores, data, config, config.epsilon)
    rows = {config.detector: {**row, "train_seconds": where.fit_seconds}}
    references = where.baselines.get(ReferenceDetectors.name)
    if references is not None:
        rows.update(references.score(data, config))
    recording = data.recording
    write_detections(where.out, recording, scores, flags, config, start=data.clean_end)
    return {
        "test": rows,
        "data": {"recording": recording.name, "rows": len(recording.values),
                 "channels": len(recording.channels), "clean_rows": data.clean_end,
                 "scored_rows": len(recording.values) - data.clean_end,
                 "labelled_events": len(events(recording.labels[data.clean_end:])),
                 "seconds_per_point": recording.seconds_per_point},
        "threshold": {"rule": config.threshold, "epsilon": config.epsilon,
                      "span": None if config.threshold == "robust_z" else config.span},
    }


def write_detections(out: Path, recording: Recording, scores: np.ndarray, flags: np.ndarray,
                     config: Config, start: int = 0) -> None:
    """`anomalies.csv` (every row: its time or number, score, smoothed score, flag and, if
    labelled, label) and `anomalies.png` (the rows from `start`) in `out`."""
    smoothed = smooth_errors(scores, config.span)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    labelled = recording.labels.any()
    writer.writerow(["row", "time", "score", "smoothed", "flag"] + (["label"] if labelled else []))
    for i in range(len(scores)):
        when = "" if recording.time is None else str(recording.time[i])
        writer.writerow([i, when, f"{scores[i]:.6g}", f"{smoothed[i]:.6g}", int(flags[i])]
                        + ([int(recording.labels[i])] if labelled else []))
    write_text_atomic(Path(out) / "anomalies.csv", buffer.getvalue())
    shown = slice(start, None)
    plot_detections(recording.values[shown], scores[shown], flags[shown],
                    Path(out) / "anomalies.png", threshold=config.epsilon,
                    watched=None if config.threshold == "robust_z" else smoothed[shown],
                    labels=recording.labels[shown] if labelled else None,
                    channels=recording.channels, start=start,
                    title=f"{recording.name}: {config.detector} detector, {config.threshold} "
                          "threshold")


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8", errors="replace") as f:
        return next(csv.reader(f), [])


def detect(run, args) -> list[str]:
    """`seqsuite detect --run RUN [--data FILE]`: score every row of a recording with the
    run's detector and threshold; writes RUN/detections/<name>/anomalies.csv, anomalies.png
    and, when the file has the run's label column, metrics.json. Without `--data`, the
    run's own recording."""
    from seqsuite.shared.run.runner import format_metrics

    model, config = run.model, run.config
    if args.data is None:
        recording = read(config)
    else:
        path = Path(args.data)
        columns = _header(path) if path.is_file() else []
        # the embedded recordings' files name their labels "is_anomaly"
        label = config.label_column or "is_anomaly"
        recording = read_labelled_csv(
            path, label if label in columns else "",
            config.time_column if config.time_column in columns else "",
            config.channel_names)
    values = recording.values
    scores = model_scores(model, scaled_values(values, config.centre, config.scale), config)
    flags = watched(scores, config) > config.epsilon
    metrics = {"detections": measure(scores, flags, recording.labels,
                                     recording.seconds_per_point),
               "data": {"recording": recording.name, "rows": len(values)}}
    out = Path(run.path) / "detections" / recording.name
    with replacing(out, overwrite=True, what="detections", flag="--run") as staged:
        write_detections(staged, recording, scores, flags, config)
        write_text_atomic(staged / "metrics.json", json.dumps(metrics, indent=2) + "\n")
    return [format_metrics(metrics).rstrip(),
            f"{int(flags.sum())} of {len(values)} rows flagged; detections written to {out}"]


def stream(run, args):
    """`seqsuite stream --run RUN [FILE|-]`: score CSV rows one at a time as they arrive, with
    the run's SavedModel (`stream` signature: a cost per row that does not grow with the
    stream), printing `row,score,smoothed,flag` for each as soon as it is scored.

    The lines are read as `shared.run.live.csv_rows` reads them: an optional header naming
    the run's channels (other columns, such as a time or label, are ignored; one without
    the channels stops the stream before anything is scored), else the channels in the
    run's order; a line that is not numbers, or has too few columns, is skipped with one
    line on standard error naming it, and the stream goes on."""
    import tensorflow as tf

    from seqsuite.shared.run.live import csv_rows, states_of, streaming_export

    channels = run.config.channel_names
    served = streaming_export(run)
    step = served.signatures["stream"]
    state = served.signatures["initial_state"](batch_size=tf.constant(1))
    yield "row,score,smoothed,flag"
    for row, (_, values) in enumerate(csv_rows(args.source, channels)):
        out = step(values=tf.constant([[values[c] for c in channels]], tf.float32), **state)
        state = states_of(out)
        yield (f"{row},{float(out['score'][0]):.6g},{float(out['smoothed'][0]):.6g},"
               f"{int(out['flag'][0])}")


def search_space(hp) -> dict:
    return {
        "cell": hp.Choice("cell", ["lstm", "gru"]),
        "units": hp.Choice("units", [16, 32, 64]),
        "layers": hp.Int("layers", 1, 2),
        "window": hp.Choice("window", [32, 64, 128]),
        "dropout": hp.Choice("dropout", [0.0, 0.1]),
        "learning_rate": hp.Choice("learning_rate", [3e-4, 1e-3, 3e-3]),
        "batch_size": hp.Choice("batch_size", [32, 64, 128]),
    }
