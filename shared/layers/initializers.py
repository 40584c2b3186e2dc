"""Initialisers of recurrent weights: the identity (IRNN) and the chrono forget-gate bias.

`recurrent_initializer(name, gain)` and `forget_bias_options(name, max_steps)`
turn the config's `recurrent_init` and `forget_bias` into the arguments Keras
cells take; `shared.layers.encoders.make_cell` is their one user.

- `glorot`: Glorot-uniform, `U(±gain·sqrt(6 / (fan_in + fan_out)))`.
- `orthogonal` (Saxe et al. 2014): an orthogonal matrix times `gain`; every
  singular value is `gain`, so a linear recurrence neither shrinks nor grows a
  state at initialisation.
- `identity` (Le, Jaitly and Hinton 2015): `gain·I` in every gate's block; with
  ReLU a simple cell then starts by copying its state, the IRNN.

Forget-gate biases of LSTM-type cells (gate order `i, f, c, o`, as in Keras):

- `unit` (Jozefowicz et al. 2015): `b_f = 1`, the rest 0 (Keras's `unit_forget_bias`).
- `chrono` (Tallec and Ollivier 2018): `b_f = log(u)`, `b_i = -log(u)`,
  `u ~ U(1, T_max - 1)` per unit, so the forget gates start with memory times
  spread up to the longest dependency `T_max`.
- `zero`: every bias 0.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from seqsuite.shared.layers.options import FORGET_BIASES, RECURRENT_INITS


@keras.saving.register_keras_serializable(package="seqsuite")
class RecurrentIdentity(keras.initializers.Initializer):
    """`gain` times the identity in each square block of a recurrent kernel.

    A kernel of shape `(units, k * units)` (`k` gates side by side, as Keras
    lays out `LSTMCell` and `GRUCell` recurrent kernels) gets `gain * I` in
    every `(units, units)` block; `k = 1` is the plain identity of a simple cell.

    Args:
        gain: Float, the value on the diagonal. Default: `1.0`.

    Example:

    >>> RecurrentIdentity(0.5)((2, 4)).numpy()
    array([[0.5, 0. , 0.5, 0. ],
           [0. , 0.5, 0. , 0.5]], dtype=float32)
    """

    def __init__(self, gain=1.0):
        self.gain = float(gain)

    def __call__(self, shape, dtype=None):
        rows, cols = shape
        if cols % rows:
            raise ValueError(
                "RecurrentIdentity needs a kernel of shape (units, k * units). "
                f"Received: shape={tuple(shape)}"
            )
        matrix = self.gain * np.tile(np.eye(rows), (1, cols // rows))
        return ops.convert_to_tensor(matrix, dtype=dtype or "float32")

    def get_config(self):
        return {"gain": self.gain}


@keras.saving.register_keras_serializable(package="seqsuite")
class ChronoForgetBias(keras.initializers.Initializer):
    """Chrono initialisation of an LSTM bias `[b_i, b_f, b_c, b_o]` (Tallec and Ollivier 2018).

    ```
    u ~ U(1, max_steps - 1) per unit,   b_f = log(u),   b_i = -log(u),   b_c = b_o = 0
    ```

    A unit's forget gate then starts near `1 - 1/u`, remembering for about
    `u` steps, and its input gate lets in correspondingly little.

    Args:
        max_steps: Integer `>= 2`, `T_max`: the longest dependency expected,
            in steps.
        seed: Integer seed. Default: `None`.

    Example:

    >>> bias = ChronoForgetBias(100, seed=0)((4 * 8,))
    >>> bool(ops.all(bias[:8] == -bias[8:16]))
    True
    """

    def __init__(self, max_steps, seed=None):
        if not isinstance(max_steps, (int, np.integer)) or max_steps < 2:
            raise ValueError(
                f"Argument `max_steps` must be an integer >= 2. Received: max_steps={max_steps}"
            )
        self.max_steps = int(max_steps)
        self.seed = seed
        # `U(1, 1)` for max_steps=2 is the constant 1: log(1) = 0, the zero bias.
        self._uniform = keras.initializers.RandomUniform(1.0, max(self.max_steps - 1.0, 1.0),
                                                         seed=seed)

    def __call__(self, shape, dtype=None):
        (size,) = shape
        if size % 4:
            raise ValueError(
                f"ChronoForgetBias needs an LSTM bias of shape (4 * units,). Received: shape={shape}"
            )
        units = size // 4
        log_u = ops.log(self._uniform((units,), dtype=dtype))
        return ops.concatenate([-log_u, log_u, ops.zeros((2 * units,), dtype=log_u.dtype)])

    def get_config(self):
        return {"max_steps": self.max_steps, "seed": self.seed}


def recurrent_initializer(name: str = "orthogonal", gain: float = 1.0):
    """The recurrent-kernel initialiser called `name` (see the module docstring)."""
    if name not in RECURRENT_INITS:
        raise ValueError(f"Argument `recurrent_init` must be one of {RECURRENT_INITS}. "
                         f"Received: recurrent_init={name!r}")
    if name == "identity":
        return RecurrentIdentity(gain)
    if name == "orthogonal":
        return keras.initializers.Orthogonal(gain=gain)
    if gain == 1.0:
        return keras.initializers.GlorotUniform()
    return keras.initializers.VarianceScaling(gain**2, mode="fan_avg", distribution="uniform")


def forget_bias_options(name: str = "unit", max_steps: int | None = None) -> dict:
    """Keyword arguments of an LSTM-type cell for the forget-gate bias called `name`.

    `max_steps` is chrono's `T_max`, required for `chrono` only.
    """
    if name not in FORGET_BIASES:
        raise ValueError(f"Argument `forget_bias` must be one of {FORGET_BIASES}. "
                         f"Received: forget_bias={name!r}")
    if name == "unit":
        return {"unit_forget_bias": True, "bias_initializer": "zeros"}
    if name == "zero":
        return {"unit_forget_bias": False, "bias_initializer": "zeros"}
    return {"unit_forget_bias": False, "bias_initializer": ChronoForgetBias(max_steps)}
