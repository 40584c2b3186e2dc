"""Sequence-classification data: embedded recordings, `.ts` files and long CSV files.

Embedded: two sets of the UEA/UCR multivariate archive that the sktime package
ships as `.ts` files (read here with this suite's own reader; sktime itself is
never imported), each with its official train/test split:
- `japanese_vowels`: nine male speakers saying the vowels /ae/; 12 LPC cepstrum
  coefficients per frame, 7 to 29 frames; 270 training and 370 test
  utterances; the class is the speaker (Kudo, Toyama & Shimbo 1999, UCI).
- `basic_motions`: a smart watch's 3-D accelerometer and 3-D gyroscope at
  10 Hz for 10 s while standing, walking, running or playing badminton;
  40 training and 40 test recordings (UEA archive, Bagnall et al. 2018).

A file (`.ts` or `.csv`, see `formats`) is the training data; `test_data`
names a test file, otherwise a stratified `test_fraction` of the file's
sequences is kept for testing. Validation is a stratified `val_fraction` of
the training sequences. Splits are seeded. `stratified_folds` deals training
sequences into folds and `assemble` builds the suite's data from any pair of
sequence sets, which is how the benchmark cross-validates settings on a
training split alone.

Sequences keep their own lengths. Pipelines yield `((sequence, length),
class_id)` with each batch zero-padded to its longest sequence; the model
standardises channels itself (statistics adapted on the training frames
only), so an exported model takes raw values.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from seqsuite.shared.errors import DataError
from seqsuite.shared.run.suite import SuiteData
from seqsuite.suites.classification.config import EMBEDDED, Config
from seqsuite.suites.classification.formats import Sequences, cut, read_sequences, shown

SPLITS = ("train", "val", "test")


@dataclass
class ClassificationData(SuiteData):
    name: str
    classes: list[str]
    sequences: dict[str, list[np.ndarray]]  # split -> raw (time, channels) float32 arrays
    labels: dict[str, np.ndarray]  # split -> class ids, indices into `classes`
    ids: dict[str, list[str]]  # split -> the source's sequence ids

    def arrays(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        """(padded sequences (batch, time, channels), lengths (batch,)) of a split."""
        return pad(self.sequences[split])


def embedded_file(name: str, split: str) -> Path:
    """The `.ts` file of an embedded set's split inside the installed sktime package;
    `name` may also be any UCR/UEA problem sktime ships (`ArchiveName`, as the archive
    spells it), which is how the benchmark reaches them."""
    spec = importlib.util.find_spec("sktime")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise DataError(f"the embedded '{name}' recordings come with the sktime package, which "
                        "is not installed; pip install 'sktime>=1.2', or pass --set data=FILE.ts")
    problem = EMBEDDED.get(name, name)
    path = (Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / problem
            / f"{problem}_{split.upper()}.ts")
    if not path.is_file():
        raise DataError(f"the installed sktime has no {path.name}; pip install 'sktime>=1.2', "
                        "or pass --set data=FILE.ts")
    return path


def pad(sequences: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Zero-pad `sequences` at the end: ((batch, longest, channels), lengths int32)."""
    lengths = np.asarray([len(s) for s in sequences], dtype="int32")
    channels = sequences[0].shape[1] if sequences else 0
    padded = np.zeros((len(sequences), int(lengths.max(initial=0)), channels), "float32")
    for i, sequence in enumerate(sequences):
        padded[i, : len(sequence)] = sequence
    return padded, lengths


def stratified_split(labels: np.ndarray, fraction: float, seed) -> tuple[np.ndarray, np.ndarray]:
    """(kept, held-out) indices; each class gives about `fraction` of its members,
    keeping at least one, and at least one sequence is held out overall."""
    rng = np.random.default_rng(seed)
    kept, held = [], []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        n = min(int(round(len(members) * fraction)), len(members) - 1)
        held.extend(members[:n])
        kept.extend(members[n:])
    if not held:
        counts = np.bincount(labels)
        if counts.max() >= 2:  # a small set: hold out one of the largest class
            biggest = [i for i in kept if labels[i] == np.argmax(counts)]
            held.append(biggest[0])
            kept.remove(biggest[0])
    return np.sort(np.asarray(kept, int)), np.sort(np.asarray(held, int))


def stratified_folds(labels: np.ndarray, folds: int, seed) -> list[np.ndarray]:
    """`folds` disjoint index arrays covering every row; each class's members, in a seeded
    random order, are dealt round-robin, so each fold holds about 1/`folds` of every class."""
    rng = np.random.default_rng(seed)
    parts = [[] for _ in range(folds)]
    start = 0  # where the next class starts dealing, so that fold sizes stay even
    for label in np.unique(labels):
        for i, index in enumerate(rng.permutation(np.flatnonzero(labels == label))):
            parts[(start + i) % folds].append(index)
        start = (start + np.sum(labels == label)) % folds
    return [np.sort(np.asarray(part, int)) for part in parts]


def _sort_key(label: str):
    # Numeric class names ("1" ... "10") in numeric order, others alphabetically.
    try:
        return (0, float(label), label)
    except ValueError:
        return (1, 0.0, label)


def class_order(train: Sequences) -> list[str]:
    """The classes of the training sequences: a .ts file's declared order, else sorted."""
    present = set(train.labels)
    if train.classes:
        return [c for c in train.classes if c in present]
    return sorted(present, key=_sort_key)


