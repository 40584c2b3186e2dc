"""Tagging data: embedded Python-source roles, CoNLL and TSV files, TFDS CoNLL-2003.

A sentence is a list of tokens and a list of as many tags. Sources:

- `python` (default, embedded): identifier roles in the standard library of
  the running interpreter, split by file (`suites/tagging/pysource.py` states
  the tag rules).
- A CoNLL file: one token per line, columns separated by spaces or tabs, the
  token in the first column and its tag in the last, a blank line between
  sentences; `-DOCSTART-` lines are skipped.
- A `.tsv` file: one sentence per line, `tokens<TAB>tags`, each side
  space-separated.
- `tfds:conll2003` (or `tfds:conll2002/es`, `.../nl`): the TFDS CoNLL sets
  with their `train`, `dev` and `test` splits, tags from `label_feature`.

A file is split by sentence (seeded; `val_fraction`, `test_fraction`) unless `val_data` and
`test_data` name files of their own. The tag set (`config.tags`, "O" first)
is, for `python`, `O` and the `B-`/`I-` tags of every type in
`pysource.TYPES`; for TFDS, the dataset's label names; for a file, `O`, `B-`
and `I-` of every entity type in it and any other tag as it is (`NN`, `S-X`);
with separate validation and test files, those of the training file, and a
tag outside them in the other files is a DataError. A finished run keeps its
tag set. Tokens seen at least `min_count` times in training (at most
`max_vocab`, most frequent first; none that spans lines) form the
vocabulary, after padding `""` and `[UNK]`.

Pipelines yield `(tokens, labels)`: a string tensor (batch, time) padded
with `""` and int32 tag indices into `config.tags`, `-1` at padding.
Sentences of similar length share a batch (tf.data bucketing), which keeps
the recurrent loops short.
"""

from __future__ import annotations

import collections
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tensorflow as tf

from seqsuite.shared.data import sources, splits
from seqsuite.shared.data.text import Vocabulary, build_vocabulary
from seqsuite.shared.errors import DataError
from seqsuite.shared.run.pretrained import start_from
from seqsuite.shared.run.suite import SuiteData
from seqsuite.suites.tagging import pysource
from seqsuite.suites.tagging.config import Config

Sentence = tuple[list[str], list[str]]
BUCKETS = [8, 16, 32, 64]  # upper sentence lengths of the batches' length buckets
_PREFIX = re.compile(r"^[BI]-(.+)$")


@dataclass
class TaggingData(SuiteData):
    name: str
    sentences: dict[str, list[Sentence]]  # split -> (tokens, tags)
    tags: list[str]
    vocabulary: Vocabulary
    files: dict[str, list[str]] = field(default_factory=dict)  # python: source files per split


def _read_lines(path: Path) -> list[str]:
    return sources.read_text(path, "tagged data file", "pass --set data=python, a CoNLL or "
                             ".tsv file path, or tfds:conll2003").splitlines()


def read_conll(path: Path) -> list[Sentence]:
    """Sentences of a CoNLL file: token first, tag last, blank lines between sentences."""
    sentences, tokens, tags, columns = [], [], [], None
    for number, line in enumerate(_read_lines(path), start=1):
        fields = line.split()
        if not fields or fields[0] == "-DOCSTART-":
            if tokens:
                sentences.append((tokens, tags))
            tokens, tags = [], []
            continue
        if len(fields) == 1:
            raise DataError(f"{path} line {number} has a token but no tag ('{fields[0]}'); "
                            "write 'token ... tag' on every non-blank line")
        columns = columns or (len(fields), number)
        if len(fields) != columns[0]:
            raise DataError(f"{path} line {number} has {len(fields)} columns but line "
                            f"{columns[1]} has {columns[0]}: tokens and tags no longer pair "
                            "up (a space inside a token?); fix that line")
        tokens.append(fields[0])
        tags.append(fields[-1])
    if tokens:
        sentences.append((tokens, tags))
    return sentences


