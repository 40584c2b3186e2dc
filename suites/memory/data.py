"""Memory tasks: the adding problem, the copy task, and digits read pixel by pixel.

- Adding problem (Hochreiter and Schmidhuber 1997; the variant of Le et al.
  2015 and Arjovsky et al. 2016): `T` steps of two features, a value
  `~ U(0, 1)` and a marker that is 1 at exactly two steps, one in each half of
  the sequence. The target is the sum of the two marked values. Always
  predicting 1 gives a mean squared error of `Var(U + U) = 1/6 ≈ 0.167`.
- Copy task (Arjovsky et al. 2016): `copy_length` symbols drawn from
  `1..copy_symbols`, `T - 1` blanks (0), a delimiter (`copy_symbols + 1`) and
  `copy_length` more blanks; the target is `T + copy_length` blanks followed by
  the symbols. Inputs are one-hot. A model without memory can at best output
  blanks and then guess, a cross-entropy of
  `copy_length · log(copy_symbols) / (T + 2 · copy_length)` per step.
- Sequential digits: scikit-learn's 1,797 handwritten digits (8x8 images,
  values 0-16, scaled to [0, 1]) read one pixel per step in row order, or in
  one fixed random permutation (`permuted_digits`, the same for every run);
  `length = 64 k` holds each pixel for `k` steps. Chance is 10%.

Sequences are generated from `config.seed`, so a run and its evaluation see
the same data; the splits are disjoint draws (digits: a seeded shuffle).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from seqsuite.shared.data.splits import split_bounds, split_sizes
from seqsuite.shared.run.suite import SuiteData
from seqsuite.suites.memory.config import PIXELS, Config

PERMUTATION_SEED = 20161  # fixes the permuted-digits task itself, whatever the run's seed


@dataclass
class MemoryData(SuiteData):
    arrays: dict[str, tuple[np.ndarray, np.ndarray]]  # split: (x, y)
    baseline_loss: float  # the loss of the trivial predictor, in the model's loss units


def adding_problem(n: int, length: int, rng: np.random.Generator):
    """x (n, length, 2): values and markers; y (n, 1): the sum of the two marked values."""
    values = rng.uniform(0.0, 1.0, size=(n, length))
    half = length // 2
    first = rng.integers(0, max(half, 1), size=n)
    second = rng.integers(half, length, size=n) if length > 1 else first
    markers = np.zeros((n, length))
    rows = np.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=-1).astype("float32")
    y = (values[rows, first] + values[rows, second] * (second != first))[:, None]
    return x, y.astype("float32")


def copy_task(n: int, delay: int, symbols: int, remember: int, rng: np.random.Generator):
    """x (n, delay + 2 remember, symbols + 2) one-hot; y (n, delay + 2 remember) class ids.

    Class 0 is the blank, `1..symbols` the symbols, `symbols + 1` the delimiter.
    """
    steps = delay + 2 * remember
    sequence = rng.integers(1, symbols + 1, size=(n, remember))
    tokens = np.zeros((n, steps), dtype="int32")
    tokens[:, :remember] = sequence
    tokens[:, delay + remember - 1] = symbols + 1  # the delimiter: "now write them out"
    target = np.zeros((n, steps), dtype="int32")
    target[:, -remember:] = sequence
    x = np.eye(symbols + 2, dtype="float32")[tokens]
    return x, target


def copy_baseline(config: Config) -> float:
    """Cross-entropy per step of blanks, then a uniform guess over the symbols."""
    return config.copy_length * math.log(config.copy_symbols) / config.steps


def load_digits_sequences(config: Config):
    """x (1797, length, 1) and y (1797,): scikit-learn's digits as pixel sequences."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    pixels = (digits.data / 16.0).astype("float32")  # (1797, 64), row-major
    if config.task == "permuted_digits":
        pixels = pixels[:, np.random.default_rng(PERMUTATION_SEED).permutation(PIXELS)]
    x = np.repeat(pixels, config.length // PIXELS, axis=1)[..., None]
    return x, digits.target.astype("int32")


def make_arrays(config: Config) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The task's (x, y) for each split."""
    if config.task in ("digits", "permuted_digits"):
        x, y = load_digits_sequences(config)
        # shared.data.splits' rule for independent items: shuffled once with the seed, then cut.
        order = np.random.default_rng(config.seed).permutation(len(x))
        parts = np.split(order, split_bounds(len(x), config.val_fraction, config.test_fraction))
        return {split: (x[idx], y[idx]) for split, idx in zip(("train", "val", "test"), parts)}
    # One generator per split, so the test set does not change with the training set's size.
    streams = np.random.default_rng(config.seed).spawn(3)
    arrays = {}
    sizes = split_sizes(config.samples, config.val_fraction, config.test_fraction)
    for split, n, rng in zip(("train", "val", "test"), sizes, streams):
        if config.task == "adding":
            arrays[split] = adding_problem(n, config.length, rng)
        else:
            arrays[split] = copy_task(n, config.length, config.copy_symbols,
                                      config.copy_length, rng)
    return arrays


def baseline_loss(config: Config, arrays) -> float:
    """The loss of the predictor without memory (adding: always 1; copy: blanks, then a
    guess; digits: the class frequencies of the training split)."""
    if config.task == "adding":
        return 1.0 / 6.0
    if config.task == "copy":
        return copy_baseline(config)
    counts = np.bincount(arrays["train"][1], minlength=10) / len(arrays["train"][1])
    test = arrays["test"][1]
    return float(-np.mean(np.log(counts[test])))


def load_data(config: Config) -> MemoryData:
    arrays = make_arrays(config)
    datasets = {}
    for split, (x, y) in arrays.items():
        ds = tf.data.Dataset.from_tensor_slices((x, y))
        if split == "train":
            ds = ds.shuffle(len(x), seed=config.seed, reshuffle_each_iteration=True)
        datasets[split] = ds.batch(config.batch_size).prefetch(tf.data.AUTOTUNE)
    return MemoryData(arrays=arrays, baseline_loss=baseline_loss(config, arrays), **datasets)
