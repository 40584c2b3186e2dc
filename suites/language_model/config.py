"""Language-model configuration: one dataclass, three presets."""

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
    # "pydoc" (CPython's docs topics), "movie_reviews" (IMDB reviews, for pretraining), a UTF-8
    # text file, or "tfds:tiny_shakespeare"
    data: str = data_field("pydoc")
    tokens: str = "char"  # "char" or "word"
    lowercase: bool | None = None  # None: False for char, True for word
    max_vocab: int = 10000  # word mode: most frequent words kept
    max_chars: int = 0  # use at most this many characters of the corpus (0: all)
    # Tokens per window. encoder=rnn: the state carries across consecutive windows;
    # transformer or hybrid: each window is read alone, and generation and streaming see
    # the last seq_length tokens
    seq_length: int = 100
    val_fraction: float = 0.05  # a file or pydoc: contiguous train | validation | test parts
    test_fraction: float = 0.05
    # The encoder is SequenceEncoderConfig's fields, one way only (see __post_init__);
    # attention is causal
    units: int = 256
    embedding_dim: int = 64
    generate_top_k: int = 0  # top-k of the exported generation signature (0: full softmax)
    vocab_size: int | None = learned_field()  # filled from the training data

    def __post_init__(self):
        super().__post_init__()
        if self.tokens not in ("char", "word"):
            raise ConfigError(f"tokens must be 'char' or 'word', got '{self.tokens}'")
        if self.lowercase is None:
            self.lowercase = self.tokens == "word"
        if self.bidirectional:
            raise ConfigError("bidirectional=true: a language model reads left to right (a "
                              "backward pass would see the tokens it must predict); drop it")
        require_positive(self, ("seq_length", "embedding_dim", "max_vocab"))
        self.check_length(self.seq_length, "a window (seq_length)")
        for key in ("max_chars", "generate_top_k"):
            require_range(key, getattr(self, key), low=0)
        require_split_fractions(self)


PRESETS = {
    # Enough epochs at a high learning rate to beat the unigram baseline (the smoke test
    # asserts it), in seconds.
    "smoke": {"max_chars": 20000, "units": 64, "embedding_dim": 16, "seq_length": 50,
              "batch_size": 16, "epochs": 8, "learning_rate": 1e-2, "verbose": 0,
              "patience": 0},
    "quick": {"units": 256, "epochs": 12, "batch_size": 32, "learning_rate": 3e-3,
              "clip_norm": 1.0, "verbose": 2, "patience": 3},
    "full": {"units": 512, "layers": 2, "dropout": 0.2, "epochs": 60, "batch_size": 64,
             "learning_rate": 2e-3, "clip_norm": 1.0, "patience": 6},
}

# Inference commands (`seqsuite generate --run RUN ...`); see shared.run.commands.
COMMANDS = (
    Command("generate", "sample text from a finished language-model run", run="train:generate",
            arguments=(Argument("--prompt", "text to continue", default=""),
                   Argument("--temperature", "softmax temperature", type=float, default=1.0,
                            above=0.0),
                   Argument("--top-k", "sample among the k most likely; 0: all", type=int,
                            default=0, minimum=0),
                   Argument("--length", "tokens to generate", type=int, default=200, minimum=1),
                   Argument("--seed", "seed for reproducible samples", type=int))),
    Command("stream", "read text as it arrives and print, token by token, its surprisal and "
            "the likeliest next tokens", run="train:stream",
            arguments=(Argument("source", "a text file, or - for standard input", default="-"),)),
)
