"""Recurrent cells that Keras 3 lacks, each usable inside `keras.layers.RNN`.

`PeepholeLSTMCell`, `LayerNormLSTMCell` and `LayerNormSimpleRNNCell` keep the
argument names and the arithmetic of the TensorFlow Addons cells of the same
names, so weights trained there give the same outputs here. `ZoneoutCell` wraps
any cell; `ZoneoutLSTM` is the ready-made layer over `ZoneoutCell(LSTMCell)`.
"""

from seqsuite.shared.layers.cells.layer_norm import LayerNormLSTMCell, LayerNormSimpleRNNCell
from seqsuite.shared.layers.cells.peephole import PeepholeLSTMCell
from seqsuite.shared.layers.cells.zoneout import ZoneoutCell, ZoneoutLSTM

__all__ = [
    "LayerNormLSTMCell",
    "LayerNormSimpleRNNCell",
    "PeepholeLSTMCell",
    "ZoneoutCell",
    "ZoneoutLSTM",
]
