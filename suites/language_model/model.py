"""Language model: window text -> vectorise -> embed -> causal encoder -> logits.

With `encoder=rnn` training is stateful over consecutive windows (see data.py), and
generation and streaming carry the cells' state: a token costs the same however long
the text. With a Transformer or hybrid encoder (causal self-attention) each window is
read alone, and generation and streaming keep the last `seq_length` tokens as their
state and read them again for each new one: the cost of a token is that of a window.
Both decode through `shared.layers.decoding.decode`.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from seqsuite.shared.data.text import prepare, vectorizer
from seqsuite.shared.errors import ConfigError
from seqsuite.shared.layers.decoding import decode
from seqsuite.shared.layers.encoders import sequence_encoder
from seqsuite.shared.layers.streaming import Streaming
from seqsuite.shared.run.suite import Serving
from seqsuite.shared.run.training import compile_model
from seqsuite.suites.language_model.config import Config
from seqsuite.suites.language_model.data import NEWLINE


def build_model(config: Config) -> keras.Model:
    """Compiled language model over windows of `seq_length` tokens (stateful across them
    with `encoder=rnn`)."""
    if config.vocab_size is None:
        raise ConfigError("vocab_size is filled from the data; train through "
                          "`seqsuite train language_model`")
    stateful = not windowed(config)
    text = keras.Input(batch_shape=(config.batch_size if stateful else None,), dtype="string",
                       name="text")
    ids = vectorizer(config.tokens, config.seq_length, name="vectorizer")(text)
    x = keras.layers.Embedding(config.vocab_size, config.embedding_dim, name="embedding")(ids)
    h = sequence_encoder(x, config, seed=config.seed, return_sequences=True, causal=True,
                         stateful=stateful, name="rnn" if stateful else "encoder")
    logits = keras.layers.Dense(config.vocab_size, name="logits")(h)  # (batch, time, vocab)
    model = keras.Model(text, logits, name=f"language_model_{config.cell}")
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    return compile_model(model, config, loss=loss)


def windowed(config: Config) -> bool:
    """Whether the model reads each window alone (a Transformer or hybrid encoder)."""
    return config.encoder != "rnn"


def reset_states(model: keras.Model) -> None:
    for layer in model.layers:
        if getattr(layer, "stateful", False):
            layer.reset_states()


class Generator:
    """Samples continuations of prompts with a trained model's layers.

    An empty prompt starts after a newline (char mode) or a full stop (word
    mode); prompt tokens never seen in training are read as [UNK]. Padding and
    [UNK] are never sampled.

    `start(ids, lengths)` gives the state after every prompt token but the last, and
    `step(tokens, state)` the next token's logits (rows, vocab) and the state after
    `tokens`; `decode` drives them. A recurrent model's state is its cells'; a windowed
    model's (`windowed(config)`) is the last `seq_length` token ids, left-aligned, with
    their count: each step runs the window through the model again and reads the logits
    at the newest token (causal attention keeps the zeros after it from mattering).
    """

    def __init__(self, model: keras.Model, config: Config):
        self.config = config
        get = model.get_layer
        self.vocabulary = get("vectorizer").get_vocabulary()
        self.prompt_vectorizer = vectorizer(config.tokens, None, self.vocabulary)
        self.prompt_vectorizer(tf.constant(["x"]))  # build it, so it can be exported
        self.windowed = windowed(config)
        if self.windowed:
            self.context = config.seq_length
            self.core = token_model(model, config)
        else:
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

    def window_state(self, batch_size):
        """A windowed model's state before any token: an empty window."""
        return [tf.zeros([batch_size, self.context], tf.int32),
                tf.zeros([batch_size], tf.int32)]

    def start(self, ids, lengths):
        """The state after the first `lengths - 1` tokens of each row of `ids` (padded)."""
        before = lengths - 1
        if self.windowed:  # the last (context - 1) of them, so the next token still fits
            first = tf.maximum(before - (self.context - 1), 0)
            index = first[:, None] + tf.range(self.context)[None, :]
            inside = index < before[:, None]
            window = tf.gather(ids, tf.minimum(index, tf.shape(ids)[1] - 1), batch_dims=1)
            return [tf.where(inside, window, 0), before - first]
        mask = tf.range(tf.shape(ids)[1])[None, :] < before[:, None]
        x = self.embedding(ids)
        states = []
        for reader in self.readers:
            x, *state = reader(x, mask=mask)
            states.append(list(state))
        return states

    def step(self, tokens, state):
        """(logits (rows, vocab) of the token after `tokens`, never padding or [UNK], and
        the state after them)."""
        logits, new = self.read(tokens, state)
        blocked = tf.concat([tf.fill([2], -1e9), tf.zeros([tf.shape(logits)[-1] - 2])], 0)
        return logits + ops.cast(blocked, logits.dtype), new

    def read(self, tokens, state):
        """(logits (rows, vocab) of the token after `tokens`, the state after them)."""
        if self.windowed:
            window, count = state
            full = count >= self.context
            shifted = tf.concat([window[:, 1:], tokens[:, None]], 1)
            placed = tf.where(tf.range(self.context)[None, :] == count[:, None],
                              tokens[:, None], window)
            window = tf.where(full[:, None], shifted, placed)
            count = tf.minimum(count + 1, self.context)
            logits = tf.gather(self.core(window), count - 1, batch_dims=1)
            new = [window, count]
        else:
            x = self.embedding(tokens)
            new = []
            for cell, s in zip(self.cells, state):
                x, s = cell(x, s)
                new.append(list(s) if isinstance(s, (list, tuple)) else [s])
            logits = self.logits(x)
        return logits, new

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
        result = decode(self.step, self.start(ids, lengths), last, end_token=0,
                        max_length=length, method="sample", temperature=temperature,
                        top_k=top_k, seed=seed)
        words = tf.gather(tf.constant(self.vocabulary), result.ids)
        continuation = tf.strings.reduce_join(words, axis=1, separator=self.join)
        continuation = tf.strings.regex_replace(continuation, NEWLINE, "\n")
        original = tf.convert_to_tensor(prompts)
        sep = tf.where(tf.strings.length(original) > 0, self.join, "")
        return tf.strings.join([original, tf.broadcast_to(sep, tf.shape(original)),
                                continuation])


