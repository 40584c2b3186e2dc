"""Sentiment configuration: one dataclass, three presets.

`labels` are the user's class names: the values of a CSV's label column (or
their indices), the class folders of a directory. The embedded sets and a
TFDS set name their own classes, and `labels` must then spell those names in
their order (the default, `neg,pos`, fits rotten_tomatoes, the reviews and
imdb_reviews); a mismatch is refused with the names to pass, never silently
renamed.
"""

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


@dataclasses.dataclass
class Config(SequenceEncoderConfig, TrainConfig):
    # "rotten_tomatoes" (real critic snippets, embedded), "reviews" (generated), a CSV file,
    # a directory of .txt files, or "tfds:imdb_reviews"
    data: str = data_field("rotten_tomatoes")
    labels: list[str] = dataclasses.field(default_factory=lambda: ["neg", "pos"])  # class names (see above)
    text_column: str = "text"  # CSV: the column holding the review
    label_column: str = "label"  # CSV: a class name from `labels`, or its index if no name matches
    n_train: int = 20000  # reviews: generated training reviews
    n_eval: int = 2000  # reviews: generated validation and test reviews each
    val_fraction: float = 0.1  # rotten_tomatoes (of the movies), files and TFDS: kept for validation
    test_fraction: float = 0.1  # rotten_tomatoes (of the movies), a CSV, a directory without train/ and test/: kept for testing
    max_examples: int | None = None  # every source but the generator: at most this many per split (a seeded subset)
    max_vocab: int = 20000  # most frequent training words kept
    # Tokens the network reads per text (the linear path reads them all); None: 64 for
    # the embedded sets, 1024 otherwise. A longer cap is read in chunks of chunk_length
    # tokens, as many as the training texts need (the learned `chunks`)
    max_length: int | None = None
    chunk_length: int = 128
    lowercase: bool = True
    # A finished word-level language_model run whose vocabulary, embedding and recurrent
    # layers start the network (ULMFiT; shared/run/pretrained.py); "" starts fresh
    encoder_from: str = data_field("")
    # The encoder is SequenceEncoderConfig's fields (units per direction; dropout also on the
    # pooled vector), bidirectional by default
    bidirectional: bool = True
    embedding_dim: int = 64
    attention_units: int = 64  # width of the attention-pooling score layer
    word_dropout: float = 0.0  # training: share of words whose whole embedding is zeroed
    # The linear n-gram path (suites/sentiment/ngrams.py) the network's output is fused
    # with: its longest n-gram (0: the network alone) and its most frequent n-grams kept
    linear_ngrams: int = 2
    max_ngrams: int = 200000
    vocab_size: int | None = learned_field()  # filled from the training data
    chunks: int | None = learned_field()  # chunks for 95% of the training texts, within max_length
    ngram_path: dict | None = learned_field()  # the linear path's C, its validation accuracy, n-grams
    # softmax(w_linear * linear logits + w_network * network logits): chosen on validation
    fusion: list[float] | None = learned_field()

    def __post_init__(self):
        super().__post_init__()
        if self.max_length is None:
            self.max_length = 64 if self.data in ("rotten_tomatoes", "reviews") else 1024
        self.labels = [str(label).strip() for label in self.labels]
        if len(self.labels) < 2 or len(set(self.labels)) != len(self.labels) or not all(self.labels):
            raise ConfigError(f"labels must be two or more distinct names, got {self.labels}; "
                              "pass e.g. --set labels=neg,pos")
        require_positive(self, ("n_train", "n_eval", "max_vocab", "max_length", "chunk_length",
                                "embedding_dim", "attention_units"))
        require_split_fractions(self)
        if self.max_examples is not None:
            require_positive(self, ("max_examples",))
        require_range("word_dropout", self.word_dropout, 0, 1, high_open=True)
        require_range("linear_ngrams", self.linear_ngrams, 0, 3)
        require_positive(self, ("max_ngrams",))
        if self.encoder_from and self.encoder != "rnn":
            raise ConfigError(f"encoder_from starts a recurrent encoder from a language model; "
                              f"encoder={self.encoder} has no such layers: drop one of them")
        self.check_length(min(self.max_length, self.chunk_length), "a text's chunk")


PRESETS = {
    # 2000 snippets at a high learning rate learn more than the majority label (the smoke
    # test asserts it) in one or two epochs; 300 snippets left the model saying "pos".
    "smoke": {"n_train": 400, "n_eval": 100, "max_examples": 2000, "units": 16,
              "embedding_dim": 16, "attention_units": 8, "epochs": 2, "batch_size": 64,
              "learning_rate": 1e-2, "verbose": 0, "patience": 0},
    # The best of 10 random trials of `search_space` on rotten_tomatoes (seed 0), by validation
    # loss: 0.508, against 0.512 for a 64-unit LSTM with dropout 0.5 and 0.516 with 0.3.
    # (Word dropout 0.3 reached 0.504 but stays out: it deletes the generated reviews' "not".)
    "quick": {"n_train": 10000, "n_eval": 2000, "epochs": 6, "batch_size": 32, "verbose": 2,
              "cell": "gru", "units": 128, "embedding_dim": 32, "attention_units": 32,
              "dropout": 0.4, "learning_rate": 1e-3, "clip_norm": 5.0, "patience": 3},
    "full": {"n_train": 50000, "n_eval": 5000, "units": 128, "epochs": 40, "batch_size": 64,
             "dropout": 0.2, "patience": 6, "clip_norm": 1.0},
}

# Inference commands (`seqsuite predict --run RUN ...`); see shared.run.commands.
COMMANDS = (
    Command("predict", "label inputs with a finished run", run="train:predict",
            arguments=(Argument("texts", "texts to label", many=True),)),
)
