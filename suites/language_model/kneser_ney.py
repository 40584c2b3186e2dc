"""Interpolated Kneser-Ney n-gram model (Kneser and Ney 1995; Chen and Goodman 1999),
the strong count-based baseline of the language-model suite.

With D the discount, c(h w) the training count of n-gram h w and, for every order below
the highest, the continuation count N1+(. h w) (how many different tokens precede h w):

    P_k(w | h) = max(a_k(h w) - D, 0) / A_k(h)  +  D * T_k(h) / A_k(h) * P_(k-1)(w | h')
    a_n = c (the highest order), a_k = N1+(. h w) for k < n
    A_k(h) = sum over w of a_k(h w),  T_k(h) = |{w : a_k(h w) > 0}|
    P_0(w) = 1 / V;  a history never seen (A_k(h) = 0) backs off: P_k = P_(k-1)

h' drops the oldest token of h. n-grams are int64 codes (`t_1 V^(k-1) + ... + t_k`),
sorted, so scoring a whole sequence is a few `searchsorted` calls. The discount is
chosen on the validation part from `DISCOUNTS`.
"""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import numpy as np

DISCOUNTS = (0.5, 0.75, 0.9)


def codes(seq: np.ndarray, order: int, vocab_size: int) -> np.ndarray:
    """The int64 code of every `order`-gram of `seq`, in order (the trigram baseline's
    tables use them too)."""
    seq = np.asarray(seq, dtype=np.int64)
    n = max(len(seq) - order + 1, 0)
    code = np.zeros(n, dtype=np.int64)
    for i in range(order):
        code = code * vocab_size + seq[i : i + n]
    return code


def lookup(table: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
    """`values` of `query` codes in the sorted `table` (0 where absent)."""
    if len(table) == 0:
        return np.zeros(len(query), dtype=values.dtype if len(values) else np.int64)
    index = np.minimum(np.searchsorted(table, query), len(table) - 1)
    return np.where(table[index] == query, values[index], 0)


@dataclasses.dataclass
class KneserNey:
    vocab_size: int
    order: int
    discount: float
    grams: list  # per order k = 1..n: sorted codes of the k-grams with a_k > 0
    counts: list  # a_k of those codes
    contexts: list  # per order: sorted codes of the histories h (k - 1 tokens)
    totals: list  # A_k(h)
    types: list  # T_k(h)

    def probabilities(self, seq: np.ndarray) -> np.ndarray:
        """P(token i | the n - 1 before it) for every token of `seq` after the first n - 1."""
        seq = np.asarray(seq, dtype=np.int64)
        V, n = self.vocab_size, self.order
        targets = seq[n - 1 :]
        p = np.full(len(targets), 1.0 / V)
        for k in range(1, n + 1):
            gram = codes(seq[n - k :], k, V)  # the k-gram ending at each target
            history = gram // V
            count = lookup(self.grams[k - 1], self.counts[k - 1], gram).astype(float)
            total = lookup(self.contexts[k - 1], self.totals[k - 1], history).astype(float)
            types = lookup(self.contexts[k - 1], self.types[k - 1], history).astype(float)
            seen = total > 0
            safe = np.maximum(total, 1.0)
            mixed = (np.maximum(count - self.discount, 0.0) / safe
                     + self.discount * types / safe * p)
            p = np.where(seen, mixed, p)
        return p

    def bits(self, seq: np.ndarray) -> float:
        """Bits per token of `seq` (its tokens after the first n - 1)."""
        return float(-np.mean(np.log2(self.probabilities(seq))))

    def save(self, path: Path, write_bytes) -> None:
        arrays = {"vocab_size": np.int64(self.vocab_size), "order": np.int64(self.order),
                  "discount": np.float64(self.discount)}
        for name in ("grams", "counts", "contexts", "totals", "types"):
            for k, array in enumerate(getattr(self, name)):
                arrays[f"{name}_{k}"] = array
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        write_bytes(path, buffer.getvalue())

    @classmethod
    def load(cls, path: Path) -> KneserNey:
        with np.load(path, allow_pickle=False) as saved:
            order = int(saved["order"])
            lists = {name: [saved[f"{name}_{k}"] for k in range(order)]
                     for name in ("grams", "counts", "contexts", "totals", "types")}
            return cls(int(saved["vocab_size"]), order, float(saved["discount"]), **lists)


def _grouped(gram_codes: np.ndarray, counts: np.ndarray, vocab_size: int):
    """(history codes, A(h), T(h)) of sorted k-gram codes and their counts."""
    history = gram_codes // vocab_size
    contexts, start = np.unique(history, return_index=True)
    totals = np.add.reduceat(counts, start) if len(counts) else np.zeros(0, np.int64)
    types = np.diff(np.append(start, len(history)))
    return contexts, totals, types


def count(train: np.ndarray, vocab_size: int, order: int) -> KneserNey:
    """The tables of an order-`order` model of `train` (discount set later)."""
    grams, counts, contexts, totals, types = [], [], [], [], []
    for k in range(1, order + 1):
        if k == order:
            g, c = np.unique(codes(train, k, vocab_size), return_counts=True)
        else:
            # N1+(. g): the distinct (k+1)-grams that end in g.
            longer = np.unique(codes(train, k + 1, vocab_size))
            g, c = np.unique(longer % vocab_size**k, return_counts=True)
        h, a, t = _grouped(g, c, vocab_size)
        grams.append(g), counts.append(c), contexts.append(h), totals.append(a), types.append(t)
    return KneserNey(vocab_size, order, DISCOUNTS[1], grams, counts, contexts, totals, types)


def fit_kneser_ney(train: np.ndarray, val: np.ndarray, vocab_size: int,
                   order: int) -> KneserNey:
    """Count `train`; the discount with the fewest bits on `val`."""
    model = count(train, vocab_size, order)
    best = None
    for discount in DISCOUNTS:
        model.discount = discount
        bits = model.bits(val)
        if best is None or bits < best[0]:
            best = (bits, discount)
    model.discount = best[1]
    return model
