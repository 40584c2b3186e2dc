"""Sentiment classifier: a recurrent encoder read out by attention pooling.

    prepared text -> vectorise -> embed -> [word dropout] -> bidirectional recurrent encoder
                  -> AttentionPooling -> network logits --------------------+
                  -> word n-grams (multi-hot, the whole text) -> linear logits -> LogitFusion

A text longer than `chunk_length` tokens is read in chunks (up to `max_length` tokens in
all, the learned `chunks`): the encoder and attention pooling run on each chunk, then
a second attention pools the chunks that hold words (Yang et al. 2016, with chunks in
place of sentences). The linear path reads the whole text.

The linear path (`ngrams.py`, NB-weighted logistic regression on n-grams) is fitted
before the network, in closed form; the network then trains alone (the fusion
weights start at (0, 1), so the loss is the network's), and `calibrate` chooses the
fusion weights on the validation split: softmax(w_l * linear + w_n * network).
`--set linear_ngrams=0` leaves the network alone.

The vectoriser lives inside the model, so `.keras` files and SavedModels take
strings; the serving signature also applies `prepare_reviews`, so it takes raw
text. The pooling weights say which words a prediction rests on; the
`attention_model` exposes them beside the probabilities.

A text with no tokens (empty or blank) gets the uniform distribution over the
classes: there is no evidence, and the pooled vector of a fully masked
sequence is zeros, which would otherwise return the classifier's bias.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from seqsuite.shared.data.text import vectorizer
from seqsuite.shared.errors import ConfigError
from seqsuite.shared.layers.attention import AttentionPooling
from seqsuite.shared.layers.encoders import sequence_encoder
from seqsuite.shared.layers.fusion import LogitFusion, fit_fusion_weights
from seqsuite.shared.run.suite import Serving
from seqsuite.shared.run.training import compile_model
from seqsuite.suites.sentiment.config import Config
from seqsuite.suites.sentiment.data import prepare_reviews


def chunking(config: Config) -> tuple[int, int]:
    """(tokens per chunk, chunks) the network reads: one chunk of `max_length` tokens,
    or for longer texts (`max_length > chunk_length`) `chunks` of `chunk_length`."""
    if config.max_length <= config.chunk_length:
        return config.max_length, 1
    return config.chunk_length, config.chunks or 1


def build_model(config: Config) -> keras.Model:
    """Compiled classifier: prepared texts (batch,) -> class probabilities (batch, classes)."""
    if config.vocab_size is None:
        raise ConfigError("vocab_size is filled from the data; train through "
                          "`seqsuite train sentiment`")
    text = keras.Input((), dtype="string", name="text")
    length, chunks = chunking(config)
    ids = vectorizer("word", length * chunks, name="vectorizer")(text)  # (batch, time)
    if chunks > 1:  # every chunk a sequence of its own: (batch * chunks, length)
        x = ops.reshape(ids, (-1, length))
    else:
        x = ids
    x = keras.layers.Embedding(config.vocab_size, config.embedding_dim, mask_zero=True,
                               name="embedding")(x)  # (sequences, length, embedding_dim)
    if config.word_dropout:
        # Whole words dropped (one draw per position, shared by the embedding's
        # dimensions), so on a small corpus no single telling word carries a review.
        x = keras.layers.Dropout(config.word_dropout, noise_shape=(None, length, 1),
                                 seed=config.seed, name="word_dropout")(x)
    x = sequence_encoder(x, config, seed=config.seed,
                          return_sequences=True)  # (sequences, length, 2 * units)
    pooled, _ = AttentionPooling(config.attention_units, name="attention")(x)
    if chunks > 1:  # then attention over the chunks that hold words
        pooled = ops.reshape(pooled, (-1, chunks, pooled.shape[-1]))
        filled = ops.any(ops.greater(ops.reshape(ids, (-1, chunks, length)), 0), axis=-1)
        pooled, _ = AttentionPooling(config.attention_units, name="chunk_attention")(
            pooled, mask=filled)
    logits = keras.layers.Dense(len(config.labels), name="classifier")(pooled)
    if config.linear_ngrams:
        # Sized before the data by `max_ngrams` (the runner's adapt sets the vocabulary
        # and weights of the fitted path); sparse, so unused ids cost nothing.
        hot = keras.layers.TextVectorization(
            max_tokens=config.max_ngrams + 1, standardize=None, split="whitespace",
            ngrams=config.linear_ngrams, output_mode="multi_hot", pad_to_max_tokens=True,
            sparse=True, name="ngrams")(text)  # (batch, max_ngrams + 1), id 0: unknown
        linear = keras.layers.Dense(len(config.labels), trainable=False,
                                    name="ngram_logits")(hot)
        probabilities = LogitFusion(config.fusion, name="fusion")([linear, logits])
    else:
        probabilities = keras.layers.Softmax(name="probabilities")(logits)
    has_tokens = ops.any(ops.greater(ids, 0), axis=1, keepdims=True)  # (batch, 1)
    probabilities = ops.where(has_tokens, probabilities, 1.0 / len(config.labels))
    model = keras.Model(text, probabilities, name="sentiment_classifier")
    return compile_model(model, config, loss="sparse_categorical_crossentropy",
                         metrics=["accuracy"])


def attention_model(model: keras.Model) -> keras.Model:
    """The same layers returning (probabilities, attention weights (batch, time)): with
    chunks, a word's weight within its chunk times its chunk's weight."""
    _, weights = model.get_layer("attention").output  # (sequences, length)
    names = [layer.name for layer in model.layers]
    if "chunk_attention" in names:
        _, chunk_weights = model.get_layer("chunk_attention").output  # (batch, chunks)
        chunks = chunk_weights.shape[-1]
        weights = ops.reshape(ops.reshape(weights, (-1, chunks, weights.shape[-1]))
                              * ops.expand_dims(chunk_weights, -1), (-1, chunks * weights.shape[-1]))
    return keras.Model(model.inputs, [model.outputs[0], weights])


def path_model(model: keras.Model) -> keras.Model:
    """The same layers returning each path's class probabilities: {"network": ...,
    and with a linear path "ngrams": ...}; prepared texts in."""
    outputs = {"network": keras.layers.Softmax()(model.get_layer("classifier").output)}
    if "ngram_logits" in [layer.name for layer in model.layers]:
        outputs["ngrams"] = keras.layers.Softmax()(model.get_layer("ngram_logits").output)
    return keras.Model(model.inputs, outputs)


def calibrate(model: keras.Model, data, config: Config) -> dict:
    """`Suite.calibrate`: the fusion weights (linear, network) by the validation split's
    log-likelihood (`shared.layers.fusion.fit_fusion_weights`); set in the model and
    returned as the learned `fusion`, with the linear path's settings."""
    if not config.linear_ngrams:
        return {}
    paths = keras.Model(model.inputs, [model.get_layer("ngram_logits").output,
                                       model.get_layer("classifier").output])
    prepared = prepare_reviews(data.texts["val"], config.lowercase)
    linear, network = paths.predict(prepared, batch_size=256, verbose=0)
    weights = fit_fusion_weights([linear, network], data.labels["val"])
    model.get_layer("fusion").set_fusion_weights(weights)
    return {"fusion": [float(w) for w in weights], "ngram_path": data.ngram_path(config).settings()}


def serving(model: keras.Model, config: Config) -> Serving:
    """Serving function: raw texts (batch,) -> class probabilities and the most likely label.

    `label` is "" for a text with no tokens (its probabilities are uniform).
    """
    names = tf.constant(list(config.labels))

    def serve(text):
        prepared = prepare_reviews(text, config.lowercase)
        probabilities = model(prepared, training=False)
        blank = tf.equal(tf.strings.length(prepared), 0)
        label = tf.where(blank, tf.constant(""), tf.gather(names, tf.argmax(probabilities, -1)))
        return {"probabilities": probabilities, "label": label}

    return Serving(serve, [tf.TensorSpec([None], tf.string, name="text")])
