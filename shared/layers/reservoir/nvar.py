"""Next-generation reservoir computing: the nonlinear vector autoregression (NVAR) of
Gauthier, Bollt, Griffith and Barbosa (2021), "Next generation reservoir computing",
Nature Communications 12, 5564.

No random reservoir: the feature vector of step t is built from the input's own past,

    lin_t    = [x_t, x_{t-s}, x_{t-2s}, ..., x_{t-(k-1)s}]          (k * d values)
    nonlin_t = every distinct monomial of degree `order` in lin_t    (C(k d + order - 1, order))
    O_t      = [lin_t, nonlin_t]

and a ridge readout (`RidgeReadout`, with its unregularised bias standing for the paper's
constant term) maps O_t to the target, in closed form, as ReservoirPy's `NVAR >> Ridge`.
Steps before the first full delay line see zeros in place of the missing past, as
ReservoirPy's NVAR starts from an empty window; a forecaster discards them as a warm-up.
"""

from __future__ import annotations

import itertools
import math

import keras
import numpy as np
from keras import ops

from seqsuite.shared.checks import check_argument

# Above this many monomials a ridge readout's Gram matrix no longer fits in memory.
MAX_MONOMIALS = 100_000


def monomial_indices(features: int, order: int) -> np.ndarray:
    """(monomials, order) indices into the linear features: each distinct product of
    `order` of them, as `itertools.combinations_with_replacement` lists them."""
    return np.array(list(itertools.combinations_with_replacement(range(features), order)),
                    dtype="int32").reshape(-1, order)


@keras.saving.register_keras_serializable(package="seqsuite")
class NVAR(keras.layers.Layer):
    """Nonlinear vector autoregression features (module docstring), a sequence at a time.

    Args:
        delay: Positive integer `k`, how many time-shifted copies of the input form the
            linear features (1: the current step alone). Default: `2`.
        order: Positive integer, the degree of the monomials. Default: `2`.
        strides: Positive integer `s`, the steps between the copies. Default: `1`.
        **kwargs: Base layer arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: A tensor `(batch, time, features)`.
        history: Optional `(batch, (delay - 1) * strides, features)`, the steps before
            `inputs` (default: zeros, the start of a sequence); a stream passes them.

    Returns:
        `(batch, time, k * features + C(k * features + order - 1, order))`: the linear
        features (the current step first, then older ones) and the monomials.

    Example:

    >>> x = np.random.random((2, 50, 3)).astype("float32")
    >>> NVAR(delay=2, order=2)(x).shape  # 6 linear values and C(7, 2) = 21 monomials
    (2, 50, 27)
    """

    # Each output step needs the (delay - 1) * strides steps before it: a stream carries
    # them as its state (shared.layers.streaming).
    streams_stepwise = False

    def __init__(self, delay=2, order=2, strides=1, **kwargs):
        check_argument("delay", delay, low=1, integer=True)
        check_argument("order", order, low=1, integer=True)
        check_argument("strides", strides, low=1, integer=True)
        super().__init__(**kwargs)
        self.delay, self.order, self.strides = int(delay), int(order), int(strides)

    def build(self, input_shape):
        if input_shape[-1] is None:
            raise ValueError(f"NVAR needs a known number of features; received input_shape="
                             f"{input_shape}")
        self.linear_size = self.delay * int(input_shape[-1])
        count = math.comb(self.linear_size + self.order - 1, self.order)
        if count > MAX_MONOMIALS:
            raise ValueError(
                f"NVAR(delay={self.delay}, order={self.order}) on {input_shape[-1]} features "
                f"makes {count:,} monomials, more than {MAX_MONOMIALS:,} (a readout could not "
                "be fitted on them); lower the order or the delay"
            )
        self._indices = monomial_indices(self.linear_size, self.order)

    @property
    def past(self) -> int:
        """Steps of history each output needs: (delay - 1) * strides."""
        return (self.delay - 1) * self.strides

    def call(self, inputs, history=None):
        time = ops.shape(inputs)[1]
        if history is None and isinstance(time, int) and 0 < time <= self.past:
            raise ValueError(
                f"A sequence of {time} steps is too short for NVAR(delay={self.delay}, "
                f"strides={self.strides}), whose features reach {self.past} steps back: every "
                "step would see zeros for its past; pass a longer series or lower the delay "
                "or strides"
            )
        if history is None:  # the start of a sequence: zeros stand for the missing past
            padded = ops.pad(inputs, [[0, 0], [self.past, 0], [0, 0]])
        else:  # a later chunk: the `past` steps before it (shared.layers.streaming)
            padded = ops.concatenate([ops.cast(history, inputs.dtype), inputs], axis=1)
        copies = [padded[:, self.past - j * self.strides : self.past - j * self.strides + time]
                  for j in range(self.delay)]
        linear = ops.concatenate(copies, axis=-1)
        product = ops.take(linear, self._indices[:, 0], axis=-1)
        for j in range(1, self.order):
            product = product * ops.take(linear, self._indices[:, j], axis=-1)
        return ops.concatenate([linear, product], axis=-1)

    def compute_output_shape(self, input_shape):
        linear = self.delay * input_shape[-1]
        return (*input_shape[:-1], linear + len(monomial_indices(linear, self.order)))

    def get_config(self):
        return {**super().get_config(), "delay": self.delay, "order": self.order,
                "strides": self.strides}
