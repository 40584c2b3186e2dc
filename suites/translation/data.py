"""Translation data: embedded date normalisation, TSV parallel corpora, TFDS TED talks.

Sources and targets are `shared.text.prepare`d, targets wrapped in start/end
tokens, and both vectorised with vocabularies built on the training split.
Pipelines yield `((source_text, target_text), target_ids)`: the model
vectorises both texts itself (so an exported model takes raw strings) and
feeds the target shifted right to its decoder (teacher forcing); the labels
are the target ids shifted left.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tensorflow as tf

from seqsuite.shared.errors import DataError
from seqsuite.shared.text import SPECIALS, Vocabulary, build_vocabulary, prepare, vectorizer, wrap
from seqsuite.suites.translation import dates
from seqsuite.suites.translation.config import Config


@dataclass
class TranslationData:
    name: str
    pairs: dict[str, list[tuple[str, str]]]  # split -> (source, target) raw strings
    source_vocabulary: Vocabulary
    target_vocabulary: Vocabulary
    train: tf.data.Dataset = None
    val: tf.data.Dataset = None
    test: tf.data.Dataset = None
    adapt: dict = field(default_factory=dict)
    learned: dict = field(default_factory=dict)


def read_tsv(path: Path) -> list[tuple[str, str]]:
    """(source, target) pairs from lines `source<TAB>target`; blank lines are skipped."""
    if not path.is_file():
        raise DataError(f"parallel corpus '{path}' not found; pass --set data=dates, a TSV "
                        "file path, or tfds:ted_hrlr_translate/pt_to_en")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as err:
        raise DataError(f"{path} is not UTF-8 text; re-save it as UTF-8") from err
    pairs = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise DataError(f"{path} line {number} is not 'source<TAB>target' with both sides "
                            "non-empty; fix that line")
        pairs.append((parts[0].strip(), parts[1].strip()))
    if len(pairs) < 10:
        raise DataError(f"{path} has {len(pairs)} pairs; at least 10 are needed for three splits")
    return pairs


def split_pairs(pairs, seed: int):
    """Shuffle once (seeded) and cut 80/10/10 into train, validation and test."""
    order = np.random.default_rng(seed).permutation(len(pairs))
    a, b = int(0.8 * len(pairs)), int(0.9 * len(pairs))
    return {"train": [pairs[i] for i in order[:a]], "val": [pairs[i] for i in order[a:b]],
            "test": [pairs[i] for i in order[b:]]}


def load_tfds(name: str, limit: int | None = None) -> dict[str, list[tuple[str, str]]]:
    """Pairs from a TFDS translation dataset (e.g. ted_hrlr_translate/pt_to_en)."""
    import tensorflow_datasets as tfds

    out = {}
    for split, tfds_split in (("train", "train"), ("val", "validation"), ("test", "test")):
        try:
            ds = tfds.load(name, split=tfds_split, as_supervised=True)
        except Exception as err:  # tfds raises many types for a missing, undownloaded set
            raise DataError(f"could not load TFDS '{name}' ({type(err).__name__}); prepare it "
                            "first with `tfds build` or use a TSV file") from err
        pairs = [(s.decode("utf-8"), t.decode("utf-8")) for s, t in tfds.as_numpy(ds.take(limit or -1))]
        out[split] = pairs
    return out


def load_pairs(config: Config) -> tuple[dict[str, list[tuple[str, str]]], str]:
    if config.data == "dates":
        return {"train": dates.generate(config.n_train, "train", config.seed),
                "val": dates.generate(config.n_eval, "val", config.seed),
                "test": dates.generate(config.n_eval, "test", config.seed)}, "dates"
    if config.data.startswith("tfds:"):
        name = config.data[len("tfds:"):]
        return load_tfds(name, None), name
    path = Path(config.data)
    return split_pairs(read_tsv(path), config.seed), path.name


def load_data(config: Config) -> TranslationData:
    pairs, name = load_pairs(config)
    for split, items in pairs.items():
        if not items:
            raise DataError(f"{name}: the {split} split is empty; provide more pairs")
    tokens = config.tokens
    sources = {s: prepare([p[0] for p in items], config.lowercase, tokens)
               for s, items in pairs.items()}
    targets = {s: wrap(prepare([p[1] for p in items], config.lowercase, tokens), tokens)
               for s, items in pairs.items()}
    max_vocab = config.max_vocab if tokens == "word" else None
    source_vocab = build_vocabulary(sources["train"], tokens, max_vocab)
    target_vocab = build_vocabulary(targets["train"], tokens, max_vocab)
    for special in SPECIALS[tokens]:
        if special not in target_vocab:
            target_vocab.append(special)
    tgt_vec = vectorizer(tokens, config.max_target_length + 2, target_vocab)
    datasets = {}
    for split in pairs:
        labels = tgt_vec(targets[split])[:, 1:]
        ds = tf.data.Dataset.from_tensor_slices(((sources[split], targets[split]), labels))
        if split == "train":
            ds = ds.shuffle(len(pairs[split]), seed=config.seed)
        datasets[split] = ds.batch(config.batch_size).prefetch(tf.data.AUTOTUNE)
    return TranslationData(
        name=name, pairs=pairs, source_vocabulary=source_vocab, target_vocabulary=target_vocab,
        adapt={"source_vectorizer": source_vocab, "target_vectorizer": target_vocab},
        learned={"source_vocab_size": len(source_vocab),
                        "target_vocab_size": len(target_vocab)},
        **datasets)
