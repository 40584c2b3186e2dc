"""Fit, evaluate and export the sequence-classification suite, with 1-NN baselines.

    seqsuite train classification --preset quick --out runs/vowels
    seqsuite train classification --preset quick --set model=esn
    seqsuite predict --run runs/vowels new_recordings.ts
"""

from __future__ import annotations

import csv
import io
import weakref
from pathlib import Path

import keras
import numpy as np

from seqsuite.shared.errors import ConfigError, DataError
from seqsuite.shared.evaluation.metrics import classification_scores
from seqsuite.shared.evaluation.plots import plot_confusion
from seqsuite.shared.run.files import write_bytes_atomic
from seqsuite.shared.run.suite import Evaluation
from seqsuite.suites.classification.config import Config
from seqsuite.suites.classification.data import ClassificationData, pad, read_file

# Temperatures tried when calibrating the ESN's probabilities.
TEMPERATURES = np.geomspace(0.01, 10.0, 61)
# Readout regularisations tried when `ridge` is None (half-decades).
RIDGES = np.geomspace(1e-3, 1e3, 13)


# The echo state network, fitted in closed form.

def is_esn(config: Config) -> bool:
    return config.model == "esn"


# model -> {layer name: a model reading that layer's output}, so that fitting one model
# again (cross-validation folds) reuses the probe and its traced predict function.
_PROBES = weakref.WeakKeyDictionary()


def _outputs(model, layer: str, padded, lengths) -> np.ndarray:
    probes = _PROBES.setdefault(model, {})
    if layer not in probes:
        probes[layer] = keras.Model(model.inputs, model.get_layer(layer).output)
    return probes[layer].predict([padded, lengths], batch_size=256, verbose=0)


def _log_loss(probabilities: np.ndarray, labels: np.ndarray) -> float:
    picked = probabilities[np.arange(len(labels)), labels]
    return float(-np.mean(np.log(np.clip(picked, 1e-12, None))))


def _softmax(scores: np.ndarray) -> np.ndarray:
    scores = scores - scores.max(axis=-1, keepdims=True)
    return np.exp(scores) / np.exp(scores).sum(axis=-1, keepdims=True)


def leave_one_out_scores(features: np.ndarray, targets: np.ndarray, ridge) -> np.ndarray:
    """What a ridge regression with an unregularised bias (`RidgeReadout`) predicts for
    each row when fitted without that row, from one fit:

        ŷ₋ᵢ = yᵢ - (yᵢ - ŷᵢ) / (1 - hᵢᵢ),   hᵢᵢ = 1/n + x̃ᵢ (X̃ᵀX̃ + λI)⁻¹ x̃ᵢᵀ,

    with `X̃` the features centred on their mean (the identity is exact for any
    least-squares fit with a fixed quadratic penalty). One SVD `X̃ = U S Vᵀ` serves
    every `λ`: `ŷ = ȳ + U diag(s²/(s²+λ)) Uᵀ (Y - ȳ)`, `hᵢᵢ = 1/n + Σₖ Uᵢₖ² sₖ²/(sₖ²+λ)`.

    `ridge` is one `λ` (scores `(rows, outputs)`) or a sequence of them (scores
    `(ridges, rows, outputs)`)."""
    x = np.asarray(features, dtype="float64")
    y = np.asarray(targets, dtype="float64")
    u, s, _ = np.linalg.svd(x - x.mean(axis=0), full_matrices=False)
    projected = u.T @ (y - y.mean(axis=0))  # (rank, outputs)
    scores = []
    for value in np.atleast_1d(ridge):
        shrink = np.divide(s**2, s**2 + value, out=np.zeros_like(s), where=s > 0)
        fitted = y.mean(axis=0) + u @ (shrink[:, None] * projected)
        leverage = 1.0 / len(x) + (u**2) @ shrink  # hᵢᵢ
        scores.append(y - (y - fitted) / np.maximum(1.0 - leverage, 1e-9)[:, None])
    return scores[0] if np.ndim(ridge) == 0 else np.stack(scores)


def fit_esn(model, data: ClassificationData, config: Config):
    """Ridge readout of the pooled reservoir states onto one-hot classes, with the
    softmax temperature (and, when `config.ridge` is None, the ridge from `RIDGES`)
    of lowest log loss on the readout's leave-one-out scores of the training
    sequences: scores of sequences the readout did not fit, so the probabilities are
    not as sure as a fit to its own training data, and the validation split stays
    untouched for model selection."""
    features = _outputs(model, "pooling", *data.arrays("train"))  # (batch, features)
    labels = data.labels["train"]
    targets = np.eye(len(data.classes), dtype="float32")[labels]
    ridges = RIDGES if config.ridge is None else np.asarray([config.ridge])
    held_out = leave_one_out_scores(features, targets, ridges)  # (ridges, batch, classes)
    losses = np.array([[_log_loss(_softmax(scores / t), labels) for t in TEMPERATURES]
                       for scores in held_out])
    best_ridge, best_temperature = np.unravel_index(np.argmin(losses), losses.shape)
    readout = model.get_layer("readout")
    readout.ridge = float(ridges[best_ridge])  # kept in the saved model's config
    readout.fit_closed_form(features, targets)
    model.get_layer("calibration").temperature.assign(float(TEMPERATURES[best_temperature]))
    return model


