"""Sequence-to-sequence translation with an attention decoder (also grapheme to phoneme).

    source text -> vectorise -> embed -> (bidirectional) recurrent encoder -> memory
    target text -> vectorise -> shift right -> embed -> AttentionDecoder(memory) -> logits

The encoder's final states (forward and backward concatenated) start the
decoder, whose cell is twice as wide when the encoder is bidirectional.
`attention="none"` keeps the same decoder without attention, for ablations.

With `encoder=hybrid` the recurrent encoder has one self-attention block above its states
(`rnn_first`) or below it (`attention_first`), and the recurrent decoder attends to the
result. With `encoder=transformer` both sides are Transformer blocks (`attention_blocks`): the
encoder's self-attention over the source, the decoder's causal self-attention over the
target so far and cross-attention to the encoder's output; decoding then runs the decoder
blocks over the whole target prefix at each step (its state is that prefix).
Both vectorisers live inside the model, so `.keras` files and SavedModels
take raw strings. Decoding (greedy, sampling, beam search) reuses the trained
layers step by step through `shared.layers.decoding.decode`.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from seqsuite.shared.data.text import SPECIALS, detokenize, prepare, vectorizer
from seqsuite.shared.errors import ConfigError
from seqsuite.shared.layers.attention import (
    AttentionDecoder,
    AttentionWrapper,
    BahdanauAttention,
    LuongAttention,
)
from seqsuite.shared.layers.decoding import decode, tile_for_beam
from seqsuite.shared.layers.encoders import (
    apply_attention_blocks,
    attention_blocks,
    recurrent_cell,
)
from seqsuite.shared.run.suite import Serving
from seqsuite.shared.run.training import compile_model
from seqsuite.suites.translation.config import Config


def _decoder_units(config: Config) -> int:
    return config.units * (2 if config.bidirectional else 1)


def build_model(config: Config) -> keras.Model:
    """Compiled translator; inputs are prepared source texts and wrapped target texts."""
    if config.source_vocab_size is None or config.target_vocab_size is None:
        raise ConfigError("source_vocab_size and target_vocab_size are filled from the data; "
                          "train through `seqsuite train translation`")
    source_text = keras.Input((), dtype="string", name="source_text")
    target_text = keras.Input((), dtype="string", name="target_text")
    src_ids = vectorizer(config.source_tokens, config.max_source_length, name="source_vectorizer")(
        source_text)
    tgt_ids = vectorizer(config.target_tokens, config.max_target_length + 2,
                         name="target_vectorizer")(target_text)
    decoder_in = tgt_ids[:, :-1]  # (batch, target_time): teacher forcing
    src = keras.layers.Embedding(config.source_vocab_size, config.embedding_dim, mask_zero=True,
                                 name="source_embedding")(src_ids)
    if config.encoder == "transformer":
        memory = attention_blocks(src, config, blocks=config.layers, name="encoder")
        tgt = keras.layers.Embedding(config.target_vocab_size, config.embedding_dim,
                                     mask_zero=True, name="target_embedding")(decoder_in)
        outputs = attention_blocks(tgt, config, blocks=config.layers, memory=memory,
                                   name="decoder")
        return _compiled([source_text, target_text], outputs, config, "translator_transformer")
    first = _hybrid(config, "attention_first")
    if first:  # the recurrence reads attended inputs
        src = attention_blocks(src, config, blocks=1, positions=False, name="encoder_attention")
    rnn = keras.layers.RNN(recurrent_cell(config, seed=config.seed), return_sequences=True,
                           return_state=True, name="encoder_rnn")
    if config.bidirectional:
        rnn = keras.layers.Bidirectional(rnn, name="encoder")
    memory, *states = rnn(src)  # memory: (batch, source_time, decoder_units)
    if _hybrid(config, "rnn_first"):  # self-attention over the recurrent states
        memory = attention_blocks(memory, config, blocks=1, positions=False,
                                  name="encoder_attention")
    states = bridge(states, config)
    tgt = keras.layers.Embedding(config.target_vocab_size, config.embedding_dim, mask_zero=True,
                                 name="target_embedding")(decoder_in)
    cell = recurrent_cell(config, units=_decoder_units(config),
                          seed=None if config.seed is None else config.seed + 100)
    if config.attention == "none":
        outputs = keras.layers.RNN(cell, return_sequences=True, name="decoder")(
            tgt, initial_state=states)
    else:
        mechanism = (LuongAttention(name="luong") if config.attention == "luong"
                     else BahdanauAttention(_decoder_units(config), name="bahdanau"))
        wrapper = AttentionWrapper(cell, mechanism, attention_layer_size=_decoder_units(config),
                                   name="attention_wrapper")
        outputs = AttentionDecoder(wrapper, name="decoder")(tgt, memory, initial_state=states)
    return _compiled([source_text, target_text], outputs, config,
                     f"translator_{config.attention}")


def _compiled(inputs, outputs, config: Config, name: str) -> keras.Model:
    """The logits layer over the decoder's `outputs`, compiled."""
    logits = keras.layers.Dense(config.target_vocab_size, name="logits")(outputs)
    model = keras.Model(inputs, logits, name=name)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)
    return compile_model(model, config, loss=loss)


