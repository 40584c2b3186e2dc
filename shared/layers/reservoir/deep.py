"""Deep echo state networks (Gallicchio, Micheli and Pedrelli 2017, "Deep reservoir
computing: a critical experimental analysis", Neurocomputing 268): reservoirs stacked so
that each reads the states of the one below, and the readout reads them all,

    h^(1)_t = Reservoir_1(x)_t,   h^(l)_t = Reservoir_l(h^(l-1))_t,
    features_t = [h^(1)_t, ..., h^(L)_t],

built from `Reservoir` layers in a functional graph, so the model saves, exports and
streams (`shared.layers.streaming`) like any other.
"""

from __future__ import annotations

import keras

from seqsuite.shared.layers.reservoir.layers import Reservoir


def deep_reservoir(inputs, units, name: str = "reservoir", seed: int | None = None,
                   **options):
    """The concatenated states (batch, time, sum(units)) of reservoirs stacked on `inputs`.

    Args:
        inputs: a Keras tensor (batch, time, features).
        units: one size per layer, lowest first.
        name: layer `l` is named f"{name}_{l}".
        seed: layer `l` draws its matrices from `seed + l` (None: unseeded).
        **options: `Reservoir` arguments shared by every layer (`spectral_radius`,
            `leak_rate`, ...); a list gives one value per layer, and must have one
            per layer.
    """
    for key, value in options.items():
        if isinstance(value, (list, tuple)) and len(value) != len(units):
            raise ValueError(
                f"A list for `{key}` gives one value per layer, and there are {len(units)} "
                f"layers; pass {len(units)} values (a per-feature input_scaling inside its "
                f"layer's entry). Received: {key}={value!r}"
            )
    states, h = [], inputs
    for layer, size in enumerate(units):
        kwargs = {k: (v[layer] if isinstance(v, (list, tuple)) else v)
                  for k, v in options.items()}
        h = Reservoir(size, seed=None if seed is None else seed + layer,
                      name=f"{name}_{layer}", **kwargs)(h)
        states.append(h)
    return states[0] if len(states) == 1 else keras.layers.Concatenate(
        name=f"{name}_states")(states)