def probabilities_of(model, data: ClassificationData, split: str) -> np.ndarray:
    padded, lengths = data.arrays(split)
    return model.predict([padded, lengths], batch_size=256, verbose=0)


def esn_validation_loss(model, data: ClassificationData, config: Config) -> float:
    """Validation log loss (cross-entropy), the objective the rnn reports as val_loss."""
    return _log_loss(probabilities_of(model, data, "val"), data.labels["val"])


# 1-nearest-neighbour baselines.

def resample(sequence: np.ndarray, steps: int) -> np.ndarray:
    """`sequence` (time, channels) linearly interpolated to `steps` steps."""
    old = np.linspace(0.0, 1.0, len(sequence))
    new = np.linspace(0.0, 1.0, steps)
    return np.stack([np.interp(new, old, channel) for channel in sequence.T], axis=1)


def nearest_euclidean(reference: list[np.ndarray], labels: np.ndarray,
                      queries: list[np.ndarray]) -> np.ndarray:
    """1-NN under the Euclidean distance, every sequence resampled to the longest
    reference length (Euclidean distance needs equal lengths)."""
    steps = max(len(s) for s in reference)
    ref = np.stack([resample(s, steps).ravel() for s in reference])  # (n_ref, steps*channels)
    query = np.stack([resample(s, steps).ravel() for s in queries])
    squared = (query**2).sum(1)[:, None] + (ref**2).sum(1)[None, :] - 2 * query @ ref.T
    return labels[np.argmin(squared, axis=1)]


def nearest_dtw(reference: list[np.ndarray], labels: np.ndarray, queries: list[np.ndarray],
                window: int | None = None) -> np.ndarray:
    """1-NN under multivariate dynamic time warping (dtaidistance's C implementation:
    the frames' squared Euclidean distances summed along the warping path, dependent
    warping of all channels), unconstrained or within a Sakoe-Chiba band `window`."""
    from dtaidistance import dtw_ndim

    series = [np.ascontiguousarray(s, dtype="float64") for s in (*queries, *reference)]
    n = len(queries)
    options = {"window": window} if window else {}
    # Only the query-by-reference block of the matrix is computed.
    distances = dtw_ndim.distance_matrix_fast(series, block=((0, n), (n, len(series))),
                                              compact=False, parallel=True, **options)
    return labels[np.argmin(distances[:n, n:], axis=1)]


class NearestNeighbours:
    """Both 1-NN baselines (`shared.run.baselines.Baseline`), rows `1nn_euclidean` and
    `1nn_dtw`, over one reference set: every official training sequence (training and
    validation parts: nearest neighbours have nothing to validate) with its class,
    saved as plain arrays (`reference.npz`), so evaluating a run never unpickles code."""

    name = "nearest_neighbour"
    file = "reference.npz"

    def __init__(self, reference: list[np.ndarray] | None = None,
                 labels: np.ndarray | None = None):
        self.reference, self.labels = reference, labels

    def fit(self, data: ClassificationData, config: Config) -> None:
        self.reference = data.sequences["train"] + data.sequences["val"]
        self.labels = np.concatenate([data.labels["train"], data.labels["val"]])

    def save(self, directory: Path) -> None:
        padded, lengths = pad(self.reference)
        buffer = io.BytesIO()
        np.savez(buffer, sequences=padded, lengths=lengths, labels=self.labels)
        write_bytes_atomic(Path(directory) / self.file, buffer.getvalue())

    @classmethod
    def load(cls, directory: Path) -> NearestNeighbours:
        path = Path(directory) / cls.file
        try:
            with np.load(path, allow_pickle=False) as saved:
                padded, lengths, labels = saved["sequences"], saved["lengths"], saved["labels"]
        except FileNotFoundError as err:
            raise ConfigError(f"{path} not found: the run directory is damaged; train it "
                              "again (seqsuite train classification ... --overwrite)") from err
        except (ValueError, KeyError, OSError) as err:
            raise ConfigError(f"{path} is unreadable; the run directory is damaged") from err
        return cls([s[:n] for s, n in zip(padded, lengths)], labels)

    def predict(self, sequences: list[np.ndarray], config: Config) -> dict[str, np.ndarray]:
        """{row: class ids} of `sequences` under each distance."""
        return {"1nn_euclidean": nearest_euclidean(self.reference, self.labels, sequences),
                "1nn_dtw": nearest_dtw(self.reference, self.labels, sequences,
                                       config.dtw_window)}

    def score(self, data: ClassificationData, config: Config) -> dict:
        """{row: accuracy, macro F1 and errors} on the test split."""
        return {row: classification_scores(data.labels["test"], guess, data.classes)[0]
                for row, guess in self.predict(data.sequences["test"], config).items()}