def _hybrid(config: Config, order: str) -> bool:
    return config.encoder == "hybrid" and config.hybrid_order == order


def bridge(states, config: Config):
    """Encoder final states -> decoder initial states (forward and backward joined)."""
    if not config.bidirectional:
        return list(states)
    half = len(states) // 2
    return [ops.concatenate([f, b], axis=-1) for f, b in zip(states[:half], states[half:])]


class Decoder:
    """Step-by-step decoding with a trained translator's layers.

    Call arguments of `translate`: texts, a string tensor (batch,) of raw
    source sentences. Returns (batch,) decoded strings; `ids` gives the token
    ids and `alignments` the attention weights of greedy decoding.
    """

    def __init__(self, model: keras.Model, config: Config):
        self.model, self.config = model, config
        get = model.get_layer
        self.source_vectorizer = get("source_vectorizer")
        # Python strings: Keras may hand back numpy strings, whose repr the plots would show
        self.vocabulary = [str(t) for t in get("target_vectorizer").get_vocabulary()]
        self.start_id = self.vocabulary.index(SPECIALS[config.target_tokens][0])
        self.end_id = self.vocabulary.index(SPECIALS[config.target_tokens][1])
        self.source_embedding = get("source_embedding")
        self.transformer = config.encoder == "transformer"
        if not self.transformer:
            self.encoder = get("encoder" if config.bidirectional else "encoder_rnn")
            self.decoder = get("decoder")
        self.target_embedding = get("target_embedding")
        self.logits = get("logits")

    def encode(self, texts):
        ids = self.source_vectorizer(prepare(texts, self.config.lowercase,
                                             self.config.source_tokens))
        embedded = self.source_embedding(ids)
        mask = ids > 0
        if self.transformer:
            return apply_attention_blocks(self.model, embedded, name="encoder", mask=mask), \
                mask, None
        if _hybrid(self.config, "attention_first"):
            embedded = apply_attention_blocks(self.model, embedded, name="encoder_attention",
                                              mask=mask)
        memory, *states = self.encoder(embedded, mask=mask)
        if _hybrid(self.config, "rnn_first"):
            memory = apply_attention_blocks(self.model, memory, name="encoder_attention",
                                            mask=mask)
        return memory, mask, bridge(states, self.config)

    def _start(self, texts, width: int):
        """Encoder pass and the decoder's initial state, tiled `width` times. A
        Transformer's state is the target prefix (rows, max_target_length + 1), zeros
        past it, and its length."""
        memory, mask, states = self.encode(texts)
        if self.transformer:
            rows = tf.shape(memory)[0]
            state = [tf.zeros([rows, self.config.max_target_length + 1], tf.int32),
                     tf.zeros([rows], tf.int32)]
            return state, tuple(tile_for_beam(t, width) if width > 1 else t
                                for t in (memory, mask))
        if self.config.attention == "none":
            return states, None
        wrapper = self.decoder.cell
        keys = wrapper.attention.compute_keys(memory)
        state = wrapper.get_initial_state(ops.shape(memory)[0], cell_state=states)
        memory, mask, keys = (tile_for_beam(t, width) if width > 1 else t
                              for t in (memory, mask, keys))
        return state, (memory, mask, keys)

    def _step(self, tokens, state, attend):
        if self.transformer:  # the prefix with `tokens` placed after it, through the blocks
            prefix, count = state
            prefix = tf.where(tf.range(tf.shape(prefix)[1])[None, :] == count[:, None],
                              tokens[:, None], prefix)
            memory, mask = attend
            h = apply_attention_blocks(self.model, self.target_embedding(prefix),
                                       name="decoder", mask=prefix > 0, memory=memory,
                                       memory_mask=mask)
            out = tf.gather(h, count, batch_dims=1)
            return self.logits(out), [prefix, count + 1], None
        x = self.target_embedding(tokens)
        if attend is None:
            out, new_state = self.decoder.cell(x, list(state))
            return self.logits(out), list(new_state), None
        memory, mask, keys = attend
        out, new_state, alignments = self.decoder.cell(
            x, list(state), memory=memory, memory_mask=mask, keys=keys, return_alignments=True)
        return self.logits(out), list(new_state), alignments

    def ids(self, texts, method="greedy", **options):
        """`shared.layers.decoding.DecodeResult` for a batch of raw source strings."""
        if method == "beam":
            options.setdefault("beam_width", self.config.beam_width)
            options.setdefault("length_penalty", self.config.length_penalty)
        width = options.get("beam_width", 1) if method == "beam" else 1
        state, attend = self._start(texts, width)

        def step(tokens, state):
            logits, new_state, _ = self._step(tokens, state, attend)
            return logits, new_state

        start = tf.fill([tf.shape(texts)[0]], self.start_id)
        return decode(step, state, start, self.end_id, self.config.max_target_length + 1,
                      method=method, **options)

    def translate(self, texts, method="beam", **options):
        """Decoded strings (batch,) for raw source strings (batch,).

        Defined behaviour on awkward input: an empty or blank source gives an
        empty translation; a source longer than `max_source_length` tokens is
        cut to its first `max_source_length`; characters or words never seen
        in training become the unknown token and the rest is still translated.
        """
        texts = tf.convert_to_tensor(texts)
        ids = self.ids(texts, method=method, **options).ids
        out = detokenize(ids, self.vocabulary, self.config.target_tokens, self.end_id)
        blank = tf.equal(tf.strings.length(tf.strings.strip(texts)), 0)
        return tf.where(blank, tf.constant(""), out)

    def alignments(self, text: str):
        """(output tokens, source tokens, weights (target, source)) of greedy decoding."""
        texts = tf.constant([text])
        state, attend = self._start(texts, 1)
        tokens, rows, out = tf.constant([self.start_id]), [], []
        for _ in range(self.config.max_target_length + 1):
            logits, state, weights = self._step(tokens, state, attend)
            tokens = tf.argmax(logits, axis=-1, output_type=tf.int32)
            rows.append(weights[0].numpy())
            if int(tokens[0]) == self.end_id:
                break
            out.append(self.vocabulary[int(tokens[0])])
        source_ids = self.source_vectorizer(prepare(texts, self.config.lowercase,
                                                    self.config.source_tokens))[0].numpy()
        source_vocab = [str(t) for t in self.source_vectorizer.get_vocabulary()]
        source = [source_vocab[i] for i in source_ids if i > 0]
        import numpy as np

        return out, source, np.stack(rows)[:, : len(source)]


def serving(model: keras.Model, config: Config) -> Serving:
    """Serving function: raw source strings (batch,) -> beam-search translations (batch,)."""
    decoder = Decoder(model, config)

    def serve(text):
        return {"translation": decoder.translate(text, method="beam")}

    return Serving(serve, [tf.TensorSpec([None], tf.string, name="text")])
