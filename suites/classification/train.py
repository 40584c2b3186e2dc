"""Fit, evaluate and export the sequence-classification suite (baselines: `baselines.py`).

    seqsuite train classification --preset quick --out runs/vowels
    seqsuite train classification --preset quick --set model=esn
    seqsuite predict --run runs/vowels new_recordings.ts
"""

from __future__ import annotations

import csv
import weakref

import keras
import numpy as np

from seqsuite.shared.errors import DataError
from seqsuite.shared.evaluation.metrics import classification_scores
from seqsuite.shared.evaluation.plots import plot_confusion
from seqsuite.shared.layers.reservoir import Reservoir
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


def batch_size(model, padded) -> int:
    """Sequences per prediction batch: 256, fewer for long ones, so that the reservoirs'
    states of one batch stay near 2**25 floats (128 MiB) whatever the length."""
    units = sum(layer.units for layer in model.layers if isinstance(layer, Reservoir)) or 1
    return int(np.clip(2**25 // max(padded.shape[1] * units, 1), 1, 256))


def _outputs(model, layer: str, padded, lengths) -> np.ndarray:
    probes = _PROBES.setdefault(model, {})
    if layer not in probes:
        probes[layer] = keras.Model(model.inputs, model.get_layer(layer).output)
    return probes[layer].predict([padded, lengths], batch_size=batch_size(model, padded),
                                 verbose=0)


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
    """Ridge readout of the pooled reservoir statistics (standardised: `FeatureStandardize`
    fitted on them) onto one-hot classes, with the softmax temperature (and, when
    `config.ridge` is None, the ridge from `RIDGES`) of lowest log loss on the readout's
    leave-one-out scores of the training sequences: scores of sequences the readout did
    not fit, so the probabilities are not as sure as a fit to its own training data, and
    the validation split stays untouched for model selection."""
    pooled = _outputs(model, "pooling", *data.arrays("train"))  # (batch, features)
    features = model.get_layer("standardize").fit(pooled)
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
    return model.predict([padded, lengths], batch_size=batch_size(model, padded), verbose=0)


def esn_validation_loss(model, data: ClassificationData, config: Config) -> float:
    """Validation log loss (cross-entropy), the objective the rnn reports as val_loss."""
    return _log_loss(probabilities_of(model, data, "val"), data.labels["val"])


# Scores.

def confusion(truth, predicted, n_classes: int) -> np.ndarray:
    counts = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(counts, (np.asarray(truth), np.asarray(predicted)), 1)
    return counts


def evaluate(model, data: ClassificationData, config: Config, where: Evaluation) -> dict:
    """Test accuracy, macro F1 and errors of the model and of the baselines (1-NN
    Euclidean, 1-NN DTW, MiniRocket; their reference set kept at training), per-class scores,
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
        probabilities = model.predict([padded, lengths], batch_size=batch_size(model, padded),
                                      verbose=0)
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
        "reservoir_units": hp.Choice("reservoir_units", [1000, 500, 2000]),
        "timescales": hp.Choice("timescales", [4, 1, 2, 8]),
        "spectral_radius": hp.Choice("spectral_radius", [0.9, 0.5, 1.2]),
        "time_constant": hp.Choice("time_constant", [1.0, 0.2, 0.5, 2.0, 4.0]),
        "input_scaling": hp.Choice("input_scaling", [1.0, 0.5, 2.0, 4.0]),
        "pooling": hp.Choice("pooling", ["mean_max_min_ppv_std_last", "mean_last", "mean_max"]),
    }
