"""Start the sentiment network from a pretrained language model (ULMFiT, Howard and Ruder
2018): `--set encoder_from=RUN`, RUN a finished word-level `language_model` run.

The network then takes the language model's vocabulary (its vectoriser's words, so
every word it learned keeps its vector), and its embedding and recurrent layers start
from the language model's weights; attention pooling and the classifier start fresh.
The shapes must agree: the language model's cell, units, layers, embedding width,
zoneout and lower-casing, one direction (a language model reads forwards only); a
mismatch is refused with the `--set` that fixes it. The ULMFiT fine-tuning recipe in
the shared training path: `schedule=slanted_triangular layer_decay=2.6 unfreeze_every=1`.

Checked when a run trains; a finished run holds the weights and needs RUN no more.
"""

from __future__ import annotations

from pathlib import Path

from seqsuite.shared.data.text import Vocabulary
from seqsuite.shared.errors import ConfigError, DataError
from seqsuite.shared.run.directory import suite_of
from seqsuite.shared.run.files import read_json

SHAPE = ("cell", "units", "layers", "embedding_dim", "zoneout_h", "zoneout_c", "lowercase")
VOCABULARY = Path("baselines") / "ngram" / "vocabulary.json"  # the LM run's words, in id order
DAMAGED = "the language-model run is damaged; train it again"


def check_language_model(config) -> tuple[Path, Vocabulary]:
    """(the run directory, its vocabulary) of `config.encoder_from`, after checking that
    it is a finished word-level language model of the network's shape."""
    path = Path(config.encoder_from)
    try:
        suite = suite_of(path)
    except ConfigError as err:
        raise DataError(f"encoder_from: {err}") from err
    train = ("seqsuite train language_model --set tokens=word data=TEXT "
             "--out RUN, then --set encoder_from=RUN")
    if suite != "language_model":
        raise DataError(f"encoder_from={path} is a {suite} run, not a language model; "
                        f"pretrain one: {train}")
    lm = {**read_json(path / "config.json", DAMAGED), **read_json(path / "learned.json", DAMAGED)}
    if lm.get("tokens") != "word":
        raise DataError(f"encoder_from={path} is a character-level language model; sentiment "
                        f"reads words: {train}")
    wanted = {key: lm.get(key) for key in SHAPE}
    differ = {key: value for key, value in wanted.items() if getattr(config, key) != value}
    if differ or config.bidirectional:
        settings = " ".join(f"{k}={str(v).lower() if isinstance(v, bool) else v}"
                            for k, v in {**differ, "bidirectional": False}.items())
        raise DataError(f"encoder_from={path} has another shape than this network; give it "
                        f"the language model's: --set {settings}")
    words = read_json(path / VOCABULARY, DAMAGED)
    if not isinstance(words, list) or words[:2] != ["", "[UNK]"] or \
            len(words) != lm.get("vocab_size"):
        raise DataError(f"{path / VOCABULARY} does not hold the language model's vocabulary: "
                        "the run is damaged; train it again")
    return path, Vocabulary(words)


def transfer(path: Path, layers: int) -> dict:
    """`data.adapt` entries that copy the language model's embedding and recurrent layers
    (`rnn_i`) into the network's (`encoder_i`); the model file is read once, when the
    first is applied."""
    import keras

    loaded = {}

    def source(name: str):
        if "model" not in loaded:
            loaded["model"] = keras.saving.load_model(path / "model.keras", compile=False)
        return loaded["model"].get_layer(name)

    def copy(name: str):
        return lambda layer: layer.set_weights(source(name).get_weights())

    return {"embedding": copy("embedding"),
            **{f"encoder_{i}": copy(f"rnn_{i}") for i in range(layers)}}
