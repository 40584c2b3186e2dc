"""Captioning data: digit scenes (default), a captions TSV (Flickr8k layout), or COCO via TFDS.

Every source becomes, per split, grey square images of `config.image_size`
pixels, ink bright on a dark background (`shared.data.images`, the pipeline the
SavedModel runs too), each with one or more reference captions. Pipelines
yield `({"image": (batch, size, size, 1), "caption": (batch, T)}, targets)`,
one example per (image, caption) pair: `caption` is `[start] w1 .. wn`, the
decoder's input (teacher forcing), and `targets` `w1 .. wn [end]`, both padded
with 0 to `T = max_caption_words + 1`.

- `digits`: scenes composed from the 1,797 real 8x8 handwritten digits of
  scikit-learn (UCI optdigits, CC BY 4.0), scaled up (`shared.data.images.digit_images`,
  split by image: no test scene holds a digit image seen in training). A
  scene is one of
    - two different digits side by side: "a large 3 to the left of a small 7"
      (relation "left of");
    - two different digits one over the other: "a small 2 above a large 9"
      (relation "above");
    - two or three copies of one digit, one per quadrant: "three copies of 4"
      (relation "count");
  with each digit large (44% of the canvas side) or small (25%), a pair's
  digits anywhere in their halves along the relation's axis and on a shared
  line across it (never diagonal), and `clutter` faint random strokes.
  Captions are canonical (the left or upper digit first), so a scene has one
  caption. Held-out combinations (`held_out`): the pairs (a, b) with
  b = a + 3 (mod 10) "to the left of" and b = a + 7 (mod 10) "above" (10 of
  the 90 ordered pairs per relation; each digit is held out once as the first
  and once as the second of each relation), and the counts of two 3s, two 8s,
  three 2s and three 7s (`(digit + n) mod 5 == 0`). Training and validation
  scenes never show a held-out combination; every test scene shows one.
- a captions file (Flickr8k's `Flickr8k.token.txt` layout): `image#k<TAB>caption`
  per line (`#k` optional; a header `image<TAB>caption` is skipped), image
  paths relative to `image_dir` (default: the file's folder), PNG or JPEG of
  any size and colour. Images (with all their captions) are split by the
  fractions, seeded.
- `tfds:coco_captions`: COCO 2014 with Karpathy's splits through
  `shared.data.sources.load_tfds` (offline unless `download=true`), the first
  `tfds_examples` images of train, val and test.

File and TFDS captions are lower-cased and split into words (punctuation
dropped); words seen fewer than `min_word_count` times in training become
`[UNK]`. Captions longer than `max_caption_words` are cut.
"""

from __future__ import annotations

import collections
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from seqsuite.shared.data import sources
from seqsuite.shared.data.images import (
    check_image,
    decode_square,
    digit_images,
    find_images,
    grey_square,
)
from seqsuite.shared.data.splits import split_sizes
from seqsuite.shared.data.text import SPECIALS, build_vocabulary
from seqsuite.shared.errors import DataError
from seqsuite.shared.run.suite import SuiteData
from seqsuite.suites.captioning.config import Config

SPLITS = ("train", "val", "test")
PAIR_RELATIONS = ("left of", "above")
RELATIONS = (*PAIR_RELATIONS, "count")
COUNT_WORDS = {2: "two", 3: "three"}
SIZES = {"large": 0.44, "small": 0.25}  # digit side, as a fraction of the canvas
START, END = SPECIALS["word"]
PAD_ID, UNK_ID, START_ID, END_ID = 0, 1, 2, 3


@dataclass
class Scenes:
    images: np.ndarray  # float32 (n, size, size, 1), ink bright
    captions: list[list[str]]  # reference captions per image (digit scenes: one)
    relations: list[str]  # relation type per image (RELATIONS); "" for file and TFDS data

    def __len__(self) -> int:
        return len(self.captions)


@dataclass
class CaptionData(SuiteData):
    name: str
    splits: dict[str, Scenes]


def held_out(first: int, second: int, relation: str) -> bool:
    """Whether a combination is kept for the test split (see the module docstring).

    Pairs: `(first, second, relation)`; counts: `(digit, n, "count")`.
    """
    if relation == "count":
        return (first + second) % 5 == 0
    return (second - first - 3 - 4 * PAIR_RELATIONS.index(relation)) % 10 == 0


def caption_of(relation: str, digits: list[int], sizes: list[str]) -> str:
    if relation == "count":
        # "copies of 4", not "4s": the digit is the same word as in a pair's caption, so
        # what the decoder learns to see in pairs serves the counts it never saw
        return f"{COUNT_WORDS[len(digits)]} copies of {digits[0]}"
    link = "to the left of" if relation == "left of" else "above"
    return f"a {sizes[0]} {digits[0]} {link} a {sizes[1]} {digits[1]}"


