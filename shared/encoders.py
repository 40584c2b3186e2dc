"""Recurrent encoders built from a cell name, shared by every suite.

`recurrent_stack` turns config fields (cell, units, layers, bidirectional,
dropout, zoneout rates) into stacked Keras RNN layers. Input kernels default to
Glorot-uniform and recurrent kernels to orthogonal, the initialisation that
keeps early gradients from exploding or vanishing through time.
"""

from __future__ import annotations

import keras

from seqsuite.shared import cells as seq_cells
from seqsuite.shared.config import check_cell_options
from seqsuite.shared.errors import ConfigError

_TWO_STATE = ("lstm", "zoneout_lstm", "layernorm_lstm", "peephole_lstm")


def make_cell(
    cell: str,
    units: int,
    zoneout_h: float = 0.0,
    zoneout_c: float = 0.0,
    seed: int | None = None,
    kernel_initializer="glorot_uniform",
    recurrent_initializer="orthogonal",
):
    """One recurrent cell by name; wrapped in `ZoneoutCell` when a rate is non-zero.

    LSTM-type cells take `[zoneout_h, zoneout_c]` (hidden and cell state);
    single-state cells take `[zoneout_h]`.
    """
    check_cell_options(cell, zoneout_h, zoneout_c)
    init = {"kernel_initializer": kernel_initializer, "recurrent_initializer": recurrent_initializer}
    base = {
        "lstm": keras.layers.LSTMCell,
        "zoneout_lstm": keras.layers.LSTMCell,
        "gru": keras.layers.GRUCell,
        "simple": keras.layers.SimpleRNNCell,
        "layernorm_lstm": seq_cells.LayerNormLSTMCell,
        "peephole_lstm": seq_cells.PeepholeLSTMCell,
        "layernorm_simple": seq_cells.LayerNormSimpleRNNCell,
    }[cell](units, **init)
    if zoneout_h == 0 and zoneout_c == 0:
        return base
    rate = [zoneout_h, zoneout_c] if cell in _TWO_STATE else [zoneout_h]
    return seq_cells.ZoneoutCell(base, rate=rate, seed=seed)


def recurrent_stack(
    x,
    *,
    cell: str,
    units: int,
    layers: int = 1,
    bidirectional: bool = False,
    dropout: float = 0.0,
    zoneout_h: float = 0.0,
    zoneout_c: float = 0.0,
    seed: int | None = None,
    return_sequences: bool = False,
    stateful: bool = False,
    name: str = "encoder",
):
    """Apply `layers` stacked recurrent layers to `x` (batch, time, features).

    Every layer but the last returns sequences; the last returns sequences only
    if `return_sequences`. Dropout sits between layers, not inside the
    recurrence, so the cheap fused LSTM path stays available. `stateful=True`
    carries each layer's state from one batch to the next (the batch size of
    `x` must then be fixed).
    """
    if layers < 1 or units < 1:
        raise ConfigError(f"layers and units must be >= 1, got layers={layers}, units={units}")
    for i in range(layers):
        last = i == layers - 1
        seq = return_sequences or not last
        layer_seed = None if seed is None else seed + i
        rc = make_cell(cell, units, zoneout_h, zoneout_c, layer_seed)
        if cell == "lstm" and not isinstance(rc, seq_cells.ZoneoutCell):
            # keras.layers.LSTM picks cuDNN on a GPU; RNN(LSTMCell) never does.
            rnn = keras.layers.LSTM(
                units, return_sequences=seq, recurrent_initializer="orthogonal",
                stateful=stateful, name=f"{name}_{i}",
            )
        else:
            rnn = keras.layers.RNN(rc, return_sequences=seq, stateful=stateful,
                                   name=f"{name}_{i}")
        if bidirectional:
            rnn = keras.layers.Bidirectional(rnn, name=f"{name}_bi_{i}")
        x = rnn(x)
        if dropout and not last:
            x = keras.layers.Dropout(dropout, seed=layer_seed, name=f"{name}_dropout_{i}")(x)
    return x
