"""Word vectors from characters, for words a vocabulary has never seen.

A tagger that knows a word only through its vocabulary id turns every unseen name,
number or rare inflection into `[UNK]`; its spelling still says much (capitals,
"-ing", "-ly", digits). `CharacterCNN` (Ma and Hovy 2016; Chiu and Nichols 2016)
reads each token's characters:

    c_1 .. c_L   the token's first `max_chars` Unicode code points between a begin
                 and an end marker, each code point taken modulo `buckets`
    e_j = E[c_j]                                  (embedding_dim)
    h_j = tanh(W * [e_{j-k} .. e_{j+k}] + b)      a convolution of `width` = 2k + 1
    v   = max_j h_j                               over the token's characters only

The padding token `""` gets zeros. The layer takes the raw string tokens, so a
model that holds it serves raw text.
"""

from __future__ import annotations

import keras
import tensorflow as tf

_PAD, _BEGIN, _END = 0, 1, 2  # ids below the code points


@keras.saving.register_keras_serializable(package="seqsuite")
class CharacterCNN(keras.layers.Layer):
    """Tokens (batch, time) strings -> character features (batch, time, filters).

    Args:
        filters: width of the output, the number of convolution filters (default 50).
        width: characters each filter sees (default 3).
        embedding_dim: width of a character's embedding (default 25).
        max_chars: characters read per token, from its start (default 20).
        buckets: code points are taken modulo this many ids (default 1024: ASCII and
            Latin scripts get ids of their own).
        seed: seed of the initialisers (default None).
    """

    def __init__(self, filters=50, width=3, embedding_dim=25, max_chars=20, buckets=1024,
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("filters", filters), ("width", width),
                            ("embedding_dim", embedding_dim), ("max_chars", max_chars),
                            ("buckets", buckets)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"CharacterCNN: {name} must be a positive integer, got {value}")
        self.filters, self.width, self.embedding_dim = filters, width, embedding_dim
        self.max_chars, self.buckets, self.seed = max_chars, buckets, seed
        self.embedding = keras.layers.Embedding(
            buckets + 3, embedding_dim, dtype=self.dtype_policy,
            embeddings_initializer=keras.initializers.RandomUniform(-0.5, 0.5, seed=seed),
            name="char_embedding")
        self.conv = keras.layers.Conv1D(
            filters, width, padding="same", activation="tanh", dtype=self.dtype_policy,
            kernel_initializer=keras.initializers.GlorotUniform(seed=seed), name="char_conv")

    def build(self, input_shape):
        self.embedding.build((None, self.max_chars + 2))
        self.conv.build((None, self.max_chars + 2, self.embedding_dim))

    def char_ids(self, tokens):
        """(batch, time, max_chars + 2) int32: begin, code point ids, end, then 0s."""
        tokens = tf.convert_to_tensor(tokens, tf.string)
        points = tf.strings.unicode_decode(tokens, "UTF-8", errors="replace")
        points = points[..., : self.max_chars] % self.buckets + 3
        ids = points.to_tensor(_PAD, shape=tf.concat([tf.shape(tokens), [self.max_chars]], 0))
        lengths = tf.minimum(tf.strings.length(tokens, unit="UTF8_CHAR"), self.max_chars)
        # The end marker just after the last character; the begin marker in front.
        end = tf.one_hot(lengths, self.max_chars + 1, on_value=_END, off_value=0, dtype=tf.int32)
        ids = tf.pad(ids, [[0, 0]] * (len(tokens.shape)) + [[0, 1]]) + end
        begin = tf.fill(tf.concat([tf.shape(tokens), [1]], 0), _BEGIN)
        ids = tf.concat([begin, ids], -1)
        return tf.where(tf.expand_dims(tf.equal(tokens, ""), -1), _PAD, ids)

    def call(self, inputs):
        ids = self.char_ids(inputs)  # (batch, time, chars)
        shape = tf.shape(ids)
        flat = tf.reshape(ids, [-1, self.max_chars + 2])
        h = self.conv(self.embedding(flat))  # (batch * time, chars, filters)
        present = tf.expand_dims(tf.not_equal(flat, _PAD), -1)
        pooled = tf.reduce_max(tf.where(present, h, tf.constant(-2.0, h.dtype)), axis=1)
        pooled = tf.where(tf.reduce_any(present, axis=1), pooled, tf.zeros_like(pooled))
        return tf.reshape(pooled, tf.concat([shape[:-1], [self.filters]], 0))

    def compute_output_spec(self, inputs):
        return keras.KerasTensor((*inputs.shape, self.filters), dtype=self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "width": self.width,
                "embedding_dim": self.embedding_dim, "max_chars": self.max_chars,
                "buckets": self.buckets, "seed": self.seed}

