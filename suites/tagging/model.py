"""Sequence tagger: tokens -> embeddings -> bidirectional recurrent encoder -> tag scores.

    tokens (batch, time) strings -> [LowerCase] -> StringLookup -> Embedding --+
                                 -> TokenShape  -> Embedding --+
                                 -> CharacterCNN (spelling) ---+-> concat -> (Bi)RNN stack
        -> Dense(tags) -> softmax head: logits; cross-entropy per token, argmax
                       -> CRF head: chain potentials (shared.layers.crf); sequence NLL, Viterbi

The shape embedding and the characters give unseen tokens (string literals,
numbers, new names) something to go on: quote, digits, capitalisation,
punctuation, affixes (`shared.layers.characters.CharacterCNN`; `char_filters=0`
leaves it out). The linear path (`linear_features=true`) adds a learned weight per
(classic token feature, tag) to the network's tag scores: the feature tagger inside
the model, trained with it, so the network has only to add what the features miss. Both lookups
live in the model, so the `.keras` file and the SavedModel take raw tokens.
Labels are tag indices into `config.tags` with `-1` at padding for both heads.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from seqsuite.shared.errors import ConfigError
from seqsuite.shared.layers.characters import CharacterCNN
from seqsuite.shared.layers.crf import CRF, CRFLoss, crf_decode
from seqsuite.shared.layers.encoders import sequence_encoder
from seqsuite.shared.run.suite import Serving
from seqsuite.shared.run.training import compile_model
from seqsuite.suites.tagging.config import Config
from seqsuite.suites.tagging.features import TokenFeatures

# Token shapes, checked in this order; RE2 syntax (TensorFlow string ops).
SHAPES = (
    ("string", r"(?s)[rRbBuUfFtT]{0,2}['\"].*"),  # a string literal, prefix and all
    ("number", r"\.?[0-9].*"),
    ("upper", r"[\p{Lu}\p{N}_]*\p{Lu}[\p{Lu}\p{N}_]*"),  # EU, MAX_SIZE, X
    ("title", r"\p{Lu}.*"),  # German, MyClass
    ("word", r"[\p{L}_].*"),  # lower-case and other words: call, _x, __init__
    ("punct", r"[^\p{L}\p{N}]+"),  # operators and punctuation
)


@keras.saving.register_keras_serializable(package="seqsuite")
class TokenShape(keras.layers.Layer):
    """Maps tokens to shape ids: 0 padding (""), 1..6 the `SHAPES`, 7 anything else.

    Call arguments:
        inputs: String tensor of any shape.

    Returns:
        int32 tensor of the same shape.
    """

    num_shapes = len(SHAPES) + 2

    def call(self, inputs):
        ids = tf.fill(tf.shape(inputs), len(SHAPES) + 1)
        for i, (_, pattern) in reversed(list(enumerate(SHAPES, start=1))):
            ids = tf.where(tf.strings.regex_full_match(inputs, pattern), i, ids)
        return tf.where(tf.equal(inputs, ""), 0, ids)

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(inputs.shape, dtype="int32")


@keras.saving.register_keras_serializable(package="seqsuite")
class LowerCase(keras.layers.Layer):
    """Lower-cases UTF-8 token strings (Unicode-aware, as Python's `str.lower` for the
    training vocabulary); same shape."""

    def call(self, inputs):
        return tf.strings.lower(inputs, encoding="utf-8")

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(inputs.shape, dtype="string")


@keras.saving.register_keras_serializable(package="seqsuite")
class AddFeatureScores(keras.layers.Layer):
    """Network tag scores (batch, time, tags) plus the linear path's feature weights
    (batch, time, features, tags) summed over the features; the scores' mask passes on."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, scores, weights):
        return scores + ops.sum(weights, axis=2)

    def compute_mask(self, inputs, mask=None):  # Keras passes the first argument's mask
        return mask

    def compute_output_shape(self, scores_shape, weights_shape):
        return scores_shape