def baselines(config: Config) -> list:
    """`Suite.baselines`: both 1-NN baselines, beside either model."""
    return [NearestNeighbours()]


# Scores.

def confusion(truth, predicted, n_classes: int) -> np.ndarray:
    counts = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(counts, (np.asarray(truth), np.asarray(predicted)), 1)
    return counts


def evaluate(model, data: ClassificationData, config: Config, where: Evaluation) -> dict:
    """Test accuracy, macro F1 and errors of the model and of the 1-NN Euclidean and
    1-NN DTW baselines (their reference set kept at training), per-class scores,
    `confusion.png` and `test_predictions.csv` in `where.out`. Trains nothing."""
    truth = data.labels["test"]
    probabilities = probabilities_of(model, data, "test")
    model_guess = np.argmax(probabilities, axis=-1)
    summary, per_class = classification_scores(truth, model_guess, data.classes)
    test = {config.model: summary}
    for baseline in where.baselines.values():
        test.update(baseline.score(data, config))
    plot_confusion(confusion(truth, model_guess, len(data.classes)), data.classes,
                   where.out / "confusion.png",
                   title=f"{data.name}: {config.model}, test accuracy "
                         f"{test[config.model]['accuracy']:.3f}")
    with (where.out / "test_predictions.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "true", "predicted", "probability"])
        for name, true, guess, p in zip(data.ids["test"], truth, model_guess, probabilities):
            writer.writerow([name, data.classes[true], data.classes[guess], f"{p[guess]:.4f}"])
    lengths = [len(s) for split in data.sequences.values() for s in split]
    settings = {}
    if is_esn(config):  # what training chose or derived, beside what the config asked
        settings = {"fitted": {"leak_rate": config.reservoir_leak_rate(),
                            "ridge": float(model.get_layer("readout").ridge),
                            "temperature": float(model.get_layer("calibration").temperature.numpy())}}
    return {"test": test, "per_class": per_class, **settings,
            "data": {"dataset": data.name, "classes": len(data.classes),
                     "channels": config.n_channels,
                     **{split: len(data.sequences[split]) for split in data.sequences},
                     "length": f"{min(lengths)}-{max(lengths)}"}}


# Inference.

def predict(run, args) -> list[str]:
    """`seqsuite predict --run RUN FILE ...`: one line per sequence of each `.ts` or
    `.csv` file (labels in the files are not needed and are ignored):
    `label<TAB>probability<TAB>file:id` (a .ts sequence's id is its line number)."""
    model, config, lines = run.model, run.config, []
    names = list(config.classes)
    for path in args.files:
        sequences = read_file(path, config, require_labels=False)
        if not len(sequences):
            raise DataError(f"{sequences.name} holds no sequences to label")
        channels = sequences.values[0].shape[1]
        if channels != config.n_channels:
            raise DataError(f"{sequences.name} has {channels} channels, the run's model takes "
                            f"{config.n_channels}; give sequences with the training channels")
        padded, lengths = pad(sequences.values)
        probabilities = model.predict([padded, lengths], batch_size=256, verbose=0)
        for name, p in zip(sequences.ids, probabilities):
            best = int(np.argmax(p))
            lines.append(f"{names[best]}\t{p[best]:.3f}\t{sequences.name}:{name}")
    return lines


def search_space(hp) -> dict:
    """Both models' settings; those of the model not chosen (`--set model=`) have no effect.
    The ESN's ridge is not searched: each fit chooses it by leave-one-out."""
    return {
        "cell": hp.Choice("cell", ["lstm", "gru", "layernorm_lstm"]),
        "units": hp.Choice("units", [32, 64, 128]),
        "attention_units": hp.Choice("attention_units", [16, 32, 64]),
        "dropout": hp.Choice("dropout", [0.0, 0.2, 0.4]),
        "learning_rate": hp.Choice("learning_rate", [1e-3, 3e-3, 1e-2]),
        "batch_size": hp.Choice("batch_size", [16, 32, 64]),
        "reservoir_units": hp.Choice("reservoir_units", [200, 500, 1000]),
        "spectral_radius": hp.Choice("spectral_radius", [0.5, 0.9, 1.2]),
        "time_constant": hp.Choice("time_constant", [0.2, 0.5, 1.0, 2.0, 4.0]),
        "input_scaling": hp.Choice("input_scaling", [1.0, 2.0, 4.0, 8.0, 16.0]),
        "pooling": hp.Choice("pooling", ["mean", "mean_last"]),
    }
