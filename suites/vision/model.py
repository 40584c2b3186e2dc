"""Text-line recogniser (CRNN, Shi et al. 2016): conv columns -> bidirectional RNN -> CTC.

    image (batch, height, width, 1) ink bright, width (batch,) valid columns
      -> Conv2D 3x3 (f) ReLU -> MaxPool 2x2      (batch, height/2, width/2, f)
      -> Conv2D 3x3 (2f) ReLU -> MaxPool 2x2     (batch, height/4, width/4, 2f)
      -> columns: (batch, width/4, height/4 * 2f) -> Dense(units) ReLU
      -> LengthMask              Keras mask of the columns the line covers
      -> bidirectional recurrent stack (any cell of the library, zoneout optional)
      -> Dense(characters + blank) -> BlankPadding     logits, blank forced at padding

trained with `shared.layers.ctc.CTCLoss` on character ids (-1 padded). Each output
step reads a 4-column strip of the line; the recurrent stack gives it the
context of the whole line, so a digit cut between strips is still read once.
The pooling pads (`same`), so a line `w` columns wide has `ceil(w / 4)` steps
whatever the padded width of its batch, and padding is background (0), as the
border of a line served alone is.

The SavedModel (`serving`) takes PNG or JPEG bytes of any size and colour
(`shared.data.images.decode_lines`: grey, ink made bright, resized to `height` rows)
and returns the text (prefix beam search) and a status per image.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from seqsuite.shared.data.images import OK, decode_lines, status_text
from seqsuite.shared.layers.ctc import BlankPadding, CharVocabulary, CTCLoss, ctc_decode
from seqsuite.shared.layers.encoders import sequence_encoder
from seqsuite.shared.layers.masking import LengthMask
from seqsuite.shared.run.suite import Serving
from seqsuite.shared.run.training import compile_model
from seqsuite.suites.vision.config import Config
from seqsuite.suites.vision.data import STRIDE


def vocabulary(config: Config) -> CharVocabulary:
    return CharVocabulary(config.characters)


def build_model(config: Config) -> keras.Model:
    """Compiled CTC line reader: {"image", "width"} -> logits (batch, steps, classes)."""
    image = keras.Input((config.height, None, 1), name="image")
    width = keras.Input((), dtype="int32", name="width")
    x = image
    for i, filters in enumerate((config.conv_filters, 2 * config.conv_filters)):
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu",
                                name=f"conv_{i}")(x)
        x = keras.layers.MaxPooling2D(2, padding="same", name=f"pool_{i}")(x)
    x = keras.layers.Permute((2, 1, 3), name="columns")(x)  # (batch, steps, rows, filters)
    x = keras.layers.Reshape((-1, (config.height // STRIDE) * 2 * config.conv_filters),
                             name="flatten_rows")(x)
    x = keras.layers.Dense(config.units, activation="relu", name="column_projection")(x)
    x = LengthMask((STRIDE,), name="column_mask")([x, width])
    x = sequence_encoder(x, config, seed=config.seed, return_sequences=True)
    logits = keras.layers.Dense(vocabulary(config).classes, name="ctc_head")(x)
    logits = BlankPadding(name="blank_padding")(logits)
    model = keras.Model({"image": image, "width": width}, logits,
                        name=f"line_ctc_{config.cell}")
    return compile_model(model, config, loss=CTCLoss())


def read_lines(model, config: Config, images, widths, method: str = "greedy"):
    """Texts (tf.string (batch,)) of padded lines; a graph-safe function."""
    logits = model({"image": images, "width": widths}, training=False)
    ids, _ = ctc_decode(logits, method=method, beam_width=config.beam_width)
    return vocabulary(config).to_text(ids)


def serving(model: keras.Model, config: Config) -> Serving:
    """Serving function: encoded images -> texts.

    `serving_default` (`serve`) takes `image`, a string vector of PNG or JPEG
    file contents (any size; grey, RGB or RGBA; dark ink on a light page or the
    reverse), and returns `text` (prefix beam search) and `status` ("ok", or
    "not a PNG or JPEG image", whose text is "").
    """

    def from_bytes(contents):
        lines, widths, status = decode_lines(contents, config.height, config.max_width)
        texts = read_lines(model, config, lines, widths, "beam")
        return {"text": tf.where(tf.equal(status, OK), texts, tf.constant("")),
                "status": status_text(status)}

    return Serving(from_bytes, [tf.TensorSpec([None], tf.string, name="image")])
