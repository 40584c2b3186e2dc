"""Translation configuration: one dataclass, three presets."""

from __future__ import annotations

import dataclasses

from seqsuite.shared.config import (
    TrainConfig,
    check_cell_options,
    data_field,
    learned_field,
    require_positive,
)
from seqsuite.shared.errors import ConfigError

ATTENTIONS = ("bahdanau", "luong", "none")


@dataclasses.dataclass
class Config(TrainConfig):
    data: str = data_field("dates")  # "dates", a TSV file (source<TAB>target), or "tfds:ted_hrlr_translate/pt_to_en"
    tokens: str | None = None  # "char" or "word"; None: char for dates, word otherwise
    lowercase: bool = True  # lower-case both sides before tokenising
    n_train: int = 20000  # dates: generated training pairs
    n_eval: int = 1000  # dates: generated validation and test pairs each
    max_vocab: int = 8000  # word mode: most frequent tokens kept per side
    max_source_length: int = 40  # tokens; longer sources are cut
    max_target_length: int = 12  # tokens, excluding start and end
    cell: str = "lstm"  # encoder and decoder cell, see shared.config.CELLS
    units: int = 64
    embedding_dim: int = 32
    bidirectional: bool = True  # encoder
    zoneout_h: float = 0.0
    zoneout_c: float = 0.0
    attention: str = "luong"  # "bahdanau", "luong" or "none"
    beam_width: int = 4
    length_penalty: float = 0.6  # GNMT alpha for beam search
    source_vocab_size: int | None = learned_field()  # filled from the training data
    target_vocab_size: int | None = learned_field()  # filled from the training data

    def __post_init__(self):
        super().__post_init__()
        if self.tokens is None:
            self.tokens = "char" if self.data == "dates" else "word"
        if self.tokens not in ("char", "word"):
            raise ConfigError(f"tokens must be 'char' or 'word', got '{self.tokens}'")
        if self.attention not in ATTENTIONS:
            raise ConfigError(f"attention must be one of {', '.join(ATTENTIONS)}, "
                              f"got '{self.attention}'")
        require_positive(self, ("n_train", "n_eval", "max_vocab", "max_source_length",
                                "max_target_length", "units", "embedding_dim", "beam_width"))
        check_cell_options(self.cell, self.zoneout_h, self.zoneout_c)


PRESETS = {
    "smoke": {"n_train": 400, "n_eval": 50, "units": 16, "embedding_dim": 8, "epochs": 1,
              "batch_size": 64, "verbose": 0, "patience": 0, "beam_width": 2},
    "quick": {"n_train": 20000, "n_eval": 1000, "epochs": 10, "batch_size": 64, "verbose": 2,
              "learning_rate": 3e-3, "clip_norm": 1.0, "patience": 3},
    "full": {"n_train": 50000, "n_eval": 2000, "units": 128, "epochs": 60, "batch_size": 64,
             "max_target_length": 40, "patience": 8, "clip_norm": 1.0},
}
