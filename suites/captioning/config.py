"""Captioning configuration: one dataclass, three presets."""

from __future__ import annotations

import dataclasses

from seqsuite.shared.checks import require_range
from seqsuite.shared.errors import ConfigError
from seqsuite.shared.layers.options import check_cell_options
from seqsuite.shared.run.commands import Argument, Command
from seqsuite.shared.run.config import (
    TrainConfig,
    data_field,
    learned_field,
    require_positive,
    require_split_fractions,
)


@dataclasses.dataclass
class Config(TrainConfig):
    # "digits" (scenes composed from scikit-learn's handwritten digits), a captions .tsv
    # in the Flickr8k layout (`image#k<TAB>caption`), or "tfds:coco_captions"
    data: str = data_field("digits")
    image_dir: str = data_field("")  # captions .tsv: folder of the images (default: its own)
    train_scenes: int = 10000  # digits: scenes per split (combinations and images differ)
    val_scenes: int = 400
    test_scenes: int = 600
    clutter: int = 0  # digits: faint random strokes per scene (0: clean canvas)
    tfds_examples: int = 2000  # tfds: images taken from each split
    val_fraction: float = 0.1  # digit images (digits) / images (file) held out for validation
    test_fraction: float = 0.2
    image_size: int = 64  # every image is resized (aspect kept, padded) to this square
    conv_filters: int = 16  # first convolution; then twice and four times as many
    attention: bool = True  # false: no attention, the decoder starts from the pooled grid
    cell: str = "gru"  # see shared.layers.encoders.CELLS
    units: int = 128  # decoder state, attention and grid projection width
    embedding_dim: int = 32
    dropout: float = 0.3  # on the word embeddings and the decoder outputs, in training
    max_caption_words: int = 12  # longer captions are cut (training) / decoding stops here
    min_word_count: int = 1  # file/tfds: rarer words become [UNK]
    beam_width: int = 3  # beam search at evaluation and in the SavedModel
    length_penalty: float = 0.0
    attention_maps: int = 4  # test images drawn with their words' attention in attention.png
    words: list[str] | None = learned_field(None)  # the caption vocabulary (ids 4, 5, ...)

    def __post_init__(self):
        super().__post_init__()
        require_positive(self, ("train_scenes", "val_scenes", "test_scenes", "tfds_examples",
                                "conv_filters", "units", "embedding_dim", "max_caption_words",
                                "min_word_count", "beam_width"))
        if self.image_size < 16 or self.image_size % 8:
            raise ConfigError(f"image_size must be a multiple of 8 and >= 16, got "
                              f"{self.image_size}")
        if self.clutter < 0 or self.attention_maps < 0:
            raise ConfigError("clutter and attention_maps must be >= 0")
        require_range("length_penalty", self.length_penalty, 0)
        require_range("dropout", self.dropout, 0, 1, high_open=True)
        require_split_fractions(self)
        check_cell_options(self.cell, 0.0, 0.0)
        if self.data.startswith("tfds:") and self.data != "tfds:coco_captions":
            raise ConfigError(f"data={self.data}: captions come from 'digits', a captions "
                              ".tsv file or tfds:coco_captions")


PRESETS = {
    # smoke: seconds on 2 cores, yet a BLEU-4 well above a constant caption's
    # (tests/suites/test_captioning.py asserts it)
    "smoke": {"train_scenes": 600, "val_scenes": 16, "test_scenes": 64, "tfds_examples": 8,
              "image_size": 32, "conv_filters": 8, "units": 32, "embedding_dim": 8,
              "dropout": 0.0, "epochs": 8, "batch_size": 16, "learning_rate": 1e-2,
              "patience": 0, "verbose": 0, "beam_width": 2, "attention_maps": 2},
    "quick": {"train_scenes": 10000, "val_scenes": 400, "test_scenes": 600, "units": 128,
              "epochs": 25, "batch_size": 64, "learning_rate": 3e-3, "clip_norm": 5.0,
              "patience": 5, "verbose": 2},
    "full": {"train_scenes": 20000, "val_scenes": 1000, "test_scenes": 1000, "units": 256,
             "conv_filters": 32, "clutter": 2, "epochs": 40, "batch_size": 64,
             "learning_rate": 1e-3, "clip_norm": 5.0, "patience": 5},
}

# Inference commands (`seqsuite caption --run RUN ...`); see shared.run.commands.
COMMANDS = (
    Command("caption", "caption images with a finished captioning run", run="train:caption",
            arguments=(Argument("files", "PNG or JPEG images (any size)", many=True),)),
)
