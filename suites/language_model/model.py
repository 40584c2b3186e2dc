"""Language model: window text -> vectorise -> embed -> stateful recurrent stack -> logits.

Training is stateful over consecutive windows (see data.py); generation reuses
the trained embedding, cells and output layer step by step through
`shared.layers.decoding.decode`, after running the prompt through the cells.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from seqsuite.shared.data.text import prepare, vectorizer
from seqsuite.shared.errors import ConfigError
from seqsuite.shared.layers.decoding import decode
from seqsuite.shared.layers.encoders import recurrent_encoder
from seqsuite.shared.layers.streaming import Streaming
from seqsuite.shared.run.suite import Serving
from seqsuite.shared.run.training import compile_model
from seqsuite.suites.language_model.config import Config
from seqsuite.suites.language_model.data import NEWLINE


def build_model(config: Config) -> keras.Model:
    """Compiled stateful language model over windows of `seq_length` tokens."""
    if config.vocab_size is None:
        raise ConfigError("vocab_size is filled from the data; train through "
                          "`seqsuite train language_model`")
    text = keras.Input(batch_shape=(config.batch_size,), dtype="string", name="text")
    ids = vectorizer(config.tokens, config.seq_length, name="vectorizer")(text)
    x = keras.layers.Embedding(config.vocab_size, config.embedding_dim, name="embedding")(ids)
    h = recurrent_encoder(x, config, seed=config.seed, return_sequences=True, stateful=True,
                          name="rnn")
    logits = keras.layers.Dense(config.vocab_size, name="logits")(h)  # (batch, time, vocab)
    model = keras.Model(text, logits, name=f"language_model_{config.cell}")
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    return compile_model(model, config, loss=loss)


def reset_states(model: keras.Model) -> None:
    for layer in model.layers:
        if getattr(layer, "stateful", False):
            layer.reset_states()


class Generator:
    """Samples continuations of prompts with a trained model's layers.

    An empty prompt starts after a newline (char mode) or a full stop (word
    mode); prompt tokens never seen in training are read as [UNK]. Padding and
    [UNK] are never sampled.
    """

    def __init__(self, model: keras.Model, config: Config):
        self.config = config
        get = model.get_layer
        self.vocabulary = get("vectorizer").get_vocabulary()
        self.prompt_vectorizer = vectorizer(config.tokens, None, self.vocabulary)
        self.prompt_vectorizer(tf.constant(["x"]))  # build it, so it can be exported
        self.embedding = get("embedding")
        self.cells = [get(f"rnn_{i}").cell for i in range(config.layers)]
        self.logits = get("logits")
        # Fresh, non-stateful wrappers around the trained cells read the prompt.
        self.readers = [keras.layers.RNN(cell, return_sequences=True, return_state=True)
                        for cell in self.cells]
        default = NEWLINE if config.tokens == "char" else "."
        self.start_id = (self.vocabulary.index(default) if default in self.vocabulary else 2)
        self.join = "" if config.tokens == "char" else " "

    def _prepare(self, prompts):
        prompts = tf.convert_to_tensor(prompts)
        if self.config.tokens == "word":
            return prepare(prompts, self.config.lowercase, "word")
        prompts = tf.strings.regex_replace(prompts, "\r\n?|\n", NEWLINE)
        return tf.strings.lower(prompts) if self.config.lowercase else prompts

    def generate(self, prompts, length=200, temperature=1.0, top_k=0, seed=None):
        """Prompt plus `length` sampled tokens, for each string of `prompts` (batch,)."""
        texts = self._prepare(prompts)
        ids = tf.cast(self.prompt_vectorizer(texts), tf.int32)
        ids = tf.concat([ids, tf.zeros([tf.shape(ids)[0], 1], tf.int32)], axis=1)  # >= 1 column
        lengths = tf.reduce_sum(tf.cast(ids > 0, tf.int32), axis=1)
        empty = lengths == 0
        ids = tf.where(empty[:, None] & (tf.range(tf.shape(ids)[1]) == 0)[None, :],
                       self.start_id, ids)
        lengths = tf.maximum(lengths, 1)
        last = tf.gather(ids, lengths - 1, batch_dims=1)
        # State after every prompt token but the last; decoding then feeds the last.
        mask = tf.range(tf.shape(ids)[1])[None, :] < (lengths - 1)[:, None]
        x = self.embedding(ids)
        states = []
        for reader in self.readers:
            x, *state = reader(x, mask=mask)
            states.append(list(state))

        def step(tokens, state):
            x = self.embedding(tokens)
            new = []
            for cell, s in zip(self.cells, state):
                x, s = cell(x, s)
                new.append(list(s) if isinstance(s, (list, tuple)) else [s])
            logits = self.logits(x)
            # never emit padding or [UNK]
            blocked = tf.concat([tf.fill([2], -1e9), tf.zeros([tf.shape(logits)[-1] - 2])], 0)
            return logits + ops.cast(blocked, logits.dtype), new

        result = decode(step, states, last, end_token=0, max_length=length, method="sample",
                        temperature=temperature, top_k=top_k, seed=seed)
        words = tf.gather(tf.constant(self.vocabulary), result.ids)
        continuation = tf.strings.reduce_join(words, axis=1, separator=self.join)
        continuation = tf.strings.regex_replace(continuation, NEWLINE, "\n")
        original = tf.convert_to_tensor(prompts)
        sep = tf.where(tf.strings.length(original) > 0, self.join, "")
        return tf.strings.join([original, tf.broadcast_to(sep, tf.shape(original)),
                                continuation])


def token_model(model: keras.Model, config: Config) -> keras.Model:
    """The trained embedding, cells and output layer as a model from token ids (batch, time)
    to logits (batch, time, vocab), not stateful: what streams (`shared.layers.streaming`)."""
    get = model.get_layer
    ids = keras.Input((None,), dtype="int32", name="ids")
    x = get("embedding")(ids)
    for i in range(config.layers):
        x = keras.layers.RNN(get(f"rnn_{i}").cell, return_sequences=True, name=f"rnn_{i}")(x)
    return keras.Model(ids, get("logits")(x), name="token_model")


def serving(model: keras.Model, config: Config) -> Serving:
    """Generation signature: prompt strings (batch,), length, temperature and seed
    scalars -> prompt plus sampled continuation (batch,).

    Streaming: `initial_state(batch_size)` gives the state before any token, and
    `stream(token, state_...)` reads one token per row (a character, or a word in word
    mode; unknown ones are [UNK]) and returns `probabilities` (batch, vocab) of the next
    token in the vectorizer's vocabulary order, the five likeliest (`next_tokens`,
    `next_probabilities`), and the state after it."""
    generator = Generator(model, config)

    def serve(prompt, length, temperature, seed):
        text = generator.generate(prompt, length=length, temperature=temperature,
                                  top_k=config.generate_top_k, seed=seed)
        return {"text": text}

    signature = [tf.TensorSpec([None], tf.string, name="prompt"),
                 tf.TensorSpec([], tf.int32, name="length"),
                 tf.TensorSpec([], tf.float32, name="temperature"),
                 tf.TensorSpec([], tf.int32, name="seed")]
    vocabulary = generator.vocabulary
    table = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
        tf.constant(vocabulary), tf.range(len(vocabulary), dtype=tf.int32)), default_value=1)

    def token_ids(token):
        if config.tokens == "char":
            token = tf.strings.regex_replace(token, "\r\n?|\n", NEWLINE)
        return table.lookup(tf.strings.lower(token) if config.lowercase else token)[:, None]

    def probabilities(logits, token):
        p = tf.nn.softmax(tf.cast(logits[:, -1], tf.float32))
        top = tf.math.top_k(p, k=min(5, len(vocabulary)))
        return {"probabilities": p, "next_tokens": tf.gather(tf.constant(vocabulary),
                                                             top.indices),
                "next_probabilities": top.values}

    endpoints = Streaming(token_model(model, config)).endpoints(
        [tf.TensorSpec([None], tf.string, name="token")], token_ids, probabilities)
    return Serving(serve, signature, endpoints=endpoints,
                   track=[generator.prompt_vectorizer, table])
