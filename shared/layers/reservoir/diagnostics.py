"""What a reservoir can remember, measured: linear memory capacity (Jaeger 2002) and the
effective spectral radius of a leaky reservoir.

Memory capacity. Drive the reservoir with i.i.d. input u_t ~ U(-1, 1); for each delay k a
linear readout y_k(t) is fitted (ridge, on the first part of the run) to recall u_{t-k};
on the rest,

    MC_k = corr(u_{t-k}, y_k(t))^2,      MC = sum_{k=1..K} MC_k  <=  units

(Jaeger 2002, "Short term memory in echo states"; the bound holds for any reservoir of
`units` units and a scalar input). A linear reservoir with a spectral radius below one
comes close to the bound; a saturating one trades memory for nonlinearity.

Effective spectral radius. A leaky reservoir h_t = (1 - a) h_{t-1} + a f(...) linearised
at zero has the Jacobian (1 - a) I + a W; its spectral radius, not W's, says how fast the
state forgets (below one: the echo state property of the linearisation).
"""

from __future__ import annotations

import numpy as np

from seqsuite.shared.checks import check_argument


def memory_capacity(reservoir, max_delay: int = 100, steps: int = 5000, washout: int = 200,
                    ridge: float = 1e-8, seed: int = 0) -> tuple[float, np.ndarray]:
    """(MC, MC_k for k = 1..max_delay) of `reservoir`, a layer or function mapping inputs
    (1, time, 1) to states (1, time, units) (a `Reservoir`, or a Keras RNN with
    `return_sequences`). The readouts fit on the first half of the steps after `washout`
    and are scored on the second half."""
    check_argument("max_delay", max_delay, low=1, integer=True)
    check_argument("steps", steps, low=4 * max_delay + washout, integer=True)
    u = np.random.default_rng(seed).uniform(-1, 1, steps).astype("float32")
    states = np.asarray(reservoir(u[None, :, None]), dtype="float64")[0]
    t = np.arange(washout + max_delay, steps)
    half = len(t) // 2
    x = np.column_stack([states[t], np.ones(len(t))])  # a bias, as the readouts have
    fit, test = x[:half], x[half:]
    gram = fit.T @ fit + ridge * np.eye(x.shape[1])
    targets = np.stack([u[t - k] for k in range(1, max_delay + 1)], axis=1)
    weights = np.linalg.solve(gram, fit.T @ targets[:half])
    recalled = test @ weights
    truth = targets[half:]
    centred_r, centred_t = recalled - recalled.mean(0), truth - truth.mean(0)
    capacity = (centred_r * centred_t).sum(0) ** 2 / (
        (centred_r ** 2).sum(0) * (centred_t ** 2).sum(0) + 1e-300)
    return float(capacity.sum()), capacity


def effective_spectral_radius(recurrent_kernel, leak_rate: float) -> float:
    """The spectral radius of (1 - a) I + a W: how fast a leaky reservoir forgets."""
    w = np.asarray(recurrent_kernel, dtype="float64")
    jacobian = (1.0 - leak_rate) * np.eye(len(w)) + leak_rate * w
    return float(np.max(np.abs(np.linalg.eigvals(jacobian))))
