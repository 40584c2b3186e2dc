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

from seqsuite.shared.checks import require_choice, require_range
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


ENCODERS = ("rnn", "transformer", "hybrid")
HYBRID_ORDERS = ("rnn_first", "attention_first")


def attention_width(config) -> int:
    """The width the self-attention of `config`'s encoder works at: `units` for a
    Transformer; for a hybrid, the recurrent stack's output (`2 * units` bidirectional)."""
    if config.encoder == "hybrid" and config.bidirectional:
        return 2 * config.units
    return config.units


@dataclasses.dataclass
class SequenceEncoderConfig(EncoderConfig):
    """The fields of a sequence encoder that may be recurrent, a Transformer or both
    (`encoders.sequence_encoder`'s choice).

    Besides `EncoderConfig`'s fields:

    Args:
        encoder: `"rnn"`: the recurrent stack (`EncoderConfig`'s fields);
            `"transformer"`: the inputs projected to `units`, plus position
            encodings, through `layers` pre-norm Transformer blocks (keras-hub's
            `TransformerEncoder`; a causal suite gets `TransformerDecoder` blocks
            with the causal mask); `"hybrid"`: the recurrent stack and one
            self-attention block, in `hybrid_order`. Default: `"rnn"`.
        heads: Attention heads; must divide the attention width (`units`, or
            `2 * units` for a bidirectional hybrid). Default: `4`.
        ff_units: Width of each block's feed-forward layer; `0` for twice the
            attention width. Default: `0`.
        positions: `0`: fixed sinusoidal position encodings, any length;
            `N > 0`: a learned embedding of `N` positions, and a longer sequence
            is refused with an error naming this field. A hybrid takes order from
            its recurrence and has none. Default: `0`.
        hybrid_order: `"rnn_first"` (self-attention over the recurrent states)
            or `"attention_first"` (the recurrence over attended inputs).
            Default: `"rnn_first"`.

    `dropout` is also the Transformer blocks' dropout; `bidirectional`,
    `cell` and the zoneout rates concern the recurrent part only.
    """

    encoder: str = "rnn"
    heads: int = 4
    ff_units: int = 0
    positions: int = 0
    hybrid_order: str = "rnn_first"

    def __post_init__(self):
        super().__post_init__()
        require_choice("encoder", self.encoder, ENCODERS)
        require_choice("hybrid_order", self.hybrid_order, HYBRID_ORDERS)
        require_range("heads", self.heads, low=1)
        require_range("ff_units", self.ff_units, low=0)
        require_range("positions", self.positions, low=0)
        if self.encoder == "rnn":
            return
        width = attention_width(self)
        if width % self.heads:
            divisors = [h for h in range(1, min(width, 16) + 1) if width % h == 0]
            raise ConfigError(
                f"heads={self.heads} does not divide the attention width {width} "
                f"({'2 * units' if width != self.units else 'units'}); set heads to one of "
                f"{', '.join(map(str, divisors))} or change units")
        # The check the command line can make before TensorFlow loads.
        import importlib.util

        if importlib.util.find_spec("keras_hub") is None:
            raise ConfigError(f"encoder={self.encoder} needs keras-hub; install it with "
                              "pip install 'seqsuite[transformer]'")

    def check_length(self, steps: int | None, what: str = "a sequence") -> None:
        """Refuse `steps` longer than a learned position embedding covers (the command line
        calls it where the config alone fixes the length)."""
        if (self.encoder == "transformer" and self.positions and steps is not None
                and steps > self.positions):
            raise ConfigError(f"{what} of {steps} steps is longer than the learned position "
                              f"embedding's positions={self.positions}; set "
                              f"--set positions={steps} (or positions=0 for sinusoidal "
                              "encodings, any length)")
