"""Translation configuration: one dataclass, three presets.

Each side of a pair is split into characters or words (`source_tokens`,
`target_tokens`). Left unset, they follow the data: characters on both sides
for dates, characters in and ARPAbet phonemes (words) out for cmudict, words
on both sides otherwise. `lowercase` lower-cases the sources, and the targets
too unless `lowercase_target` says otherwise (cmudict's phonemes stay
upper-case). The resolved values are saved with the run, so evaluating it on
other data reads that data the way the model was trained.
"""

from __future__ import annotations

import dataclasses

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

ATTENTIONS = ("bahdanau", "luong", "none")
TOKENS = ("char", "word")
# (source tokens, target tokens, longest target in tokens) of the embedded sets.
EMBEDDED = {"cmudict": ("char", "word", 20), "dates": ("char", "char", 12)}
OTHER = ("word", "word", 40)  # TSV files and TFDS sets


@dataclasses.dataclass
class Config(SequenceEncoderConfig, TrainConfig):
    # "cmudict" (grapheme to phoneme, embedded), "dates" (generated), a TSV file
    # (source<TAB>target), or "tfds:ted_hrlr_translate/pt_to_en"
    data: str = data_field("cmudict")
    source_tokens: str | None = None  # "char" or "word"; None: by data (see above)
    target_tokens: str | None = None  # "char" or "word"; None: by data (see above)
    lowercase: bool = True  # lower-case the sources before tokenising
    lowercase_target: bool | None = None  # None: as `lowercase`, but never for cmudict
    stress: bool = False  # cmudict: keep the vowels' stress digits (AH0, AH1, AH2)
    n_train: int = 20000  # dates: generated training pairs
    n_eval: int = 1000  # dates: generated validation and test pairs each
    val_fraction: float = 0.1  # cmudict and TSV files: share of the sources kept for validation
    test_fraction: float = 0.1  # cmudict and TSV files: share of the sources kept for testing
    max_examples: int | None = None  # every source but dates: at most this many sources per split
    max_vocab: int = 8000  # word mode: most frequent tokens kept per side
    max_source_length: int = 40  # tokens; longer sources are cut
    max_target_length: int | None = None  # tokens, excluding start and end; None: 20 cmudict, 12 dates, 40 otherwise
    embedding_dim: int = 32
    # encoder=rnn: the cell fields (cell, units, zoneout_h, zoneout_c) make the encoder's
    # and the decoder's cells (the decoder's units doubled when the encoder is
    # bidirectional). The encoder is one recurrent layer whose final states start the
    # decoder, so of the other encoder fields it takes only `bidirectional`.
    # encoder=transformer: `layers` Transformer blocks each side, `units` wide, with
    # `heads`, `ff_units`, `positions` and `dropout` (SequenceEncoderConfig); the decoder's
    # blocks attend to the encoder's output (cross-attention) whatever `attention` says.
    # encoder=hybrid: the recurrent translator with one self-attention block in the encoder
    # (`hybrid_order`; `heads`, `ff_units`, `dropout`).
    bidirectional: bool = True
    attention: str = "luong"  # the recurrent decoder's: "bahdanau", "luong" or "none"
    beam_width: int = 4
    length_penalty: float = 0.6  # GNMT alpha for beam search
    source_vocab_size: int | None = learned_field()  # filled from the training data
    target_vocab_size: int | None = learned_field()  # filled from the training data

    def __post_init__(self):
        super().__post_init__()
        source, target, longest = EMBEDDED.get(self.data, OTHER)
        if self.source_tokens is None:
            self.source_tokens = source
        if self.target_tokens is None:
            self.target_tokens = target
        if self.max_target_length is None:
            self.max_target_length = longest
        if self.lowercase_target is None:
            self.lowercase_target = self.lowercase and self.data != "cmudict"
        for key in ("source_tokens", "target_tokens"):
            if getattr(self, key) not in TOKENS:
                raise ConfigError(f"{key} must be 'char' or 'word', got '{getattr(self, key)}'")
        if self.encoder != "transformer":
            unused = (("layers", 1), ("locked_dropout", False), ("weight_drop", 0.0))
            if self.encoder == "rnn":  # a hybrid's attention block takes dropout
                unused += (("dropout", 0.0),)
            for key, default in unused:
                if getattr(self, key) != default:
                    raise ConfigError(f"{key} applies to encoder=transformer in translation "
                                      "(the recurrent translator is one layer each side); "
                                      f"drop {key} or add encoder=transformer")
        self.check_length(self.max_source_length, "a source of max_source_length")
        self.check_length(self.max_target_length + 1, "a target of max_target_length + 1")
        if self.attention not in ATTENTIONS:
            raise ConfigError(f"attention must be one of {', '.join(ATTENTIONS)}, "
                              f"got '{self.attention}'")
        require_positive(self, ("n_train", "n_eval", "max_vocab", "max_source_length",
                                "max_target_length", "embedding_dim", "beam_width"))
        if self.max_examples is not None:
            require_positive(self, ("max_examples",))
        require_split_fractions(self)


PRESETS = {
    # smoke: seconds on 2 cores, yet a phoneme error rate well below a constant guess's
    # (tests/suites/test_translation.py asserts it)
    "smoke": {"n_train": 400, "n_eval": 50, "max_examples": 1000, "units": 32,
              "embedding_dim": 16, "epochs": 6, "batch_size": 64, "learning_rate": 1e-2,
              "verbose": 0, "patience": 0, "beam_width": 2},
    # cmudict: 40,000 of the ~101,000 training words keep it within 15 minutes on 2 cores
    "quick": {"n_train": 20000, "n_eval": 1000, "max_examples": 40000, "epochs": 10,
              "batch_size": 64, "verbose": 2, "learning_rate": 3e-3, "clip_norm": 1.0,
              "patience": 3},
    "full": {"n_train": 50000, "n_eval": 2000, "units": 128, "epochs": 60, "batch_size": 64,
             "patience": 8, "clip_norm": 1.0},
}

# Inference commands (`seqsuite translate --run RUN ...`); see shared.run.commands.
COMMANDS = (
    Command("translate", "translate text with a finished translation run", run="train:translate",
            arguments=(Argument("--method", "decoding", default="beam", choices=("beam", "greedy", "sample")),
                   Argument("texts", "source sentences", many=True))),
)
