"""Image captioner (Show, Attend and Tell: Xu et al. 2015): CNN grid -> attention decoder.

    image (batch, size, size, 1) ink bright
      -> [Conv2D 3x3 ReLU -> MaxPool 2x2] x 3 (f, 2f, 4f filters)   (batch, size/8, size/8, 4f)
      -> grid of cells: Reshape -> Dense(units) ReLU -> GridPositions   memory (batch, cells, units)
      -> mean over the cells -> Dense(units) tanh per decoder state    the decoder's initial state
    caption [start] w1 .. wn (teacher forcing) -> Embedding
      -> AttentionDecoder(AttentionWrapper(cell, BahdanauAttention))   attends over the memory
         (`attention=false`: a plain RNN of the same cell, no memory: the pooled grid is all
         it sees)
      -> Dropout -> Dense(words) logits of w1 .. wn [end]
    (the word embeddings too go through `dropout` in training)

`GridPositions` adds a learned vector per grid cell, so the memory says where
a feature is as well as what it is ("to the left of" needs both). Decoding
(greedy and beam search) runs the trained layers step by step through
`shared.layers.decoding.decode`; the attention weights of the words decoded are then
recomputed in one teacher-forced pass (the decoder is deterministic, so they
are the weights the words were decoded with).

The SavedModel (`serving`) takes PNG or JPEG bytes of any size and colour
(`shared.data.images.decode_squares`) and returns the caption (beam search), the
attention weights of each word over the grid and a status per image.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops, tree

from seqsuite.shared.data.images import OK, decode_squares, status_text
from seqsuite.shared.data.text import detokenize
from seqsuite.shared.errors import ConfigError
from seqsuite.shared.layers.attention import AttentionDecoder, AttentionWrapper, BahdanauAttention
from seqsuite.shared.layers.decoding import decode, tile_for_beam
from seqsuite.shared.layers.encoders import make_cell
from seqsuite.shared.run.suite import Serving
from seqsuite.shared.run.training import compile_model
from seqsuite.suites.captioning.config import Config

POOLINGS = 3  # the grid is image_size / 2**3 cells a side
START_ID, END_ID = 2, 3  # data.vocabulary_of puts padding, [UNK], [start], [end] first


@keras.saving.register_keras_serializable(package="seqsuite")
class GridPositions(keras.layers.Layer):
    """Adds a learned vector to each cell of a grid of features.

    ```
    y[b, n, :] = x[b, n, :] + P[n, :]
    ```

    Args:
        embeddings_initializer: Initializer for `P` (cells, channels).
            Default: `"random_normal"`.

    Call arguments:
        inputs: Tensor `(batch, cells, channels)`; the number of cells is
            fixed when the layer is built.

    Returns:
        A tensor of the same shape.
    """

    def __init__(self, embeddings_initializer="random_normal", **kwargs):
        super().__init__(**kwargs)
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)

    def build(self, input_shape):
        if input_shape[1] is None or input_shape[2] is None:
            raise ValueError("GridPositions needs a fixed number of cells and channels. "
                             f"Received: input_shape={input_shape}")
        self.embeddings = self.add_weight(name="embeddings",
                                          shape=(input_shape[1], input_shape[2]),
                                          initializer=self.embeddings_initializer)

    def call(self, inputs):
        return inputs + ops.cast(self.embeddings, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "embeddings_initializer":
                keras.initializers.serialize(self.embeddings_initializer)}


def grid_side(config: Config) -> int:
    return config.image_size // 2**POOLINGS


def vocabulary_size(config: Config) -> int:
    if not config.words:
        raise ConfigError("the caption vocabulary (words) is filled from the data; train "
                          "through `seqsuite train captioning`")
    return len(config.words)


def _cell(config: Config):
    return make_cell(config.cell, config.units, seed=None if config.seed is None
                     else config.seed + 100)


def build_model(config: Config) -> keras.Model:
    """Compiled captioner: {"image", "caption" ([start] w.. ids)} -> logits (batch, T, words)."""
    words = vocabulary_size(config)
    image = keras.Input((config.image_size, config.image_size, 1), name="image")
    caption = keras.Input((config.max_caption_words + 1,), dtype="int32", name="caption")
    x = image
    for i in range(POOLINGS):
        x = keras.layers.Conv2D(config.conv_filters * 2**i, 3, padding="same",
                                activation="relu", name=f"conv_{i}")(x)
        x = keras.layers.MaxPooling2D(2, name=f"pool_{i}")(x)
    cells = grid_side(config) ** 2
    x = keras.layers.Reshape((cells, config.conv_filters * 2 ** (POOLINGS - 1)), name="grid")(x)
    x = keras.layers.Dense(config.units, activation="relu", name="grid_projection")(x)
    memory = GridPositions(name="grid_positions")(x)  # (batch, cells, units)
    pooled = keras.layers.GlobalAveragePooling1D(name="pooled_grid")(memory)
    cell = _cell(config)
    states = [keras.layers.Dense(size, activation="tanh", name=f"initial_state_{k}")(pooled)
              for k, size in enumerate(tree.flatten(cell.state_size))]
    embedded = keras.layers.Embedding(words, config.embedding_dim, mask_zero=True,
                                      name="word_embedding")(caption)
    # Dropping the previous word's embedding makes the decoder look at the image rather
    # than guess the next word from the words so far (which learns the training combinations).
    embedded = keras.layers.Dropout(config.dropout, seed=config.seed,
                                    name="word_dropout")(embedded)
    if config.attention:
        wrapper = AttentionWrapper(cell, BahdanauAttention(config.units, name="bahdanau"),
                                   attention_layer_size=config.units, name="attention_wrapper")
        outputs = AttentionDecoder(wrapper, name="decoder")(embedded, memory,
                                                            initial_state=states)
    else:
        outputs = keras.layers.RNN(cell, return_sequences=True, name="decoder")(
            embedded, initial_state=states)
    outputs = keras.layers.Dropout(config.dropout, seed=config.seed, name="output_dropout")(
        outputs)
    logits = keras.layers.Dense(words, name="logits")(outputs)
    model = keras.Model({"image": image, "caption": caption}, logits,
                        name=f"captioner_{'attention' if config.attention else 'pooled'}")
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)
    return compile_model(model, config, loss=loss)


class Captioner:
    """Step-by-step decoding with a trained captioner's layers.

    `caption(images, method)` returns `(captions, ids, attention)`: strings
    (batch,), word ids (batch, T) and the attention weights of every decoded
    position over the grid, (batch, T, side, side) (zeros without attention).
    """

    def __init__(self, model: keras.Model, config: Config):
        self.model, self.config = model, config
        get = model.get_layer
        self.encoder = [get(f"{kind}_{i}") for i in range(POOLINGS) for kind in ("conv", "pool")]
        self.encoder += [get("grid"), get("grid_projection"), get("grid_positions")]
        self.pooled = get("pooled_grid")
        self.initial = [layer for layer in model.layers
                        if layer.name.startswith("initial_state_")]
        self.initial.sort(key=lambda layer: layer.name)
        self.embedding, self.decoder, self.logits = (get("word_embedding"), get("decoder"),
                                                     get("logits"))
        self.words = [str(w) for w in config.words]
        self.length = config.max_caption_words + 1
        if config.attention:
            # the trained wrapper, run over whole captions to give back their alignments
            self.aligner = AttentionDecoder(self.decoder.cell, return_alignments=True,
                                            name="aligner")

    def encode(self, images):
        """(memory (batch, cells, units), the decoder's initial cell states)."""
        x = tf.convert_to_tensor(images)
        for layer in self.encoder:
            x = layer(x)
        pooled = self.pooled(x)
        return x, [layer(pooled) for layer in self.initial]

    def ids(self, images, method: str = "greedy", beam_width: int | None = None):
        """`shared.layers.decoding.DecodeResult` of a batch of images (batch, size, size, 1)."""
        memory, states = self.encode(images)
        width = (beam_width or self.config.beam_width) if method == "beam" else 1
        if self.config.attention:
            wrapper = self.decoder.cell
            state = wrapper.get_initial_state(ops.shape(memory)[0], cell_state=states)
            keys = wrapper.attention.compute_keys(memory)
            memory, keys = (tile_for_beam(t, width) if width > 1 else t for t in (memory, keys))

            def step(tokens, state):
                out, new_state = wrapper(self.embedding(tokens), list(state), memory=memory,
                                         keys=keys)
                return self.logits(out), list(new_state)
        else:
            cell = self.decoder.cell
            state = states

            def step(tokens, state):
                out, new_state = cell(self.embedding(tokens), list(state))
                return self.logits(out), list(tree.flatten(new_state))

        start = tf.fill([tf.shape(images)[0]], START_ID)
        return decode(step, state, start, END_ID, self.length, method=method,
                      beam_width=width, length_penalty=self.config.length_penalty,
                      pad_token=0)

    def attention(self, images, ids):
        """Attention weights (batch, T, side, side) of the words `ids` (batch, T)."""
        side = grid_side(self.config)
        batch = tf.shape(ids)[0]
        if not self.config.attention:
            return tf.zeros(tf.stack([batch, tf.shape(ids)[1], side, side]))
        memory, states = self.encode(images)
        inputs = tf.concat([tf.fill([batch, 1], START_ID), ids[:, :-1]], axis=1)
        _, alignments = self.aligner(self.embedding(inputs), memory, initial_state=states)
        # positions after the end token attend nowhere
        live = tf.cumsum(tf.cast(tf.equal(ids, END_ID), tf.int32), axis=1, exclusive=True) == 0
        alignments = alignments * tf.cast(live, alignments.dtype)[..., None]
        return tf.reshape(alignments, tf.stack([batch, tf.shape(ids)[1], side, side]))

    def caption(self, images, method: str = "beam"):
        """(captions tf.string (batch,), ids (batch, T), attention (batch, T, side, side))."""
        images = tf.convert_to_tensor(images, tf.float32)
        ids = self.ids(images, method).ids
        text = detokenize(ids, self.words, "word", END_ID)
        return text, ids, self.attention(images, ids)


def serving(model: keras.Model, config: Config) -> Serving:
    """Serving function: encoded images -> captions and attention.

    `serving_default` (`serve`) takes `image`, a string vector of PNG or JPEG
    file contents (any size, resized keeping the aspect ratio and padded to
    `image_size`; grey, RGB or RGBA; dark ink on a light page or the reverse)
    and returns `caption` (beam search), `words` (the number of words),
    `attention` (batch, max_caption_words + 1, side, side): the weights over
    the image grid with which each word (then the end token) was chosen, and
    `status` ("ok", or "not a PNG or JPEG image", whose caption is "").
    """
    captioner = Captioner(model, config)

    def from_bytes(contents):
        images, status = decode_squares(contents, config.image_size)
        captions, ids, attention = captioner.caption(images, "beam")
        ok = tf.equal(status, OK)
        words = tf.reduce_sum(tf.cast((ids != END_ID) & (ids > 0), tf.int32), axis=1)
        return {"caption": tf.where(ok, captions, tf.constant("")),
                "words": tf.where(ok, words, 0),
                "attention": attention * tf.cast(ok, attention.dtype)[:, None, None, None],
                "status": status_text(status)}

    return Serving(from_bytes, [tf.TensorSpec([None], tf.string, name="image")])
