"""Padding masks from lengths: one layer for every padded batch a suite builds.

A batch of sequences of different lengths is zero-padded to the longest; the encoder must
skip the padding. `LengthMask` turns each row's valid length (time steps, audio samples,
image columns) into the Keras mask of the steps the encoder sees, after any downsampling
on the way (a hop of 160 samples per frame, a convolution of stride 2, a pooling of 4),
each of which keeps `ceil(steps / divisor)` steps:

    valid = length
    for d in divisors:  valid = ceil(valid / d)
    mask[b, t] = t < valid[b]
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops


def valid_steps(length, divisors=()):
    """`ceil(...ceil(length / d1).../ dn)`: NumPy for Python or NumPy integers, else an
    int32 tensor."""
    if isinstance(length, (int, np.integer, np.ndarray)):
        steps = np.asarray(length, dtype=np.int64)
    else:
        steps = ops.cast(length, "int32")
    for d in divisors:
        steps = (steps + d - 1) // d
    return steps


@keras.saving.register_keras_serializable(package="seqsuite")
class LengthMask(keras.layers.Layer):
    """Passes features on with the Keras mask of each row's valid steps.

    Args:
        divisors: the downsampling factors between the length's unit and a step, applied
            in order with rounding up (default `()`: the length counts steps).

    Call arguments:
        inputs: `[x, length]`: features (batch, steps, channels) and int (batch,) valid
            lengths in the length's unit.

    Returns:
        `x` unchanged, masked at `t >= valid_steps(length, divisors)`, so recurrent layers
        and attention pooling skip the padding.

    Example:

    ```python
    x, samples = np.ones((2, 5, 3)), np.array([320, 800])
    LengthMask(divisors=(160,)).compute_mask([x, samples])  # 2 and 5 valid frames
    ```
    """

    def __init__(self, divisors=(), **kwargs):
        super().__init__(**kwargs)
        self.divisors = [int(d) for d in divisors]
        if any(d < 1 for d in self.divisors):
            raise ValueError(f"LengthMask divisors must be >= 1. Received: divisors={divisors}")

    def steps(self, length):
        return valid_steps(length, self.divisors)

    def call(self, inputs):
        return inputs[0]

    def compute_mask(self, inputs, mask=None):
        x, length = inputs
        # Positions from a cumulative sum, not ops.shape: a symbolic time axis is None.
        positions = ops.cumsum(ops.ones_like(x[:, :, 0], dtype="int32"), axis=1) - 1
        return positions < ops.expand_dims(self.steps(ops.cast(length, "int32")), -1)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "divisors": self.divisors}
