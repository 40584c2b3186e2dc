"""Attention for recurrent models: mechanisms, pooling, and an attention decoder.

`BahdanauAttention` and `LuongAttention` score a query against an encoder
memory and return the context and the alignments; `AttentionPooling` pools a
sequence for a classifier; `AttentionWrapper` puts a mechanism inside any RNN
cell and `AttentionDecoder` runs it over a target sequence. The mechanisms and
the wrapper keep TensorFlow Addons' weight names and arithmetic.
"""

from seqsuite.shared.layers.attention.mechanisms import (
    AttentionMechanism,
    BahdanauAttention,
    LuongAttention,
    masked_softmax,
)
from seqsuite.shared.layers.attention.pooling import AttentionPooling
from seqsuite.shared.layers.attention.wrapper import AttentionDecoder, AttentionWrapper

__all__ = [
    "AttentionDecoder",
    "AttentionMechanism",
    "AttentionPooling",
    "AttentionWrapper",
    "BahdanauAttention",
    "LuongAttention",
    "masked_softmax",
]
