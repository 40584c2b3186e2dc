"""Reservoir computing: echo state networks trained in closed form.

- `initializers`: reservoir matrices as pure functions of `(shape, seed, ...)`
  (`mat_gen`, `random_sparse`, `rescale`, `spectral_radius`) and
  `ReservoirInitializer`, the same as a Keras initializer.
- `ESNCell`: the update for `keras.layers.RNN`, with TensorFlow Addons'
  `ESNCell` arguments and arithmetic.
- `Reservoir`: a whole batch of sequences in one XLA-compiled loop; `W` sparse entry by
  entry or in blocks (`block_size`, multiplied by block by block: about 2.5x fewer
  seconds a step for 1000 units).
- `RidgeReadout`: a linear readout fitted by streaming ridge regression.
- `ESN`: both in one Keras model with `fit`, `predict` and `generate`.
- `NVAR`: next-generation reservoir computing (Gauthier et al. 2021), delayed copies of
  the input and their monomials, for a `RidgeReadout`.
- `deep_reservoir`: reservoirs stacked, each reading the states below, all feeding the
  readout (deep ESN).
- `OnlineReadout`: a linear readout learnt a step at a time, by recursive least squares
  (FORCE) or least mean squares.
- `intrinsic_plasticity`: an unsupervised pre-fit of every unit's gain and bias towards a
  Gaussian activity (Schrauwen et al. 2008), folded into the reservoir's weights.
"""

from seqsuite.shared.layers.reservoir.cell import ESNCell
from seqsuite.shared.layers.reservoir.deep import deep_reservoir
from seqsuite.shared.layers.reservoir.initializers import (
    ReservoirInitializer,
    mat_gen,
    random_sparse,
    rescale,
    spectral_radius,
)
from seqsuite.shared.layers.reservoir.layers import Reservoir, RidgeReadout
from seqsuite.shared.layers.reservoir.model import ESN
from seqsuite.shared.layers.reservoir.nvar import NVAR
from seqsuite.shared.layers.reservoir.online import OnlineReadout
from seqsuite.shared.layers.reservoir.plasticity import intrinsic_plasticity

__all__ = [
    "ESN",
    "ESNCell",
    "NVAR",
    "OnlineReadout",
    "Reservoir",
    "ReservoirInitializer",
    "RidgeReadout",
    "mat_gen",
    "random_sparse",
    "rescale",
    "spectral_radius",
    "deep_reservoir",
    "intrinsic_plasticity",
]
