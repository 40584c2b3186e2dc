"""Text-line data: digit strings composed from real handwriting (default), or a labels TSV.

Every source becomes, per split, grey lines of `config.height` rows with ink
bright on a dark background (`shared.data.images`), their widths and their texts.
Pipelines yield `({"image": (batch, height, width, 1), "width": (batch,)}, labels)`,
labels the text's character ids padded with -1.

- `digits`: lines of `min_digits`..`max_digits` digits drawn from the 1,797
  real 8x8 handwritten digits of scikit-learn (UCI optdigits, CC BY 4.0),
  scaled to 28x28, placed with random gaps and vertical jitter. The digit
  *images* are split first (by `val_fraction`/`test_fraction`, stratified by
  digit, seeded), so no test line holds a digit image seen in training.
- A `.tsv` file: `path<TAB>text` per line (paths relative to the file; a header
  `path<TAB>text` is skipped), PNG or JPEG images of any size. Lines are split
  by the fractions, seeded. The characters are those the labels spell.

Lines whose text needs more CTC steps than the model has columns for are left
out of training and validation and counted (`skipped`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from seqsuite.shared.data import sources
from seqsuite.shared.data.images import (
    DIGIT_SIZE,
    check_image,
    decode_line,
    digit_images,
    find_images,
)
from seqsuite.shared.data.splits import split_sizes
from seqsuite.shared.errors import DataError
from seqsuite.shared.layers.ctc import CharVocabulary
from seqsuite.shared.run.suite import SuiteData
from seqsuite.suites.vision.config import DIGITS, Config

SPLITS = ("train", "val", "test")
STRIDE = 4  # columns of the line per output step of the encoder


@dataclass
class Lines:
    images: np.ndarray  # float32 (n, height, widest, 1), ink bright, padded with 0
    widths: np.ndarray  # int32 (n,)
    texts: list[str]

    def __len__(self) -> int:
        return len(self.texts)


@dataclass
class LineData(SuiteData):
    name: str
    splits: dict[str, Lines]
    skipped: dict[str, int]


def steps(widths) -> np.ndarray:
    """Output steps of lines `widths` columns wide (two 2x2 poolings)."""
    return (np.asarray(widths) + STRIDE - 1) // STRIDE


def ctc_fits(text: str, width: int) -> bool:
    """Whether CTC can align `text` to a line `width` wide (a repeat needs a blank between)."""
    repeats = sum(a == b for a, b in zip(text, text[1:]))
    return len(text) + repeats <= int(steps(width))


def compose_lines(pool: dict, count: int, config: Config, rng: np.random.Generator) -> Lines:
    """`count` lines of digits drawn from `pool` ({digit: images}), placed with gaps and jitter."""
    height = config.height
    scale = height / 32
    size = int(round(DIGIT_SIZE * scale))
    widest = int(config.max_digits * (size + config.max_gap * scale) + 8 * scale) + 1
    widest = min(widest, config.max_width)
    images = np.zeros((count, height, widest, 1), "float32")
    widths = np.zeros(count, "int32")
    texts = []
    for i in range(count):
        length = int(rng.integers(config.min_digits, config.max_digits + 1))
        text = "".join(str(d) for d in rng.integers(0, 10, length))
        x = int(rng.integers(0, 5 * scale))
        drawn = ""
        for char in text:
            digit = pool[int(char)][int(rng.integers(len(pool[int(char)])))]
            if size != DIGIT_SIZE:
                digit = tf.image.resize(digit[..., None], [size, size]).numpy()[..., 0]
            y = int(rng.integers(0, height - size + 1))
            if x + size > widest:  # max_width cut the line short: the text says what is drawn
                break
            images[i, y: y + size, x: x + size, 0] = np.maximum(
                images[i, y: y + size, x: x + size, 0], digit)
            drawn += char
            x += size + int(rng.integers(0, config.max_gap * scale + 1))
        widths[i] = min(x + int(rng.integers(0, 5 * scale)), widest)
        texts.append(drawn)
    return Lines(images, np.maximum(widths, 1), texts)


def digit_splits(config: Config) -> dict[str, Lines]:
    pools = digit_images(config.seed, config.val_fraction, config.test_fraction)
    # One generator per split, so the test lines do not change with the training set's size.
    streams = np.random.default_rng(config.seed).spawn(3)
    counts = {"train": config.train_lines, "val": config.val_lines, "test": config.test_lines}
    return {split: compose_lines(pools[split], counts[split], config, rng)
            for split, rng in zip(SPLITS, streams)}


def read_labels(path: Path) -> list[tuple[str, str]]:
    """(image name, text) rows of a `path<TAB>text` file; one-line errors for bad rows."""
    text = sources.read_text(path, "labels file", "pass a path<TAB>text .tsv file")
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 2:
            raise DataError(f"{path} line {number}: expected 'path<TAB>text', got "
                            f"{line[:60]!r}")
        name, label = fields[0].strip(), fields[1].strip()
        if number == 1 and (name.lower(), label.lower()) in (("path", "text"),
                                                              ("image", "text")):
            continue
        if not label:
            raise DataError(f"{path} line {number}: the text of {name} is empty")
        rows.append((name, label))
    if len(rows) < 3:
        raise DataError(f"{path} has {len(rows)} labelled lines; give at least 3 (train, "
                        "validation and test)")
    return rows


def file_splits(config: Config, path: Path) -> dict[str, Lines]:
    rows = read_labels(path)
    images = find_images(path, [name for name, _ in rows])
    rows = [(image, label) for image, (_, label) in zip(images, rows)]
    # every split gets at least one line, so a small folder still trains and measures
    n_train, n_val, _ = split_sizes(len(rows), config.val_fraction, config.test_fraction,
                                    at_least=1)
    order = np.random.default_rng(config.seed).permutation(len(rows))
    cuts = np.split(order, [n_train, n_train + n_val])
    parts = {split: [rows[i] for i in index] for split, index in zip(SPLITS, cuts)}
    out = {}
    for split in SPLITS:
        decoded = [decode_line(check_image(image), config.height, config.max_width)
                   for image, _ in parts[split]]
        widest = max([1, *(int(w) for _, w, _ in decoded)])
        images = np.stack([line.numpy()[:, :widest] for line, _, _ in decoded]) if decoded \
            else np.zeros((0, config.height, 1, 1), "float32")
        out[split] = Lines(images, np.array([int(w) for _, w, _ in decoded], "int32"),
                           [label for _, label in parts[split]])
    return out


def load_splits(config: Config) -> tuple[str, dict[str, Lines]]:
    if config.data == "digits":
        return "digits", digit_splits(config)
    path = Path(config.data)
    if path.suffix.lower() != ".tsv" and not path.is_file():
        raise DataError(f"data={config.data}: use 'digits' or a path<TAB>text .tsv file")
    return str(path), file_splits(config, path)


def keep_alignable(lines: Lines) -> tuple[Lines, int]:
    keep = np.array([ctc_fits(t, w) for t, w in zip(lines.texts, lines.widths)], bool)
    kept = Lines(lines.images[keep], lines.widths[keep],
                 [t for t, k in zip(lines.texts, keep) if k])
    return kept, int((~keep).sum())


def pipeline(lines: Lines, vocabulary: CharVocabulary, config: Config,
             shuffle: bool) -> tf.data.Dataset:
    labels = vocabulary.encode_batch(lines.texts)
    ds = tf.data.Dataset.from_tensor_slices(
        ({"image": lines.images, "width": lines.widths}, labels))
    if shuffle:
        ds = ds.shuffle(len(lines), seed=config.seed, reshuffle_each_iteration=True)
    return ds.batch(config.batch_size).prefetch(tf.data.AUTOTUNE)


def load_data(config: Config) -> LineData:
    name, splits = load_splits(config)
    characters = DIGITS if name == "digits" else "".join(
        sorted({c for lines in splits.values() for t in lines.texts for c in t}))
    vocabulary = CharVocabulary(characters)
    skipped = {"test": 0}
    for split in ("train", "val"):
        splits[split], skipped[split] = keep_alignable(splits[split])
        if not len(splits[split]):
            raise DataError(f"{name}: no {split} line is wide enough for its text (about "
                            f"{STRIDE} columns per character at height {config.height}); "
                            "give wider images or shorter texts")
    datasets = {split: pipeline(lines, vocabulary, config, split == "train")
                for split, lines in splits.items()}
    return LineData(name=name, splits=splits, skipped=skipped, learned={"characters": characters},
                    **datasets)
