"""Train, evaluate and export the language-model suite.

    python -m seqsuite.suites.language_model.train --preset quick --out runs/lm
    seqsuite generate --run runs/lm --prompt "The for statement" --temperature 0.8 --top-k 20 --length 400
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from seqsuite.suites.language_model.config import Config
from seqsuite.suites.language_model.data import LMData
from seqsuite.suites.language_model.model import Generator, reset_states


class ResetStates(keras.callbacks.Callback):
    """Each epoch, and each evaluation, starts the streams from a zero state."""

    def on_epoch_begin(self, epoch, logs=None):
        reset_states(self.model)

    def on_test_begin(self, logs=None):
        reset_states(self.model)

    def on_epoch_end(self, epoch, logs=None):
        reset_states(self.model)


def callbacks(config: Config):
    return [ResetStates()]


def ngram_bits(train: np.ndarray, val: np.ndarray, test: np.ndarray, vocab_size: int):
    """Bits per token on `test` of an add-one unigram and an interpolated trigram.

    Trigram: P = l3 P3(w | u v) + l2 P2(w | v) + l1 P1(w), maximum-likelihood
    P3 and P2 (zero for unseen contexts) and the add-one unigram P1; the
    weights are chosen on the validation part from a small grid.
    """
    uni = Counter(train.tolist())
    bi = Counter(zip(train[:-1].tolist(), train[1:].tolist()))
    tri = Counter(zip(train[:-2].tolist(), train[1:-1].tolist(), train[2:].tolist()))
    total = len(train)

    def p1(w):
        return (uni[w] + 1) / (total + vocab_size)

    def parts(seq):
        seq = seq.tolist()
        out = []
        for i in range(2, len(seq)):
            u, v, w = seq[i - 2], seq[i - 1], seq[i]
            p3 = tri[(u, v, w)] / bi[(u, v)] if bi[(u, v)] else 0.0
            p2 = bi[(v, w)] / uni[v] if uni[v] else 0.0
            out.append((p3, p2, p1(w)))
        return np.array(out)

    val_parts, test_parts = parts(val), parts(test)
    grid = [(a, b, round(1 - a - b, 2)) for a in np.arange(0, 1.0, 0.1)
            for b in np.arange(0, 1.0, 0.1) if a + b <= 0.95]
    best = min(grid, key=lambda w: -np.mean(np.log2(val_parts @ np.array(w))))
    return {"unigram": float(-np.mean(np.log2(test_parts[:, 2]))),
            "trigram": float(-np.mean(np.log2(test_parts @ np.array(best))))}


def evaluate(model, data: LMData, config: Config, run_dir: Path) -> dict:
    """Bits per character (char) or perplexity (word) of the model and n-gram baselines."""
    reset_states(model)
    nats = float(model.evaluate(data.test, verbose=0, callbacks=[ResetStates()]))
    bits = nats / math.log(2)
    baselines = ngram_bits(data.ids["train"], data.ids["val"], data.targets["test"].transpose(
        1, 0, 2).reshape(-1), len(data.vocabulary))
    unit = "bits_per_char" if config.tokens == "char" else "perplexity"

    def value(b):
        return b if config.tokens == "char" else 2.0**b

    rows = {"model": {unit: value(bits)}, "trigram": {unit: value(baselines["trigram"])},
            "unigram": {unit: value(baselines["unigram"])}}
    sample = Generator(model, config).generate(tf.constant([""]), length=400,
                                               temperature=0.8, top_k=20, seed=config.seed)
    (Path(run_dir) / "sample.txt").write_text(sample.numpy()[0].decode("utf-8") + "\n")
    return {"test": rows, "data": {"corpus": data.name, "tokens": config.tokens,
                                   "vocab_size": len(data.vocabulary),
                                   "test_tokens": int(data.targets["test"].size)}}


def generate(model, config: Config, prompt: str = "", temperature: float = 1.0, top_k: int = 0,
             length: int = 200, seed: int | None = None) -> list[str]:
    """Sampled text after `prompt` (used by `seqsuite generate`)."""
    out = Generator(model, config).generate(tf.constant([prompt]), length=length,
                                            temperature=temperature, top_k=top_k, seed=seed)
    return [out.numpy()[0].decode("utf-8")]


def main(argv: list[str] | None = None) -> int:
    from seqsuite.cli import main as cli_main

    return cli_main(["train", "language_model", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
