"""Images for the vision suites (text lines, captioning): one pipeline, in a graph.

One function per shape does the job for training files, the inference commands
and the SavedModel, so what the model sees when served is what it saw in
training. Lines (`seqsuite read`):

    bytes (PNG or JPEG, any size, grey/RGB/RGBA)
      -> decode, RGB(A) -> grey (alpha dropped), scaled to [0, 1]
      -> polarity: dark ink on a light page is inverted, so ink is always bright
         (the mean brightness decides: a page is mostly background)
      -> resized to `height` rows keeping the aspect ratio (bilinear), the width
         clipped to [1, max_width] and the line padded with 0 (background) to
         `max_width` columns

Squares (`seqsuite caption`): the same grey, ink-bright image, resized to
`size` x `size` keeping the aspect ratio and padded with background
(`decode_square`, `decode_squares`).

`decode_line(contents, height, max_width) -> (image, width, status)` handles one
file; `decode_lines` a batch. `status` is `OK`, or `NOT_IMAGE` for bytes that
are not PNG or JPEG (their image is blank, width 1). Bytes with a PNG or JPEG
signature but a corrupt body raise TensorFlow's `InvalidArgumentError`: check
files with `check_image` (PIL) first where a one-line error is wanted, and
`find_images` for the image names a listing (labels, captions) gives.

The default data of both suites is `digit_images`: scikit-learn's 1,797 real
8x8 handwritten digits (UCI optdigits, CC BY 4.0), scaled up and split by
image, so no test scene or line holds a digit image seen in training.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf

from seqsuite.shared.errors import DataError

OK, NOT_IMAGE = 0, 1
STATUS = ("ok", "not a PNG or JPEG image")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
MAX_PIXELS = 50_000_000  # larger files are refused by `check_image` (a decompression bomb)


def is_png_or_jpeg(contents) -> tf.Tensor:
    """bool (): whether string `contents` starts with a PNG or JPEG signature."""
    png = tf.equal(tf.strings.substr(contents, 0, len(PNG_MAGIC)), PNG_MAGIC)
    jpeg = tf.equal(tf.strings.substr(contents, 0, len(JPEG_MAGIC)), JPEG_MAGIC)
    return tf.logical_or(png, jpeg)


def bright_ink(image) -> tf.Tensor:
    """float32 (h, w, 1) in [0, 1], ink bright, of a decoded uint8 image (h, w, c)."""
    image = tf.convert_to_tensor(image)
    channels = tf.shape(image)[-1]
    image = tf.cast(image, tf.float32) / 255.0
    # grey and grey+alpha keep channel 0; RGB and RGBA are weighted (ITU-R 601-2 luma).
    rgb = image[..., : tf.minimum(channels, 3)]
    grey = tf.cond(channels >= 3,
                   lambda: tf.image.rgb_to_grayscale(image[..., :3]),
                   lambda: rgb[..., :1])
    return tf.cond(tf.reduce_mean(grey) > 0.5, lambda: 1.0 - grey, lambda: grey)


def grey_line(image, height: int, max_width: int):
    """(line float32 (height, max_width, 1), width int32) of a decoded image (h, w, c)."""
    grey = bright_ink(image)
    h = tf.maximum(tf.shape(grey)[0], 1)
    w = tf.shape(grey)[1]
    width = tf.cast(tf.round(tf.cast(w, tf.float32) * height / tf.cast(h, tf.float32)), tf.int32)
    width = tf.clip_by_value(width, 1, max_width)
    line = tf.image.resize(grey, [height, width], method="bilinear", antialias=True)
    line = tf.pad(line, [[0, 0], [0, max_width - width], [0, 0]])
    return tf.ensure_shape(line, [height, max_width, 1]), width


def decode_line(contents, height: int, max_width: int):
    """(line (height, max_width, 1), width, status) of one encoded image; see the module."""
    contents = tf.convert_to_tensor(contents, tf.string)

    def decoded():
        image = tf.io.decode_image(contents, channels=0, expand_animations=False)
        line, width = grey_line(image, height, max_width)
        return line, width, tf.constant(OK)

    def blank():
        return tf.zeros([height, max_width, 1]), tf.constant(1), tf.constant(NOT_IMAGE)

    return tf.cond(is_png_or_jpeg(contents), decoded, blank)


def decode_lines(contents, height: int, max_width: int):
    """A batch: (lines (batch, height, widest, 1), widths (batch,), status (batch,)).

    The batch is cut to its widest line, so a batch of short lines computes little.
    """
    lines, widths, status = tf.map_fn(
        lambda c: decode_line(c, height, max_width), contents,
        fn_output_signature=(tf.TensorSpec([height, max_width, 1], tf.float32),
                             tf.TensorSpec([], tf.int32), tf.TensorSpec([], tf.int32)))
    widest = tf.maximum(tf.reduce_max(tf.concat([widths, [1]], 0)), 1)
    return lines[:, :, :widest], widths, status


def grey_square(image, size: int) -> tf.Tensor:
    """float32 (size, size, 1), ink bright, of a decoded image (h, w, c): the whole image
    resized keeping its aspect ratio (bilinear, antialiased), centred, padded with 0."""
    square = tf.image.resize_with_pad(bright_ink(image), size, size, method="bilinear",
                                      antialias=True)
    return tf.ensure_shape(tf.clip_by_value(square, 0.0, 1.0), [size, size, 1])


def decode_square(contents, size: int):
    """(image (size, size, 1), status) of one encoded image; see the module."""
    contents = tf.convert_to_tensor(contents, tf.string)

    def decoded():
        image = tf.io.decode_image(contents, channels=0, expand_animations=False)
        return grey_square(image, size), tf.constant(OK)

    def blank():
        return tf.zeros([size, size, 1]), tf.constant(NOT_IMAGE)

    return tf.cond(is_png_or_jpeg(contents), decoded, blank)


def decode_squares(contents, size: int):
    """A batch: (images (batch, size, size, 1), status (batch,))."""
    return tf.map_fn(lambda c: decode_square(c, size), contents,
                     fn_output_signature=(tf.TensorSpec([size, size, 1], tf.float32),
                                          tf.TensorSpec([], tf.int32)))


def status_text(status) -> tf.Tensor:
    """tf.string messages of status codes."""
    return tf.gather(tf.constant(STATUS), status)


def check_image(path: Path, what: str = "image") -> bytes:
    """The bytes of a readable PNG or JPEG file, else a one-line DataError `"{what} {path}: why"`."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if path.is_dir():
        raise DataError(f"{what} {path}: a directory, not an image")
    try:
        contents = path.read_bytes()
    except OSError as err:
        raise DataError(f"{what} {path}: cannot read it ({err.strerror or err})") from err
    if not contents:
        raise DataError(f"{what} {path}: empty; replace it with a PNG or JPEG image")
    if not (contents.startswith(PNG_MAGIC) or contents.startswith(JPEG_MAGIC)):
        raise DataError(f"{what} {path}: not a PNG or JPEG image; convert it to PNG")
    try:
        import io

        with Image.open(io.BytesIO(contents)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise DataError(f"{what} {path}: {image.width}x{image.height} pixels, more "
                                f"than {MAX_PIXELS:,}; scale it down")
            if image.width < 1 or image.height < 1:
                raise DataError(f"{what} {path}: no pixels; replace it")
            image.load()  # a truncated body fails here, not in the graph
    except Image.DecompressionBombError as err:
        raise DataError(f"{what} {path}: too large; scale it down") from err
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise DataError(f"{what} {path}: damaged ({err}); re-save it as PNG") from err
    return contents


def find_images(listing: Path, names: list[str], folder: Path | None = None) -> list[Path]:
    """Paths of the images a listing file names (relative to `folder`, default the
    listing's folder); a one-line DataError for the first that does not exist."""
    folder = Path(listing).parent if folder is None else Path(folder)
    paths = [folder / name for name in names]
    for path in paths:
        if not path.is_file():
            raise DataError(f"{listing}: image {path} not found; fix the path (relative to "
                            f"{folder})")
    return paths


DIGIT_SIZE = 28  # rows and columns of a scaled digit


def digit_images(seed: int, val_fraction: float, test_fraction: float,
                 size: int = DIGIT_SIZE) -> dict[str, dict[int, np.ndarray]]:
    """{split: {digit: float32 (k, size, size)}}: scikit-learn's handwritten digits
    (ink bright, in [0, 1]) scaled up and split by image, per digit, seeded.

    Splits are "train", "val" and "test"; each image lies in exactly one.
    """
    from sklearn.datasets import load_digits

    from seqsuite.shared.data.splits import shuffled

    digits = load_digits()
    images = tf.image.resize(digits.images[..., None] / 16.0, [size, size],
                             method="bilinear").numpy()[..., 0].clip(0, 1).astype("float32")
    rng = np.random.default_rng(seed)
    out = {split: {} for split in ("train", "val", "test")}
    for digit in range(10):
        index = np.flatnonzero(digits.target == digit)
        parts = shuffled(list(index), val_fraction, test_fraction, int(rng.integers(2**31)))
        for split in out:
            out[split][digit] = images[np.asarray(parts[split], dtype=int)]
    return out


def to_png(image: np.ndarray) -> bytes:
    """PNG bytes of a uint8 (h, w) or (h, w, channels) array (for tests and examples)."""
    image = np.asarray(image, "uint8")
    if image.ndim == 2:
        image = image[..., None]
    return tf.io.encode_png(image).numpy()


def serve_image_files(serve, files: list[str], output: str) -> list[str]:
    """One line per file for an image command: `path<TAB>text`, where text is the
    served `output` of the file's bytes; a file that is not a readable image gets
    an empty text and a third field saying why, and the others are still served."""
    contents, problems = [], {}
    for i, name in enumerate(files):
        try:
            contents.append(check_image(Path(name), "file"))
        except DataError as err:
            problems[i] = str(err).removeprefix(f"file {Path(name)}: ")
            contents.append(b"")
    result = serve(tf.constant(contents, tf.string)) if len(problems) < len(files) else None
    return [f"{name}\t\t({problems[i]})" if i in problems
            else f"{name}\t{result[output][i].numpy().decode('utf-8')}"
            for i, name in enumerate(files)]
