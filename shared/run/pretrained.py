"""Start a suite's encoder from a pretrained language model (ULMFiT, Howard and Ruder
2018): `--set encoder_from=RUN`, RUN a finished word-level `language_model` run.

The network's vocabulary is the language model's words in their id order (so every
word it learned keeps its vector), then the task's own training words that the
language model lacks (`extend_vocabulary`), whose vectors start as the language
model's `[UNK]` vector: at the start the network reads them as the language model
would, and training tells them apart. Its word embedding and its recurrent layers
start from the language model's (`embedding`, `rnn_i`). A layer wider than the language
model's takes its weights in the leading slice and keeps its own initialisation in
the rest: the rows of the first layer's input kernel that read other features (a
tagger's token shape and characters), the rows that read the backward half of a
bidirectional layer below, and the whole backward direction of a bidirectional
layer (a language model reads forwards only). Everything else (attention, classifier,
tag scores) starts fresh.

So the shapes that must agree are the language model's cell, units, layers,
embedding width, zoneout and lower-casing; a mismatch is refused with the `--set`
that fixes it. The fine-tuning recipe of ULMFiT is in the shared training path:
`schedule=slanted_triangular layer_decay=2.6 unfreeze_every=1`.

Checked when a run trains; a finished run holds the weights and needs RUN no more.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seqsuite.shared.data.text import Vocabulary
from seqsuite.shared.errors import ConfigError, DataError
from seqsuite.shared.run.directory import suite_of
from seqsuite.shared.run.files import read_json

SHAPE = ("cell", "units", "layers", "embedding_dim", "zoneout_h", "zoneout_c", "lowercase")
VOCABULARY = Path("baselines") / "ngram" / "vocabulary.json"  # the LM run's words, in id order
DAMAGED = "the language-model run is damaged; train it again"
TRAIN = ("seqsuite train language_model --set tokens=word data=TEXT --out RUN, then "
         "--set encoder_from=RUN")


def check_language_model(config, reader: str) -> tuple[Path, Vocabulary]:
    """(the run directory, its vocabulary) of `config.encoder_from`, after checking that
    it is a finished word-level language model of the network's shape; `reader` names
    the suite in the refusals ("sentiment", "the tagger")."""
    path = Path(config.encoder_from)
    try:
        suite = suite_of(path)
    except ConfigError as err:
        raise DataError(f"encoder_from: {err}") from err
    if suite != "language_model":
        raise DataError(f"encoder_from={path} is a {suite} run, not a language model; "
                        f"pretrain one: {TRAIN}")
    lm = {**read_json(path / "config.json", DAMAGED), **read_json(path / "learned.json", DAMAGED)}
    if lm.get("encoder", "rnn") != "rnn":
        raise DataError(f"encoder_from={path} is a language model with encoder="
                        f"{lm['encoder']}; {reader} starts from a recurrent one: {TRAIN}")
    if lm.get("tokens") != "word":
        raise DataError(f"encoder_from={path} is a character-level language model; {reader} "
                        f"reads words: {TRAIN}")
    differ = {key: lm.get(key) for key in SHAPE if getattr(config, key) != lm.get(key)}
    if differ:
        settings = " ".join(f"{k}={str(v).lower() if isinstance(v, bool) else v}"
                            for k, v in differ.items())
        raise DataError(f"encoder_from={path} has another shape than this network; give it "
                        f"the language model's: --set {settings}")
    words = read_json(path / VOCABULARY, DAMAGED)
    if not isinstance(words, list) or words[:2] != ["", "[UNK]"] or \
            len(words) != lm.get("vocab_size"):
        raise DataError(f"{path / VOCABULARY} does not hold the language model's vocabulary: "
                        "the run is damaged; train it again")
    return path, Vocabulary(words)


def extend_vocabulary(pretrained: Vocabulary, task: Vocabulary, limit: int) -> Vocabulary:
    """`pretrained` as it is (ids unchanged), then the words of `task` (a vocabulary of the
    training data, most frequent first) it lacks, up to `limit` words in all; never fewer
    than `pretrained` (its embedding rows all come along)."""
    known = set(pretrained)
    new = [word for word in task if word not in known]
    return Vocabulary([*pretrained, *new[: max(0, limit - len(pretrained))]])


def copy_leading(target, source_weights) -> None:
    """Assign each array of `source_weights` to the leading slice of the matching weight
    of layer `target` (same rank, no axis longer than the target's); the rest of each
    target weight keeps its value."""
    targets = target.weights
    if len(targets) != len(source_weights) or any(
            len(t.shape) != s.ndim or any(a > b for a, b in zip(s.shape, t.shape))
            for t, s in zip(targets, source_weights)):
        raise DataError(f"the language model's weights {[s.shape for s in source_weights]} do "
                        f"not fit layer '{target.name}' {[tuple(t.shape) for t in targets]}: "
                        "give both the same cell and units")
    for variable, value in zip(targets, source_weights):
        merged = np.array(variable.numpy())
        merged[tuple(slice(0, n) for n in value.shape)] = value
        variable.assign(merged)


def transfer(path: Path, config, embedding: str, encoder: str = "encoder") -> dict:
    """`data.adapt` entries (layer name -> function) that copy the language model's
    embedding into layer `embedding` and its `rnn_i` into the network's `encoder_i`
    (the forward direction of `encoder_bi_i` when `config.bidirectional`), by
    `copy_leading`. The model file is read once, when the first entry is applied."""
    import keras

    loaded = {}

    def source(name: str):
        if "model" not in loaded:
            loaded["model"] = keras.saving.load_model(path / "model.keras", compile=False)
        return loaded["model"].get_layer(name).get_weights()

    def into_embedding(layer):
        (table,) = source("embedding")
        copy_leading(layer, [table])
        rows = layer.embeddings.shape[0]
        if rows > len(table):  # the task's own words start as the LM's [UNK]
            merged = np.array(layer.embeddings.numpy())
            merged[len(table):] = table[1]
            layer.embeddings.assign(merged)

    def into_encoder(i: int):
        def copy(layer):
            forward = getattr(layer, "forward_layer", layer)  # keras.layers.Bidirectional
            copy_leading(forward, source(f"rnn_{i}"))
        return copy

    both = "_bi" if config.bidirectional else ""
    return {embedding: into_embedding, **{f"{encoder}{both}_{i}": into_encoder(i)
                                          for i in range(config.layers)}}


def start_from(config, vocabulary: Vocabulary, reader: str,
               embedding: str) -> tuple[Vocabulary, dict]:
    """What a suite's `load_data` needs for `encoder_from`: (the vocabulary, `data.adapt`
    entries). Training with `config.encoder_from` set: the language model checked
    (`check_language_model`), its vocabulary extended by the task's `vocabulary`
    (`extend_vocabulary`) and its weights copied (`transfer`, into layer `embedding`).
    Otherwise, or for a finished run (its `vocab_size` is known and its weights are in it):
    `vocabulary` as it is and nothing to copy."""
    if not config.encoder_from or config.vocab_size is not None:
        return vocabulary, {}
    path, words = check_language_model(config, reader)
    return (extend_vocabulary(words, vocabulary, config.max_vocab),
            transfer(path, config, embedding=embedding))
