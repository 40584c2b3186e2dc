"""Names the recurrent builders accept, and the config fields that choose them.

`CELLS`, `RECURRENT_INITS` and `FORGET_BIASES` are the names; `CellConfig`
(the fields of `encoders.make_cell`) and `EncoderConfig` (those of
`encoders.recurrent_stack`) are the dataclass mixins every suite with a
recurrent encoder inherits, so the fields, their defaults and their checks
are written once.

Plain Python (no TensorFlow), so a config can be checked against these names
before the heavy libraries load.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from seqsuite.shared.checks import require_range
from seqsuite.shared.errors import ConfigError

CELLS = (
    "lstm",
    "gru",
    "simple",
    "zoneout_lstm",
    "layernorm_lstm",
    "peephole_lstm",
    "layernorm_simple",
)
# Recurrent-kernel initialisations: Glorot-uniform, orthogonal (Saxe et al. 2014), and the
# identity (IRNN, Le et al. 2015: simple cells then use ReLU).
RECURRENT_INITS = ("glorot", "orthogonal", "identity")
# Forget-gate bias of LSTM-type cells: 1 (Jozefowicz et al. 2015), chrono (Tallec and
# Ollivier 2018), or 0.
FORGET_BIASES = ("unit", "chrono", "zero")


def check_cell_options(cell: str, zoneout_h: float, zoneout_c: float,
                       others: tuple[str, ...] = ()) -> None:
    """Raise ConfigError for an unknown cell name or unusable zoneout rates.

    `others` are further names the caller builds itself (memory's `esn`):
    accepted, and listed in the message for an unknown name.
    """
    known = (*CELLS, *others)
    if cell not in known:
        raise ConfigError(f"unknown cell '{cell}'; use one of {', '.join(known)}")
    for name, rate in (("zoneout_h", zoneout_h), ("zoneout_c", zoneout_c)):
        require_range(name, rate, 0, 1, high_open=True)
    if cell == "zoneout_lstm" and zoneout_h == 0 and zoneout_c == 0:
        raise ConfigError(
            "cell=zoneout_lstm needs a zoneout rate; add e.g. --set zoneout_h=0.1 zoneout_c=0.05"
        )


@dataclasses.dataclass
class CellConfig:
    """The fields of one recurrent cell (`encoders.make_cell`'s arguments).

    Args:
        cell: One of `CELLS`, or of the class's `other_cells`. Default: `"lstm"`.
        units: The cell's state size. Default: `64`.
        zoneout_h: Zoneout rate of the hidden state, in [0, 1); 0 disables.
            Default: `0.0`.
        zoneout_c: Zoneout rate of an LSTM-type cell's cell state, in [0, 1).
            Default: `0.0`.

    A suite's config lists the mixin before `TrainConfig`,
    `class Config(CellConfig, TrainConfig)`: the fields then follow the
    training settings, and `__post_init__` runs both classes' checks.
    """

    # Values of `cell` a suite builds without `make_cell` (memory's "esn"); their
    # zoneout rates are range-checked only.
    other_cells: ClassVar[tuple[str, ...]] = ()

    cell: str = "lstm"
    units: int = 64
    zoneout_h: float = 0.0
    zoneout_c: float = 0.0

    def __post_init__(self):
        # Cooperative: before `TrainConfig` in a suite's bases, this runs its checks
        # too; on its own the next class is `object`, which has no `__post_init__`.
        parent = getattr(super(), "__post_init__", None)
        if parent is not None:
            parent()
        require_range("units", self.units, low=1)
        check_cell_options(self.cell, self.zoneout_h, self.zoneout_c, self.other_cells)


@dataclasses.dataclass
class EncoderConfig(CellConfig):
    """The fields of a recurrent encoder (`encoders.recurrent_stack`'s arguments).

    `encoders.recurrent_encoder(x, config)` builds the stack these fields
    describe. A suite whose default differs redeclares the field in its own
    class (`units: int = 128`); the field keeps its name and place, so saved
    `config.json` files stay flat and load as before.

    Besides `CellConfig`'s fields (`units` is then per direction):

    Args:
        layers: Stacked recurrent layers. Default: `1`.
        bidirectional: Each layer reads the sequence both ways and
            concatenates the two. Default: `False`, which causal models
            (forecasters, language models) need.
        dropout: Rate of the dropout between stacked layers, in [0, 1); a
            suite may apply it elsewhere too (its config says where).
            Default: `0.0`.
        locked_dropout: The dropout between layers keeps one mask for a whole
            sequence (variational dropout, AWD-LSTM). Default: `False`.
        weight_drop: DropConnect rate of every layer's recurrent kernel while
            training, one mask per batch (AWD-LSTM), in [0, 1). Default: `0.0`.
    """

    layers: int = 1
    bidirectional: bool = False
    dropout: float = 0.0
    locked_dropout: bool = False
    weight_drop: float = 0.0

    def __post_init__(self):
        super().__post_init__()
        require_range("layers", self.layers, low=1)
        require_range("dropout", self.dropout, 0, 1, high_open=True)
        require_range("weight_drop", self.weight_drop, 0, 1, high_open=True)
