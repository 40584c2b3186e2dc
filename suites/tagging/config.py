"""Tagging configuration: one dataclass, three presets."""

from __future__ import annotations

import dataclasses

from seqsuite.shared.checks import require_range
from seqsuite.shared.errors import ConfigError
from seqsuite.shared.layers.options import SequenceEncoderConfig
from seqsuite.shared.run.commands import Argument, Command
from seqsuite.shared.run.config import (
    TrainConfig,
    data_field,
    learned_field,
    require_positive,
    require_split_fractions,
)

HEADS = ("crf", "softmax")


@dataclasses.dataclass
class Config(SequenceEncoderConfig, TrainConfig):
    data: str = data_field("python")  # "python" (stdlib source roles), a CoNLL file, a .tsv file, "tfds:conll2003"
    val_data: str = data_field("")  # file data: a validation file in the same format ("" splits it off `data`)
    test_data: str = data_field("")  # file data: a test file ("" splits it off `data`)
    label_feature: str = "ner"  # tfds: the tag feature ("ner", "pos" or "chunks" for conll2003)
    n_files: int = 150  # python: standard-library files, split by file
    val_fraction: float = 0.1  # python files, or the sentences of a file without val_data=/test_data=
    test_fraction: float = 0.1
    max_length: int = 64  # python: longer logical lines are cut into pieces of this many tokens
    min_count: int = 2  # tokens seen fewer times in training become [UNK]
    max_vocab: int = 20000  # most frequent training tokens kept
    head: str = "crf"  # "crf" (transitions, Viterbi) or "softmax" (independent per token)
    # The encoder is SequenceEncoderConfig's fields (units per direction; dropout also on the
    # embeddings), bidirectional by default
    bidirectional: bool = True
    embedding_dim: int = 64  # token embedding
    # The word lookup reads lower-cased tokens (the token shape and the characters still
    # see case): fewer rare words, and the form a lower-cased language model learned
    lowercase: bool = False
    # A finished word-level language_model run whose vocabulary, embedding and recurrent
    # layers start the encoder (ULMFiT; shared/run/pretrained.py); "" starts fresh
    encoder_from: str = data_field("")
    shape_dim: int = 8  # embedding of the token's shape (quote, digit, case, punctuation)
    char_filters: int = 50  # width of the characters' word vector (CharacterCNN); 0: none
    char_dim: int = 25  # a character's embedding
    # The linear path: a weight per (classic token feature, tag) added to the network's tag
    # scores, trained with it (suites/tagging/features.py); features seen twice in training,
    # the max_features most frequent
    linear_features: bool = True
    max_features: int = 300000
    tags: list[str] | None = learned_field()  # filled from the training data ("O" first)
    vocab_size: int | None = learned_field()  # filled from the training data
    feature_vocab_size: int | None = learned_field()  # the linear path's features (+ padding, unknown)

    def __post_init__(self):
        super().__post_init__()
        if self.head not in HEADS:
            raise ConfigError(f"head must be one of {', '.join(HEADS)}, got '{self.head}'")
        require_positive(self, ("n_files", "max_length", "min_count", "max_vocab",
                                "embedding_dim", "shape_dim", "char_dim", "max_features"))
        require_range("char_filters", self.char_filters, 0)
        if self.data == "python" and self.n_files < 3:
            raise ConfigError(f"n_files must be >= 3 (one per split), got {self.n_files}")
        require_split_fractions(self)


PRESETS = {
    # smoke: seconds on 2 cores, yet enough to beat the most-frequent-tag baseline clearly
    # (tests/suites/test_tagging.py asserts it)
    "smoke": {"n_files": 12, "units": 16, "embedding_dim": 16, "shape_dim": 4, "char_filters": 8, "char_dim": 8, "min_count": 1,
              "epochs": 6, "batch_size": 64, "learning_rate": 1e-2, "verbose": 0,
              "patience": 0},
    # Chosen on CoNLL-2003 POS validation (token accuracy; seed 0): dropout 0.5 (Lample et
    # al. 2016's rate) 0.9492 against 0.9473 without, with the linear features 0.9521, and
    # 128 units per direction 0.9533 against 64; the feature CRF reaches 0.9508 there.
    "quick": {"n_files": 150, "units": 128, "dropout": 0.5, "epochs": 15, "batch_size": 64,
              "learning_rate": 3e-3, "clip_norm": 1.0, "patience": 3, "verbose": 2},
    "full": {"n_files": 500, "units": 128, "embedding_dim": 100, "layers": 2, "dropout": 0.2,
             "epochs": 40, "batch_size": 32, "patience": 5, "clip_norm": 1.0},
}

# Inference commands (`seqsuite predict --run RUN ...`); see shared.run.commands.
COMMANDS = (
    Command("predict", "label inputs with a finished run", run="train:predict",
            arguments=(Argument("texts", "texts of space-separated tokens to tag", many=True),)),
)
