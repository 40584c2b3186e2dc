"""Train, evaluate and export the language-model suite.

    seqsuite train language_model --preset quick --out runs/lm
    seqsuite generate --run runs/lm --prompt "The for statement" --temperature 0.8 --top-k 20 --length 400
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from seqsuite.shared.errors import ConfigError, DataError
from seqsuite.shared.run.files import read_json, write_bytes_atomic, write_text_atomic
from seqsuite.shared.run.suite import Evaluation
from seqsuite.suites.language_model.config import Config
from seqsuite.suites.language_model.data import LMData
from seqsuite.suites.language_model.kneser_ney import KneserNey, codes, fit_kneser_ney, lookup
from seqsuite.suites.language_model.model import Generator, reset_states


class ResetStates(keras.callbacks.Callback):
    """Each epoch, and each evaluation, starts the streams from a zero state."""

    def on_epoch_begin(self, epoch, logs=None):
        reset_states(self.model)

    def on_test_begin(self, logs=None):
        reset_states(self.model)

    def on_epoch_end(self, epoch, logs=None):
        reset_states(self.model)


def callbacks(config: Config) -> list:
    """`Suite.callbacks`: stateful training restarts its streams each epoch."""
    return [ResetStates()]


@dataclass
class NGram:
    """Counts of the training tokens and the interpolation weights of the baselines.

    Bigrams and trigrams are stored as sorted int64 codes (`u * V + v`,
    `(u * V + v) * V + w`) with their counts: only the n-grams seen in training.
    """

    vocab_size: int
    unigram: np.ndarray  # (V,) counts
    bigram_codes: np.ndarray
    bigram_counts: np.ndarray
    trigram_codes: np.ndarray
    trigram_counts: np.ndarray
    weights: np.ndarray  # (3,) trigram, bigram and unigram weights, chosen on validation

    def parts(self, seq: np.ndarray) -> np.ndarray:
        """(len(seq) - 2, 3): P3(w | u v), P2(w | v), P1(w) of each token after the second.

        Maximum-likelihood P3 and P2 (zero for unseen contexts), add-one P1.
        """
        seq = np.asarray(seq, dtype=np.int64)
        V = self.vocab_size
        if seq.size and (seq.min() < 0 or seq.max() >= V):
            raise DataError(f"token ids outside the baseline's vocabulary of {V}; retrain the run")
        u, v, w = seq[:-2], seq[1:-1], seq[2:]
        c_uv = lookup(self.bigram_codes, self.bigram_counts, u * V + v)
        c_uvw = lookup(self.trigram_codes, self.trigram_counts, (u * V + v) * V + w)
        c_v = self.unigram[v]
        c_vw = lookup(self.bigram_codes, self.bigram_counts, v * V + w)
        p3 = np.where(c_uv > 0, c_uvw / np.maximum(c_uv, 1), 0.0)
        p2 = np.where(c_v > 0, c_vw / np.maximum(c_v, 1), 0.0)
        p1 = (self.unigram[w] + 1) / (self.unigram.sum() + V)
        return np.stack([p3, p2, p1], axis=1)

    def bits(self, seq: np.ndarray) -> dict[str, float]:
        """Bits per token of the add-one unigram and the interpolated trigram on `seq`."""
        parts = self.parts(seq)
        return {"unigram": float(-np.mean(np.log2(parts[:, 2]))),
                "trigram": float(-np.mean(np.log2(parts @ self.weights)))}

    def save(self, path: Path) -> None:
        """Plain arrays in one compressed `.npz`, written atomically."""
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **{f.name: np.asarray(getattr(self, f.name))
                                       for f in dataclasses.fields(self)})
        write_bytes_atomic(path, buffer.getvalue())

    @classmethod
    def load(cls, path: Path) -> NGram:
        try:
            with np.load(path, allow_pickle=False) as saved:
                values = {f.name: saved[f.name] for f in dataclasses.fields(cls)}
        except FileNotFoundError as err:
            raise ConfigError(f"{path} not found: the run directory is damaged; train it "
                              "again (seqsuite train language_model ... --overwrite)") from err
        except (ValueError, KeyError, OSError) as err:
            raise ConfigError(f"{path} is unreadable; the run directory is damaged") from err
        values["vocab_size"] = int(values["vocab_size"])
        return cls(**values)


def fit_ngram(train: np.ndarray, val: np.ndarray, vocab_size: int) -> NGram:
    """Count `train`; choose the trigram's interpolation weights on `val` from a small grid.

    Trigram: P = l3 P3(w | u v) + l2 P2(w | v) + l1 P1(w).
    """
    if vocab_size**3 >= 2**63:
        raise DataError(f"a vocabulary of {vocab_size} tokens is too large for the trigram "
                        "baseline; lower --set max_vocab=")
    bigrams = np.unique(codes(train, 2, vocab_size), return_counts=True)
    trigrams = np.unique(codes(train, 3, vocab_size), return_counts=True)
    model = NGram(vocab_size, np.bincount(np.asarray(train, dtype=np.int64),
                                          minlength=vocab_size),
                  *bigrams, *trigrams, weights=np.full(3, 1 / 3))
    val_parts = model.parts(val)
    grid = [(a, b, round(1 - a - b, 2)) for a in np.arange(0, 1.0, 0.1)
            for b in np.arange(0, 1.0, 0.1) if a + b <= 0.95]
    model.weights = np.array(min(grid, key=lambda w: -np.mean(np.log2(val_parts @ np.array(w)))))
    return model


def ngram_bits(train: np.ndarray, val: np.ndarray, test: np.ndarray, vocab_size: int):
    """Bits per token on `test` of an add-one unigram and an interpolated trigram
    counted on `train`, with weights chosen on `val` (see `fit_ngram`)."""
    return fit_ngram(train, val, vocab_size).bits(test)


def id_map(source: list[str], target: list[str]) -> np.ndarray:
    """Token ids of vocabulary `source` as ids of vocabulary `target`: the identity for
    the data a run trained on; for other text (`evaluate --set data=...`), tokens the
    run never saw become [UNK]."""
    if list(source) == list(target):
        return np.arange(len(target), dtype=np.int32)
    index = {t: i for i, t in enumerate(target)}
    return np.array([index.get(t, 1) for t in source], dtype=np.int32)


def measure(bits: float, config: Config) -> dict[str, float]:
    """A row of the test table: bits per character (char) or perplexity (word)."""
    if config.tokens == "char":
        return {"bits_per_char": bits}
    return {"perplexity": 2.0**bits}


KN_ORDER = {"char": 5, "word": 3}  # the Kneser-Ney model's order per token kind


class NGramBaselines:
    """The n-gram baselines (`shared.run.baselines.Baseline`), rows `trigram`, `unigram`
    and `kneser_ney`: the training tokens counted, the trigram's weights and the
    Kneser-Ney discount chosen on validation (`fit_ngram`, `kneser_ney.fit_kneser_ney`;
    order 5 for characters, 3 for words), saved as `counts.npz` and `kneser_ney.npz`
    beside the vocabulary they count (`vocabulary.json`), so text the run never saw is
    mapped to it as the model maps it."""

    name = "ngram"

    def __init__(self, ngram: NGram | None = None, vocabulary: list[str] | None = None,
                 kneser_ney: KneserNey | None = None):
        self.ngram, self.vocabulary, self.kneser_ney = ngram, vocabulary, kneser_ney

    def fit(self, data: LMData, config: Config) -> None:
        self.ngram = fit_ngram(data.ids["train"], data.ids["val"], config.vocab_size)
        order = KN_ORDER[config.tokens]
        if config.vocab_size ** order >= 2**63:
            raise DataError(f"a vocabulary of {config.vocab_size} tokens is too large for the "
                            f"order-{order} Kneser-Ney baseline; lower --set max_vocab=")
        self.kneser_ney = fit_kneser_ney(data.ids["train"], data.ids["val"], config.vocab_size,
                                         order)
        self.vocabulary = list(data.vocabulary)

    def save(self, directory: Path) -> None:
        self.ngram.save(Path(directory) / "counts.npz")
        self.kneser_ney.save(Path(directory) / "kneser_ney.npz", write_bytes_atomic)
        write_text_atomic(Path(directory) / "vocabulary.json",
                          json.dumps(self.vocabulary, ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, directory: Path) -> NGramBaselines:
        damaged = ("the run directory is damaged; train it again "
                   "(seqsuite train language_model ... --overwrite)")
        vocabulary = read_json(Path(directory) / "vocabulary.json", damaged)
        path = Path(directory) / "kneser_ney.npz"
        try:
            kneser_ney = KneserNey.load(path)
        except FileNotFoundError as err:
            raise ConfigError(f"{path} not found: {damaged}") from err
        except (ValueError, KeyError, OSError) as err:
            raise ConfigError(f"{path} is unreadable; {damaged}") from err
        return cls(NGram.load(Path(directory) / "counts.npz"), vocabulary, kneser_ney)

    def score(self, data: LMData, config: Config) -> dict:
        """{"trigram": row, "unigram": row, "kneser_ney": row} on the test targets."""
        if self.ngram.vocab_size != config.vocab_size:
            raise ConfigError(f"the n-gram baselines were counted over {self.ngram.vocab_size} "
                              f"tokens, the run's model reads {config.vocab_size}; the run "
                              "directory is damaged: train it again")
        ids = id_map(data.vocabulary, self.vocabulary)
        test = ids[data.targets["test"].transpose(1, 0, 2).reshape(-1)]
        bits = self.ngram.bits(test)
        return {"trigram": measure(bits["trigram"], config),
                "unigram": measure(bits["unigram"], config),
                "kneser_ney": measure(self.kneser_ney.bits(test), config)}


class Compressor:
    """A strong compressor as a language model (`shared.run.baselines.Baseline`), row
    `xz`: the bits xz (LZMA2, preset 9 extreme; Python's `lzma`) spends on the test text
    once it has read the training text,

        bits = 8 * (|xz(train + test)| - |xz(train)|),

    per test token (bits per character, or perplexity 2^(bits per word)). The texts are
    the tokens as the model reads them (lower-cased if it lower-cases). The training text
    is kept compressed (`train.xz`) so an evaluation needs nothing else."""

    name = "xz"
    file = "train.xz"

    def __init__(self, train: str | None = None):
        self.train = train

    def fit(self, data: LMData, config: Config) -> None:
        self.train = data.texts["train"]

    def save(self, directory: Path) -> None:
        import lzma

        write_bytes_atomic(Path(directory) / self.file, lzma.compress(self.train.encode("utf-8")))

    @classmethod
    def load(cls, directory: Path) -> Compressor:
        import lzma

        path = Path(directory) / cls.file
        try:
            return cls(lzma.decompress(path.read_bytes()).decode("utf-8"))
        except FileNotFoundError as err:
            raise ConfigError(f"{path} not found: the run directory is damaged; train it "
                              "again (seqsuite train language_model ... --overwrite)") from err
        except (lzma.LZMAError, UnicodeDecodeError) as err:
            raise ConfigError(f"{path} is unreadable; the run directory is damaged") from err

    @staticmethod
    def bits(train: str, test: str) -> float:
        """8 * (|xz(train + test)| - |xz(train)|): the test text's conditional cost."""
        import lzma

        def size(text: str) -> int:
            return len(lzma.compress(text.encode("utf-8"), preset=9 | lzma.PRESET_EXTREME))

        return 8.0 * (size(train + test) - size(train))

    def score(self, data: LMData, config: Config) -> dict:
        """{"xz": row} on the test split: bits per token of the compressor."""
        tokens = len(data.ids["test"])
        return {self.name: measure(self.bits(self.train, data.texts["test"]) / max(tokens, 1),
                                   config)}


def baselines(config: Config) -> list:
    """`Suite.baselines`: the n-gram baselines and the xz compressor, beside every model."""
    return [NGramBaselines(), Compressor()]


def evaluate(model, data: LMData, config: Config, where: Evaluation) -> dict:
    """Bits per character (char) or perplexity (word) of the model and of the n-gram
    baselines counted at training; `sample.txt` in `where.out`. Trains nothing."""
    lookup = tf.constant(id_map(data.vocabulary, model.get_layer("vectorizer").get_vocabulary()))
    test = data.test.map(lambda text, ids: (text, tf.gather(lookup, ids)))
    reset_states(model)
    nats = float(model.evaluate(test, verbose=0, callbacks=[ResetStates()]))
    rows = {"model": measure(nats / math.log(2), config)}
    for baseline in where.baselines.values():
        rows.update(baseline.score(data, config))
    sample = Generator(model, config).generate(tf.constant([""]), length=400,
                                               temperature=0.8, top_k=20, seed=config.seed)
    write_text_atomic(where.out / "sample.txt", sample.numpy()[0].decode("utf-8") + "\n")
    return {"test": rows, "data": {"corpus": data.name, "tokens": config.tokens,
                                   "vocab_size": config.vocab_size,
                                   "test_tokens": int(data.targets["test"].size)}}


def search_space(hp) -> dict:
    clip = hp.Choice("clip_norm", [0.0, 1.0, 5.0])
    return {
        "cell": hp.Choice("cell", ["lstm", "gru", "layernorm_lstm"]),
        "units": hp.Choice("units", [128, 256, 512]),
        "layers": hp.Int("layers", 1, 2),
        "embedding_dim": hp.Choice("embedding_dim", [32, 64]),
        "zoneout_h": hp.Choice("zoneout_h", [0.0, 0.05, 0.1]),
        "zoneout_c": hp.Choice("zoneout_c", [0.0, 0.05]),
        "dropout": hp.Choice("dropout", [0.0, 0.2]),
        "optimizer": hp.Choice("optimizer", ["adam", "adamw", "rmsprop"]),
        "learning_rate": hp.Choice("learning_rate", [1e-3, 3e-3]),
        "clip_norm": clip or None,
    }


def generate(run, args) -> list[str]:
    """Sampled text after `--prompt` (`seqsuite generate`)."""
    out = Generator(run.model, run.config).generate(
        tf.constant([args.prompt]), length=args.length, temperature=args.temperature,
        top_k=args.top_k, seed=args.seed)
    return [out.numpy()[0].decode("utf-8")]


def stream(run, args):
    """`seqsuite stream --run RUN [FILE|-]`: read text as it arrives (a file, or standard
    input) and, token by token, print how surprising each token was and what the model
    expects next, with the run's SavedModel (`stream` signature: one token per call, the
    recurrent state carried, so a token costs the same however long the text).

    Prints `row,token,bits,next_1,p_1,next_2,p_2,next_3,p_3`: `bits` is -log2 of the
    probability the model gave this token before reading it (empty for the first, and
    for a token outside the vocabulary, which is read as [UNK]); `next_k`/`p_k` are the
    three likeliest next tokens. A line break is a token in character mode."""
    import csv as csv_module
    import sys

    from seqsuite.shared.run.live import lines, states_of, streaming_export
    from seqsuite.suites.language_model.data import tokenize

    config = run.config
    served = streaming_export(run)
    step = served.signatures["stream"]
    state = served.signatures["initial_state"](batch_size=tf.constant(1))
    index = {t: i for i, t in enumerate(
        run.model.get_layer("vectorizer").get_vocabulary()) if i > 1}  # 0, 1: pad, [UNK]
    yield "row,token,bits,next_1,p_1,next_2,p_2,next_3,p_3"
    row, before = 0, None
    for line in lines(args.source):
        text = line if config.tokens == "char" else line.rstrip("\r\n")
        for token in tokenize(text, config):
            bits = ""
            if before is not None and token in index:
                bits = f"{-math.log2(max(float(before[index[token]]), 1e-30)):.4g}"
            out = step(token=tf.constant([token]), **state)
            state, before = states_of(out), out["probabilities"][0].numpy()
            cells = [row, token, bits]
            for k in range(min(3, out["next_tokens"].shape[1])):
                cells += [out["next_tokens"][0, k].numpy().decode("utf-8"),
                          f"{float(out['next_probabilities'][0, k]):.4g}"]
            buffer = io.StringIO()
            csv_module.writer(buffer, lineterminator="").writerow(cells)
            yield buffer.getvalue()
            row += 1
        sys.stdout.flush()