def token_model(model: keras.Model, config: Config) -> keras.Model:
    """The trained layers as a model from token ids (batch, time) to logits (batch, time,
    vocab): for a recurrent model, the embedding, cells and output layer, not stateful,
    which is what streams (`shared.layers.streaming`); for a windowed one, the model's
    graph from the embedding on."""
    get = model.get_layer
    if windowed(config):
        return keras.Model(get("embedding").input, get("logits").output, name="token_model")
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

    token = tf.TensorSpec([None], tf.string, name="token")
    if windowed(config):
        endpoints = _window_endpoints(generator, token, token_ids, probabilities)
    else:
        endpoints = Streaming(token_model(model, config)).endpoints([token], token_ids,
                                                                    probabilities)
    return Serving(serve, signature, endpoints=endpoints,
                   track=[generator.prompt_vectorizer, table])


def _window_endpoints(generator: Generator, token, token_ids, finish) -> dict:
    """`initial_state` and `stream` of a windowed model: the state is the last
    `seq_length` token ids (`state_window`, left-aligned) and their count (`state_count`);
    each token runs the window again (`Generator.read`)."""
    specs = [token, tf.TensorSpec([None, generator.context], tf.int32, name="state_window"),
             tf.TensorSpec([None], tf.int32, name="state_count")]

    def initial_state(batch_size):
        window, count = generator.window_state(batch_size)
        return {"state_window": window, "state_count": count}

    def stream(token, state_window, state_count):
        logits, (window, count) = generator.read(token_ids(token)[:, 0],
                                                 [state_window, state_count])
        return {**finish(logits[:, None], token), "state_window": window,
                "state_count": count}

    return {"initial_state": (initial_state, [tf.TensorSpec([], tf.int32, name="batch_size")]),
            "stream": (stream, specs)}