def _paste(canvas, digit, y, x):
    h, w = digit.shape
    canvas[y: y + h, x: x + w] = np.maximum(canvas[y: y + h, x: x + w], digit)


def _scaled(digit, side):
    if digit.shape[0] == side:
        return digit
    return tf.image.resize(digit[..., None], [side, side], antialias=True).numpy()[..., 0]


def compose_scene(pool, relation: str, digits: list[int], sizes: list[str], size: int,
                  clutter: int, rng: np.random.Generator) -> np.ndarray:
    """A float32 (size, size) scene of `digits` drawn from `pool` ({digit: images})."""
    canvas = np.zeros((size, size), "float32")
    for _ in range(clutter):  # faint strokes, drawn first so the digits lie on top
        y, x = rng.integers(0, size, 2)
        dy, dx = rng.normal(size=2)
        length = int(rng.integers(size // 8, size // 3))
        norm = max(abs(dy), abs(dx), 1e-6)
        ys = np.clip((y + np.arange(length) * dy / norm).astype(int), 0, size - 1)
        xs = np.clip((x + np.arange(length) * dx / norm).astype(int), 0, size - 1)
        canvas[ys, xs] = np.maximum(canvas[ys, xs], 0.35)
    half = size // 2
    sides = [max(4, int(round(SIZES[name] * size))) for name in sizes]
    if relation == "count":  # one copy per quadrant, anywhere inside it
        cells = rng.permutation(4)[: len(digits)]
        places = [((c // 2) * half + int(rng.integers(0, half - side + 1)),
                   (c % 2) * half + int(rng.integers(0, half - side + 1)))
                  for c, side in zip(cells, sides)]
    else:
        # along the relation's axis each digit lies anywhere in its half; across it both
        # share a line (centres at most size/16 from it), so a pair is never diagonal and
        # "to the left of" and "above" never describe the same scene
        line = rng.uniform(max(sides) / 2, size - max(sides) / 2)
        places = []
        for k, side in enumerate(sides):
            along = k * half + int(rng.integers(0, half - side + 1))
            across = int(round(line + rng.uniform(-size / 16, size / 16) - side / 2))
            across = min(max(across, 0), size - side)
            places.append((across, along) if relation == "left of" else (along, across))
    for digit, side, (y, x) in zip(digits, sides, places):
        _paste(canvas, _scaled(pool[digit][int(rng.integers(len(pool[digit])))], side), y, x)
    return canvas


def compose_scenes(pool, count: int, config: Config, rng: np.random.Generator,
                   unseen: bool) -> Scenes:
    """`count` scenes; held-out combinations only (`unseen`) or never."""
    images = np.zeros((count, config.image_size, config.image_size, 1), "float32")
    captions, relations = [], []
    for i in range(count):
        while True:  # draw until the combination belongs to this split
            relation = RELATIONS[int(rng.choice(3, p=[0.4, 0.4, 0.2]))]
            if relation == "count":
                n = int(rng.integers(2, 4))
                digits = [int(rng.integers(10))] * n
                key = (digits[0], n)
            else:
                # two different digits: two of the same are a count ("two copies of 4")
                digits = [int(d) for d in rng.choice(10, 2, replace=False)]
                key = tuple(digits)
            if held_out(*key, relation) == unseen:
                break
        sizes = [str(rng.choice(list(SIZES))) for _ in digits]
        images[i, ..., 0] = compose_scene(pool, relation, digits, sizes, config.image_size,
                                          config.clutter, rng)
        captions.append([caption_of(relation, digits, sizes)])
        relations.append(relation)
    return Scenes(images, captions, relations)


def digit_splits(config: Config) -> dict[str, Scenes]:
    side = max(4, int(round(SIZES["large"] * config.image_size)))
    pools = digit_images(config.seed, config.val_fraction, config.test_fraction, size=side)
    # One generator per split, so the test scenes do not change with the training set's size.
    streams = np.random.default_rng(config.seed).spawn(3)
    counts = {"train": config.train_scenes, "val": config.val_scenes,
              "test": config.test_scenes}
    return {split: compose_scenes(pools[split], counts[split], config, rng, split == "test")
            for split, rng in zip(SPLITS, streams)}


def words_of(caption: str) -> list[str]:
    """Lower-cased words of a caption, punctuation dropped ("A dog's ball." -> a dog's ball)."""
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", caption.lower())


def read_captions(path: Path) -> dict[str, list[str]]:
    """{image name: captions} of a Flickr8k-style `image#k<TAB>caption` file, in file order."""
    text = sources.read_text(path, "captions file", "pass an image#k<TAB>caption .tsv file")
    out: dict[str, list[str]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 2:
            raise DataError(f"{path} line {number}: expected 'image#k<TAB>caption', got "
                            f"{line[:60]!r}")
        name, caption = fields[0].strip(), fields[1].strip()
        if number == 1 and (name.lower(), caption.lower()) == ("image", "caption"):
            continue
        name = re.sub(r"#\d+$", "", name)
        if not name or not words_of(caption):
            raise DataError(f"{path} line {number}: "
                            f"{'no image name' if not name else 'the caption has no words'}")
        out.setdefault(name, []).append(" ".join(words_of(caption)))
    if len(out) < 3:
        raise DataError(f"{path} has captions for {len(out)} images; give at least 3 "
                        "(train, validation and test)")
    return out


def file_splits(config: Config, path: Path) -> dict[str, Scenes]:
    captions = read_captions(path)
    names = list(captions)
    images = find_images(path, names, Path(config.image_dir) if config.image_dir else None)
    # every split gets at least one image, so a small folder still trains and measures
    n_train, n_val, _ = split_sizes(len(names), config.val_fraction, config.test_fraction,
                                    at_least=1)
    order = np.random.default_rng(config.seed).permutation(len(names))
    cuts = np.split(order, [n_train, n_train + n_val])
    out = {}
    for split, index in zip(SPLITS, cuts):
        # PIL checks each file first: a damaged or huge one is a one-line error, not a crash
        squares = [decode_square(check_image(images[i]), config.image_size)[0].numpy()
                   for i in index]
        out[split] = Scenes(np.stack(squares), [captions[names[i]] for i in index],
                            [""] * len(index))
    return out


def tfds_splits(config: Config) -> dict[str, Scenes]:
    name = config.data.removeprefix("tfds:")
    datasets = sources.load_tfds(name, list(SPLITS), download=config.download)
    out = {}
    for split, ds in zip(SPLITS, datasets):
        ds = ds.take(config.tfds_examples).map(
            lambda x: (grey_square(x["image"], config.image_size), x["captions"]["text"]))
        images, captions = [], []
        for image, texts in ds.as_numpy_iterator():
            refs = [" ".join(words_of(t.decode("utf-8"))) for t in texts]
            refs = [r for r in refs if r]
            if refs:
                images.append(image)
                captions.append(refs)
        if not captions:
            raise DataError(f"TFDS dataset '{name}' split {split} has no captioned image")
        out[split] = Scenes(np.stack(images), captions, [""] * len(captions))
    return out


def load_splits(config: Config) -> tuple[str, dict[str, Scenes]]:
    if config.data == "digits":
        return "digits", digit_splits(config)
    if config.data.startswith("tfds:"):
        return config.data, tfds_splits(config)
    path = Path(config.data)
    if not path.is_file() and path.suffix.lower() not in (".tsv", ".txt"):
        raise DataError(f"data={config.data}: use 'digits', tfds:coco_captions or an "
                        "image#k<TAB>caption .tsv file")
    return str(path), file_splits(config, path)


def vocabulary_of(scenes: Scenes, min_count: int) -> list[str]:
    """Padding, [UNK], [start], [end] (ids 0-3), then the training words, most frequent first."""
    counts = collections.Counter(w for refs in scenes.captions for c in refs for w in c.split())
    words = build_vocabulary(counts, min_count=min_count)[2:]
    return ["", "[UNK]", START, END, *words]


def encode(captions: list[str], words: list[str], length: int) -> tuple[np.ndarray, np.ndarray]:
    """(decoder inputs, targets), int32 (n, length + 1): `[start] w..` and `w.. [end]`."""
    ids = {w: i for i, w in enumerate(words)}
    inputs = np.zeros((len(captions), length + 1), "int32")
    targets = np.zeros((len(captions), length + 1), "int32")
    for row, caption in enumerate(captions):
        tokens = [ids.get(w, UNK_ID) for w in caption.split()][:length]
        inputs[row, : len(tokens) + 1] = [START_ID, *tokens]
        targets[row, : len(tokens) + 1] = [*tokens, END_ID]
    return inputs, targets


def pipeline(scenes: Scenes, words: list[str], config: Config,
             shuffle: bool) -> tf.data.Dataset:
    index = np.array([i for i, refs in enumerate(scenes.captions) for _ in refs], "int32")
    flat = [c for refs in scenes.captions for c in refs]
    inputs, targets = encode(flat, words, config.max_caption_words)
    images = tf.constant(scenes.images)
    ds = tf.data.Dataset.from_tensor_slices((index, inputs, targets))
    if shuffle:
        ds = ds.shuffle(len(flat), seed=config.seed, reshuffle_each_iteration=True)
    ds = ds.batch(config.batch_size).map(
        lambda i, x, y: ({"image": tf.gather(images, i), "caption": x}, y))
    return ds.prefetch(tf.data.AUTOTUNE)


def load_data(config: Config) -> CaptionData:
    name, splits = load_splits(config)
    words = vocabulary_of(splits["train"], config.min_word_count)
    datasets = {split: pipeline(scenes, words, config, split == "train")
                for split, scenes in splits.items()}
    return CaptionData(name=name, splits=splits, learned={"words": words}, **datasets)