def read_tsv(path: Path) -> list[Sentence]:
    """Sentences of a file of `tokens<TAB>tags` lines (space-separated on each side)."""
    sentences = []
    for number, line in enumerate(_read_lines(path), start=1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 2:
            raise DataError(f"{path} line {number} is not 'tokens<TAB>tags'; fix that line")
        tokens, tags = parts[0].split(), parts[1].split()
        if not tokens or len(tokens) != len(tags):
            raise DataError(f"{path} line {number} has {len(tokens)} tokens but {len(tags)} "
                            "tags; give exactly one tag per token")
        sentences.append((tokens, tags))
    return sentences


def read_tagged_file(path: Path) -> list[Sentence]:
    path = Path(path)
    sentences = read_tsv(path) if path.suffix.lower() == ".tsv" else read_conll(path)
    if not sentences:
        raise DataError(f"{path} holds no tagged sentences; see the CoNLL format in "
                        "suites/tagging/data.py")
    return sentences


def split_sentences(sentences: list[Sentence], config: Config) -> dict[str, list[Sentence]]:
    """Shuffle once (seeded) and cut into train, validation and test."""
    if len(sentences) < 10:
        raise DataError(f"{len(sentences)} sentences are too few to split into train, "
                        "validation and test; give at least 10, or pass val_data= and "
                        "test_data= files")
    return splits.shuffled(sentences, config.val_fraction, config.test_fraction, config.seed)


def load_tfds(name: str, label_feature: str,
              download: bool = False) -> tuple[dict[str, list[Sentence]], list[str]]:
    """Sentences of a TFDS CoNLL set (train, dev, test) and its label names."""
    import tensorflow_datasets as tfds

    splits, info = sources.load_tfds(name, ["train", "dev", "test"], download, with_info=True)
    try:
        names = info.features[label_feature].feature.names
    except Exception as err:  # tfds raises many types for unknown features
        raise DataError(f"TFDS '{name}' has no tag feature '{label_feature}' "
                        f"({type(err).__name__}); use tfds:conll2003 with label_feature=ner, "
                        "pos or chunks") from err
    out = {}
    for split, tfds_split, ds in zip(("train", "val", "test"), ("train", "dev", "test"), splits):
        sentences = []
        for number, example in enumerate(tfds.as_numpy(ds), start=1):
            tokens = [t.decode("utf-8") for t in example["tokens"]]
            labels = [names[int(i)] for i in example[label_feature]]
            if len(tokens) != len(labels):
                raise DataError(f"TFDS {name} {tfds_split} example {number} has {len(tokens)} "
                                f"tokens but {len(labels)} tags; the dataset is damaged, "
                                "rebuild it with `tfds build`")
            sentences.append((tokens, labels))
        out[split] = sentences
    return out, list(names)


def tag_set(sentences: list[Sentence]) -> list[str]:
    """`O`, then B-/I- of each entity type in `sentences`, then any other tag, sorted."""
    types, others = set(), set()
    for _, tags in sentences:
        for tag in tags:
            match = _PREFIX.match(tag)
            if match:
                types.add(match.group(1))
            elif tag != "O":
                others.add(tag)
    bio = [f"{p}-{t}" for t in sorted(types) for p in "BI"]
    return ["O", *bio, *sorted(others - set(bio))]


def check_tags(sentences: dict[str, list[Sentence]], tags: list[str],
               origins: dict[str, str]) -> None:
    """Every sentence has one tag per token, each in `tags`; `origins` names each split."""
    known = set(tags)
    for split, items in sentences.items():
        for number, (tokens, labels) in enumerate(items, start=1):
            if len(tokens) != len(labels):
                raise DataError(f"{origins[split]} sentence {number} has {len(tokens)} tokens "
                                f"but {len(labels)} tags; give exactly one tag per token")
            unknown = sorted(set(labels) - known)
            if unknown:
                raise DataError(f"{origins[split]} sentence {number} has tag '{unknown[0]}', "
                                f"which the training data never uses (known: {', '.join(tags)})"
                                "; fix the tag or add examples of it to the training data")


def make_dataset(sentences: list[Sentence], tags: list[str], batch_size: int,
                 seed: int | None = None) -> tf.data.Dataset:
    """(tokens, labels) batches padded with "" and -1, bucketed by length; shuffled if seeded."""
    index = {t: i for i, t in enumerate(tags)}
    lengths = [len(tokens) for tokens, _ in sentences]
    words = tf.RaggedTensor.from_row_lengths(
        tf.constant([t for tokens, _ in sentences for t in tokens], tf.string), lengths)
    labels = tf.RaggedTensor.from_row_lengths(
        tf.constant([index[t] for _, ts in sentences for t in ts], tf.int32), lengths)
    # Slices of a ragged tensor are ragged specs of rank 0; an identity map makes them dense.
    ds = tf.data.Dataset.from_tensor_slices((words, labels)).map(lambda w, t: (w, t))
    if seed is not None:
        ds = ds.shuffle(len(sentences), seed=seed)
    ds = ds.bucket_by_sequence_length(
        lambda w, _: tf.shape(w)[0], BUCKETS, [batch_size] * (len(BUCKETS) + 1),
        padding_values=("", -1))
    # Bucketing hides the number of batches from tf.data; Keras wants it for progress bars.
    per_bucket = np.bincount(np.searchsorted(BUCKETS, lengths, side="right"))
    batches = int(sum(-(-n // batch_size) for n in per_bucket))
    return ds.apply(tf.data.experimental.assert_cardinality(batches)).prefetch(tf.data.AUTOTUNE)


def load_sentences(config: Config):
    """{split: sentences}, the data's name, {split: source files}, its tag set, and
    {split: where its sentences come from} for error messages."""
    splits = ("train", "val", "test")
    if config.data == "python":
        sentences, files = pysource.load(config.n_files, config.seed, config.max_length,
                                          config.val_fraction, config.test_fraction)
        found = sum(len(names) for names in files.values())
        if found < config.n_files:
            raise DataError(f"n_files={config.n_files}, but this Python's standard library has "
                            f"{found} usable files; lower --set n_files=")
        tags = ["O", *[f"{p}-{t}" for t in pysource.TYPES for p in "BI"]]
        return sentences, "python-stdlib", files, tags, {s: f"python {s}" for s in splits}
    if config.data.startswith("tfds:"):
        name = config.data[len("tfds:"):]
        sentences, tags = load_tfds(name, config.label_feature, config.download)
        return sentences, name, {}, tags, {s: f"{name} {s}" for s in splits}
    path = Path(config.data)
    sentences = read_tagged_file(path)
    if bool(config.val_data) != bool(config.test_data):
        raise DataError("give both val_data= and test_data=, or neither (then both are split "
                        f"off {path.name})")
    if not config.val_data:
        # One file: its own tag set, so a rare tag that lands outside training is no error.
        return (split_sentences(sentences, config), path.name, {}, tag_set(sentences),
                {s: f"{path} ({s} part)" for s in splits})
    sentences = {"train": sentences, "val": read_tagged_file(Path(config.val_data)),
                 "test": read_tagged_file(Path(config.test_data))}
    origins = {"train": str(path), "val": config.val_data, "test": config.test_data}
    return sentences, path.name, {}, tag_set(sentences["train"]), origins


def load_data(config: Config) -> TaggingData:
    sentences, name, files, tags, origins = load_sentences(config)
    for split, items in sentences.items():
        if not items:
            raise DataError(f"{name}: the {split} split is empty; provide more sentences")
    # A finished run keeps its tag order (config.tags): the model's outputs index it.
    tags = config.tags or tags
    check_tags(sentences, tags, origins)
    fold = str.lower if config.lowercase else str
    counts = collections.Counter(fold(t) for tokens, _ in sentences["train"] for t in tokens)
    vocabulary, pretrained = start_from(
        config, build_vocabulary(counts, config.max_vocab, config.min_count), "the tagger",
        embedding="token_embedding")
    if len(vocabulary) == 2:
        raise DataError(f"{name}: no training token occurs {config.min_count} times; lower "
                        "--set min_count= or give more training data")
    datasets = {split: make_dataset(items, tags, config.batch_size,
                                    config.seed if split == "train" else None)
                for split, items in sentences.items()}
    adapt = {"token_lookup": vocabulary, **pretrained}
    learned = {"tags": list(tags), "vocab_size": len(vocabulary)}
    if config.linear_features:
        from seqsuite.suites.tagging.features import feature_counts

        features = build_vocabulary(feature_counts([t for t, _ in sentences["train"]]),
                                    config.max_features, min_count=2)
        adapt["feature_lookup"] = features
        learned["feature_vocab_size"] = len(features)
    return TaggingData(
        name=name, sentences=sentences, tags=tags, vocabulary=vocabulary, files=files,
        adapt=adapt, learned=learned, **datasets)