def encode(sequences: Sequences, classes: list[str], what: str) -> np.ndarray:
    """Class ids of `sequences`' labels; a label outside `classes` is a DataError."""
    index = {name: i for i, name in enumerate(classes)}
    for label, name in zip(sequences.labels, sequences.ids):
        if label not in index:
            raise DataError(f"{what} {sequences.name}: sequence '{cut(name)}' has label "
                            f"'{cut(label)}', which the training data does not have (classes: "
                            f"{shown(classes, 12)}); fix the label or train on data with this "
                            "class")
    return np.asarray([index[label] for label in sequences.labels], dtype="int32")


def read_file(path, config: Config, require_labels: bool = True) -> Sequences:
    """A user's `.ts` or `.csv` file, read with the config's CSV options."""
    return read_sequences(path, require_labels, sequence_column=config.sequence_column,
                          label_column=config.label_column, channels=config.channels,
                          time_column=config.time_column)


def subset(sequences: Sequences, indices) -> Sequences:
    """The sequences at `indices`, with their labels and ids."""
    return Sequences(sequences.name, [sequences.values[i] for i in indices],
                     [sequences.labels[i] for i in indices],
                     [sequences.ids[i] for i in indices], sequences.classes)


def read_splits(config: Config) -> tuple[str, Sequences, Sequences]:
    """(name, training sequences, test sequences) from the config's data fields."""
    if config.data in EMBEDDED:
        train = read_sequences(embedded_file(config.data, "train"))
        name = config.data
        test = None if config.test_data else read_sequences(embedded_file(config.data, "test"))
    elif Path(config.data).suffix.lower() in (".ts", ".csv"):
        train, name, test = read_file(config.data, config), Path(config.data).name, None
    else:
        raise DataError(f"unknown data '{config.data}'; use {', '.join(EMBEDDED)}, or a .ts "
                        "or .csv file")
    if not len(train):
        raise DataError(f"{name} holds no sequences; give at least two classes of them")
    if config.test_data:
        test = read_file(config.test_data, config)
    elif test is None:
        _, ids = np.unique(np.asarray(train.labels), return_inverse=True)
        kept, held = stratified_split(ids, config.test_fraction, [config.seed, 1])
        if len(held) == 0:
            raise DataError(f"{name} holds {len(train)} sequence(s), too few to keep some "
                            "for testing; give more sequences or a --set test_data= file")
        train, test = subset(train, kept), subset(train, held)
    return name, train, test


def dataset(sequences: list[np.ndarray], labels: np.ndarray, batch_size: int,
            shuffle_seed: int | None = None) -> tf.data.Dataset:
    """((sequence, length), class id) batches, each padded to its longest sequence."""
    padded, lengths = pad(sequences)
    ds = tf.data.Dataset.from_tensor_slices(((padded, lengths), labels))
    if shuffle_seed is not None:
        ds = ds.shuffle(len(labels), seed=shuffle_seed, reshuffle_each_iteration=True)

    def trim(inputs, label):  # steps after the batch's longest sequence are padding only
        sequence, length = inputs
        return (sequence[:, : tf.reduce_max(length)], length), label

    return ds.batch(batch_size).map(trim).prefetch(tf.data.AUTOTUNE)


def load_data(config: Config) -> ClassificationData:
    return assemble(config, *read_splits(config))


def assemble(config: Config, name: str, train: Sequences, test: Sequences) -> ClassificationData:
    """The suite's data from training and test sequences: classes, the stratified
    validation part of `train`, pipelines and what the model adapts and learns.
    (`load_data` reads the config's sources; cross-validation passes folds.)"""
    classes = list(config.classes) if config.classes else class_order(train)
    if len(classes) < 2:
        raise DataError(f"{name}: the training sequences have {len(classes)} class "
                        f"({', '.join(classes)}); classification needs two or more")
    n_channels = train.values[0].shape[1] if len(train) else 0
    expected = config.n_channels or n_channels
    for part, what in ((train, "training data"), (test, "test data")):
        if len(part) and part.values[0].shape[1] != expected:
            raise DataError(f"{what} {part.name} has {part.values[0].shape[1]} channels, the "
                            f"model takes {expected}; give files with the same channels")
    labels = encode(train, classes, "training data")
    kept, held = stratified_split(labels, config.val_fraction, config.seed)
    if len(held) == 0 or len(kept) < len(classes):
        raise DataError(f"{name} has {len(train)} training sequences, too few for "
                        f"{len(classes)} classes and a validation part; give more sequences")
    sequences = {"train": [train.values[i] for i in kept], "val": [train.values[i] for i in held],
                 "test": test.values}
    ids = {"train": [train.ids[i] for i in kept], "val": [train.ids[i] for i in held],
           "test": test.ids}
    split_labels = {"train": labels[kept], "val": labels[held],
                    "test": encode(test, classes, "test data")}
    if not len(test):
        raise DataError(f"test data {test.name} holds no sequences; give at least one")
    datasets = {split: dataset(sequences[split], split_labels[split], config.batch_size,
                               config.seed if split == "train" else None) for split in SPLITS}
    # The ESN's time scale (Config.reservoir_leak_rate); a trained run keeps it.
    median_length = config.median_length or float(np.median([len(s) for s in train.values]))
    return ClassificationData(
        name=name, classes=classes, sequences=sequences, labels=split_labels, ids=ids,
        adapt={"normalize": np.concatenate(sequences["train"], axis=0)[None]},  # (1, frames, channels)
        learned={"classes": classes, "n_channels": int(expected),
                 "median_length": median_length}, **datasets,
    )