def build_model(config: Config) -> keras.Model:
    """Compiled tagger; the token lookup's vocabulary is installed by the runner."""
    if config.tags is None or config.vocab_size is None:
        raise ConfigError("tags and vocab_size are filled from the data; train through "
                          "`seqsuite train tagging`")
    tokens = keras.Input((None,), dtype="string", name="tokens")  # (batch, time), "" pads
    words = LowerCase(name="lowercase")(tokens) if config.lowercase else tokens
    ids = keras.layers.StringLookup(mask_token="", oov_token="[UNK]",
                                    name="token_lookup")(words)
    words = keras.layers.Embedding(config.vocab_size, config.embedding_dim, mask_zero=True,
                                   name="token_embedding")(ids)
    shapes = keras.layers.Embedding(TokenShape.num_shapes, config.shape_dim,
                                    name="shape_embedding")(TokenShape(name="token_shape")(tokens))
    parts = [words, shapes]
    if config.char_filters:
        parts.append(CharacterCNN(config.char_filters, embedding_dim=config.char_dim,
                                  seed=config.seed, name="characters")(tokens))
    x = keras.layers.Concatenate(name="features")(parts)
    if config.dropout:
        x = keras.layers.Dropout(config.dropout, seed=config.seed, name="embedding_dropout")(x)
    h = sequence_encoder(x, config, seed=config.seed, return_sequences=True)
    scores = keras.layers.Dense(len(config.tags), name="tag_scores")(h)  # (batch, time, tags)
    if config.linear_features:
        if config.feature_vocab_size is None:
            raise ConfigError("feature_vocab_size is filled from the data; train through "
                              "`seqsuite train tagging`")
        features = TokenFeatures(name="token_features")(tokens)  # (batch, time, features)
        ids = keras.layers.StringLookup(mask_token="", oov_token="[UNK]",
                                        name="feature_lookup")(features)
        # One weight per (feature, tag), from zero: at first the network alone scores.
        weights = keras.layers.Embedding(config.feature_vocab_size, len(config.tags),
                                         embeddings_initializer="zeros",
                                         name="feature_weights")(ids)
        scores = AddFeatureScores(name="tag_scores_with_features")(scores, weights)
    if config.head == "crf":
        outputs = CRF(name="crf")(scores)  # (batch, time, tags, tags)
        loss = CRFLoss()
    else:
        outputs = scores
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    model = keras.Model(tokens, outputs, name=f"tagger_{config.head}")
    return compile_model(model, config, loss=loss)


def tag_ids(model: keras.Model, config: Config, tokens):
    """Best tag indices (batch, time) for a padded token tensor; -1 at padding."""
    tokens = tf.convert_to_tensor(tokens, tf.string)
    outputs = model(tokens, training=False)
    if config.head == "crf":
        best, _ = crf_decode(outputs)
    else:
        best = tf.argmax(outputs, axis=-1, output_type=tf.int32)
    return tf.where(tf.not_equal(tokens, ""), best, -1)


def split_tokens(texts):
    """Space-separated texts (batch,) -> padded tokens (batch, time >= 1), "" at padding."""
    tokens = tf.strings.split(tf.convert_to_tensor(texts, tf.string)).to_tensor("")
    width = tf.maximum(tf.shape(tokens)[1], 1)  # a batch of empty texts still has one step
    return tf.pad(tokens, [[0, 0], [0, width - tf.shape(tokens)[1]]], constant_values="")


def serving(model: keras.Model, config: Config) -> Serving:
    """Serving function: space-separated token strings (batch,) -> tokens and tags (batch, time)."""
    names = tf.constant(list(config.tags))

    def serve(text):
        tokens = split_tokens(text)
        ids = tag_ids(model, config, tokens)
        tags = tf.where(ids >= 0, tf.gather(names, tf.maximum(ids, 0)), "")
        return {"tokens": tokens, "tags": tags}

    return Serving(serve, [tf.TensorSpec([None], tf.string, name="text")])
