"""Sentiment data: embedded compositional reviews, CSV files, aclImdb-style folders, TFDS.

Every source becomes lists of raw texts and class ids (indices into
`config.labels`) per split. Texts are `prepare_reviews`d (HTML line breaks
removed, then `shared.text.prepare` in word mode) and the vocabulary is built
on the training split. Pipelines yield `(prepared_text, class_id)`; the model
vectorises the text itself, so an exported model takes raw strings.

Empty or blank texts in a data file carry no evidence for any label: they
are skipped, and `skipped_empty` counts them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tensorflow as tf

from seqsuite.shared.errors import DataError
from seqsuite.shared.text import Vocabulary, build_vocabulary, prepare
from seqsuite.suites.sentiment import reviews
from seqsuite.suites.sentiment.config import Config

SPLITS = ("train", "val", "test")
MIN_REVIEWS = 10
SOURCES = "reviews, a CSV file, a directory of pos/ and neg/ folders, or tfds:imdb_reviews"


@dataclass
class SentimentData:
    name: str
    texts: dict[str, list[str]]  # split -> raw texts
    labels: dict[str, np.ndarray]  # split -> class ids, indices into config.labels
    vocabulary: Vocabulary
    constructions: dict[str, list[str]] | None = None  # embedded reviews: split -> construction
    skipped_empty: int = 0  # blank texts left out of a data file
    train: tf.data.Dataset = None
    val: tf.data.Dataset = None
    test: tf.data.Dataset = None
    adapt: dict = field(default_factory=dict)
    learned: dict = field(default_factory=dict)  # the config's learned fields: vocab_size


def prepare_reviews(texts, lowercase: bool = True):
    """Raw review strings -> the prepared strings the vectoriser splits on whitespace.

    IMDB reviews carry HTML line breaks (`<br />`); they become spaces. The
    same function runs in the input pipeline and in the serving signature.
    """
    texts = tf.strings.regex_replace(tf.convert_to_tensor(texts), r"<br\s*/?>", " ")
    return prepare(texts, lowercase, "word")


def class_id(value: str, labels: list[str]) -> int | None:
    """Index of `value` in `labels` (case-insensitive), or the index it spells; else None."""
    value = str(value).strip()
    lowered = [label.lower() for label in labels]
    if value.lower() in lowered:
        return lowered.index(value.lower())
    if value.isdigit() and int(value) < len(labels):
        return int(value)
    return None


def _keep(texts: list[str], ids: list[int]) -> tuple[list[str], list[int], int]:
    """Drop blank texts; return the rest and how many were dropped."""
    kept = [(t, i) for t, i in zip(texts, ids) if t.strip()]
    return [t for t, _ in kept], [i for _, i in kept], len(texts) - len(kept)


def read_csv(path: Path, config: Config) -> tuple[list[str], list[int], int]:
    """(texts, class ids, blank texts skipped) from a CSV with a text and a label column."""
    import pandas as pd

    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise DataError(f"{path} is not UTF-8 text; re-save it as UTF-8 CSV") from err
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else "empty file"
        raise DataError(f"{path} is not a readable CSV ({first}); fix the file") from err
    for key in ("text_column", "label_column"):
        column = getattr(config, key)
        if column not in frame.columns:
            raise DataError(f"{path} has no column '{column}' (columns: "
                            f"{', '.join(map(str, frame.columns))}); pass --set {key}=COLUMN")
    ids = []
    for row, value in enumerate(frame[config.label_column], start=1):
        index = class_id(value, config.labels)
        if index is None:
            raise DataError(
                f"{path} row {row}: unknown label '{value}' in column '{config.label_column}'; "
                f"use one of {', '.join(config.labels)} (or 0-{len(config.labels) - 1}), or name "
                "the classes with --set labels=A,B")
        ids.append(index)
    return _keep(list(frame[config.text_column]), ids)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise DataError(f"{path} is not UTF-8 text; re-save it as UTF-8") from err


def read_class_folders(root: Path, labels: list[str]) -> tuple[list[str], list[int], int]:
    """(texts, class ids, blank texts skipped) from one .txt file per review in `root/LABEL/`."""
    texts, ids = [], []
    for index, label in enumerate(labels):
        folder = root / label
        if not folder.is_dir():
            raise DataError(f"{root} has no '{label}/' folder; put each class's .txt files in a "
                            f"folder named after it ({', '.join(labels)}) or --set labels=...")
        files = sorted(folder.glob("*.txt"))
        if not files:
            raise DataError(f"{folder} has no .txt files; add one review per .txt file")
        texts += [_read_text(f) for f in files]
        ids += [index] * len(files)
    return _keep(texts, ids)


def read_directory(root: Path, config: Config):
    """Splits from a directory in the aclImdb layout (`train/`, `test/`) or a single split.

    Returns ({split: (texts, ids)} with "train" and maybe "test", blank texts skipped).
    """
    if not any(root.iterdir()):
        raise DataError(f"{root} is empty; it needs folders {', '.join(config.labels)} of .txt "
                        "files, or train/ and test/ folders that hold them")
    if (root / "train").is_dir():
        if not (root / "test").is_dir():
            raise DataError(f"{root} has train/ but no test/; add test/ or put the class folders "
                            "directly in it")
        parts = {split: read_class_folders(root / split, config.labels)
                 for split in ("train", "test")}
        return ({split: (texts, ids) for split, (texts, ids, _) in parts.items()},
                sum(skipped for *_, skipped in parts.values()))
    texts, ids, skipped = read_class_folders(root, config.labels)
    return {"train": (texts, ids)}, skipped


def load_tfds(name: str):
    """({"train": (texts, ids), "test": ...}, label names) from a TFDS text-classification set
    with train and test splits, such as imdb_reviews."""
    import tensorflow_datasets as tfds

    out = {}
    try:
        builder = tfds.builder(name)
        text_key, label_key = builder.info.supervised_keys
        names = list(builder.info.features[label_key].names)
        for split in ("train", "test"):
            ds = tfds.load(name, split=split, as_supervised=True)
            pairs = list(tfds.as_numpy(ds))
            out[split] = ([t.decode("utf-8") for t, _ in pairs], [int(y) for _, y in pairs])
    except Exception as err:  # tfds raises many types for a missing, unprepared set
        raise DataError(f"could not load TFDS '{name}' ({type(err).__name__}); prepare it first "
                        "with `tfds build` or use a CSV file or directory") from err
    return out, names


def _cut(texts, ids, fractions: dict[str, float], seed: int):
    """Shuffle once (seeded) and cut into the named parts; the first takes the rest."""
    order = np.random.default_rng(seed).permutation(len(texts))
    out, start = {}, 0
    names = list(fractions)
    sizes = {n: int(round(len(texts) * fractions[n])) for n in names[1:]}
    sizes[names[0]] = len(texts) - sum(sizes.values())
    for n in names:
        part = order[start : start + sizes[n]]
        out[n] = ([texts[i] for i in part], [ids[i] for i in part])
        start += sizes[n]
    return out


def check_own_labels(source: str, names: list[str], labels: list[str]) -> None:
    """A source that names its own classes (the embedded reviews, a TFDS set) takes
    `labels` only if they spell its names, in its order (case aside)."""
    if [label.lower() for label in labels] != [str(n).lower() for n in names]:
        raise DataError(f"the classes of {source} are {', '.join(map(str, names))}; pass --set "
                        f"labels={','.join(map(str, names))} (not {','.join(labels)})")


def load_splits(config: Config):
    """({split: (texts, ids)}, name, constructions or None, blank texts skipped)."""
    if config.data == "reviews":
        check_own_labels("the embedded reviews", list(reviews.LABELS), config.labels)
        splits, constructions = {}, {}
        for split in SPLITS:
            rows = reviews.generate(config.n_train if split == "train" else config.n_eval,
                                    split, config.seed)
            splits[split] = ([r.text for r in rows], [r.label for r in rows])
            constructions[split] = [r.construction for r in rows]
        return splits, "reviews", constructions, 0
    skipped = 0
    if config.data.startswith("tfds:"):
        name = config.data[len("tfds:"):]
        splits, names = load_tfds(name)
        check_own_labels(f"TFDS {name}", names, config.labels)
        for split, (texts, ids) in splits.items():
            texts, ids, dropped = _keep(texts, ids)
            splits[split] = (texts, ids)
            skipped += dropped
    else:
        path = Path(config.data)
        name = path.name
        if path.is_dir():
            splits, skipped = read_directory(path, config)
        elif path.is_file():
            texts, ids, skipped = read_csv(path, config)
            splits = {"train": (texts, ids)}
        else:
            raise DataError(f"data '{config.data}' is neither a file nor a directory; pass {SOURCES}")
    if "train" not in splits:
        raise DataError(f"{name} has no training split; pass {SOURCES}")
    total = sum(len(texts) for texts, _ in splits.values())
    if total < MIN_REVIEWS:
        raise DataError(f"{name} has {total} non-blank reviews; at least {MIN_REVIEWS} are needed "
                        "for three splits")
    # Missing validation and test parts come out of the training part.
    fractions = {"train": 1.0}
    if "val" not in splits:
        fractions["val"] = config.val_fraction
    if "test" not in splits:
        fractions["test"] = config.test_fraction
    if len(fractions) > 1:
        splits.update(_cut(*splits["train"], fractions, config.seed))
    return splits, name, None, skipped


def load_data(config: Config) -> SentimentData:
    splits, name, constructions, skipped = load_splits(config)
    for split in SPLITS:
        if not splits[split][0]:
            raise DataError(f"{name}: the {split} split is empty; provide more reviews")
    prepared = {s: prepare_reviews(splits[s][0], config.lowercase) for s in SPLITS}
    vocabulary = build_vocabulary(prepared["train"], "word", config.max_vocab)
    labels = {s: np.asarray(splits[s][1], dtype="int32") for s in SPLITS}
    datasets = {}
    for split in SPLITS:
        ds = tf.data.Dataset.from_tensor_slices((prepared[split], labels[split]))
        if split == "train":
            ds = ds.shuffle(len(labels[split]), seed=config.seed)
        datasets[split] = ds.batch(config.batch_size).prefetch(tf.data.AUTOTUNE)
    return SentimentData(
        name=name, texts={s: list(splits[s][0]) for s in SPLITS}, labels=labels,
        vocabulary=vocabulary, constructions=constructions, skipped_empty=skipped,
        adapt={"vectorizer": vocabulary},
        learned={"vocab_size": len(vocabulary)},
        **datasets)
