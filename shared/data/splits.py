"""Train / validation / test splits, the same rule in every suite.

Every suite that splits data itself takes `val_fraction` and `test_fraction`
(checked by `shared.run.config.require_split_fractions`). Series and text are cut
into contiguous parts in order (the test part is the most recent, so nothing
from the future leaks into training); independent items (sentences, pairs,
files) are shuffled once with the seed and then cut.
"""

from __future__ import annotations

import numpy as np


def split_sizes(n: int, val_fraction: float, test_fraction: float,
                at_least: int = 0) -> tuple[int, int, int]:
    """(train, validation, test) sizes of `n` items: the validation and test parts
    are `round(n * fraction)`, but at least `at_least` each (files: 1)."""
    n_test = max(at_least, int(round(n * test_fraction)))
    n_val = max(at_least, int(round(n * val_fraction)))
    return n - n_val - n_test, n_val, n_test


def split_bounds(n: int, val_fraction: float, test_fraction: float) -> tuple[int, int]:
    """(end of train, end of validation) of a contiguous split of `n` steps."""
    n_train, n_val, _ = split_sizes(n, val_fraction, test_fraction)
    return n_train, n_train + n_val


def contiguous(sequence, val_fraction: float, test_fraction: float) -> dict:
    """{"train", "val", "test"}: consecutive parts of `sequence`, in order."""
    a, b = split_bounds(len(sequence), val_fraction, test_fraction)
    return {"train": sequence[:a], "val": sequence[a:b], "test": sequence[b:]}


def shuffled(items: list, val_fraction: float, test_fraction: float, seed: int) -> dict:
    """{"train", "val", "test"}: `items` shuffled once with `seed`, then cut."""
    order = np.random.default_rng(seed).permutation(len(items))
    a, b = split_bounds(len(items), val_fraction, test_fraction)
    return {"train": [items[i] for i in order[:a]], "val": [items[i] for i in order[a:b]],
            "test": [items[i] for i in order[b:]]}
