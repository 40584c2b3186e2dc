"""Seeded generators of the standard reservoir-computing benchmark series.

Each function is pure: the same arguments give the same array. Continuous
systems are integrated with fourth-order Runge-Kutta at a fine step and sampled
every `dt`; an initial transient of `discard` samples is dropped so the series
starts on the attractor.
"""

from __future__ import annotations

import numpy as np

from seqsuite.shared.checks import check_argument


def _check(n_steps: int) -> None:
    check_argument("n_steps", n_steps, low=1, integer=True)


def mackey_glass(n_steps: int, tau: float = 17.0, beta: float = 0.2, gamma: float = 0.1,
                 n: float = 10.0, x0: float = 1.2, dt: float = 1.0, substeps: int = 10,
                 discard: int = 0, seed: int | None = 0) -> np.ndarray:
    """Mackey-Glass delay differential equation, sampled every `dt`.

        dx/dt = beta * x(t - tau) / (1 + x(t - tau)^n) - gamma * x(t)

    Integrated by RK4 with step h = dt / substeps; the delayed value at the
    half step is the mean of its neighbours on the grid. The history on
    [-tau, 0] is `x0`, plus uniform noise in [-0.1, 0.1] when `seed` is not None.
    tau = 17 gives the mildly chaotic regime used by Jaeger (2001, 2004).

    Returns:
        (n_steps,) float64 array.
    """
    _check(n_steps)
    h = dt / substeps
    lag = int(round(tau / h))
    rng = np.random.default_rng(seed)
    total = (n_steps + discard) * substeps
    x = np.empty(lag + total + 1)
    x[: lag + 1] = x0 + (rng.uniform(-0.1, 0.1, lag + 1) if seed is not None else 0.0)

    def f(xt, xd):
        return beta * xd / (1.0 + xd**n) - gamma * xt

    for i in range(lag, lag + total):
        xd0, xd1 = x[i - lag], x[i - lag + 1]
        xdm = 0.5 * (xd0 + xd1)
        k1 = f(x[i], xd0)
        k2 = f(x[i] + 0.5 * h * k1, xdm)
        k3 = f(x[i] + 0.5 * h * k2, xdm)
        k4 = f(x[i] + h * k3, xd1)
        x[i + 1] = x[i] + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    return x[lag + substeps :: substeps][discard : discard + n_steps]


def _rk4(f, state, n_steps, dt, substeps, discard):
    h = dt / substeps
    out = np.empty((n_steps + discard, len(state)))
    s = np.asarray(state, dtype=float)
    for i in range(n_steps + discard):
        for _ in range(substeps):
            k1 = f(s)
            k2 = f(s + 0.5 * h * k1)
            k3 = f(s + 0.5 * h * k2)
            k4 = f(s + h * k3)
            s = s + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        out[i] = s
    return out[discard:]


def lorenz(n_steps: int, sigma: float = 10.0, rho: float = 28.0, beta: float = 8.0 / 3.0,
           dt: float = 0.02, substeps: int = 4, discard: int = 500,
           seed: int | None = 0) -> np.ndarray:
    """Lorenz (1963) system, sampled every `dt`.

        dx/dt = sigma (y - x),  dy/dt = x (rho - z) - y,  dz/dt = x y - beta z

    The start is (1, 1, 1) plus standard-normal noise when `seed` is given.

    Returns:
        (n_steps, 3) array of x, y, z.
    """
    _check(n_steps)
    rng = np.random.default_rng(seed)
    start = np.ones(3) + (rng.normal(size=3) if seed is not None else 0.0)
    return _rk4(lambda s: np.array([sigma * (s[1] - s[0]), s[0] * (rho - s[2]) - s[1],
                                    s[0] * s[1] - beta * s[2]]),
                start, n_steps, dt, substeps, discard)


def rossler(n_steps: int, a: float = 0.2, b: float = 0.2, c: float = 5.7, dt: float = 0.1,
            substeps: int = 4, discard: int = 500, seed: int | None = 0) -> np.ndarray:
    """Rössler (1976) system, sampled every `dt`.

        dx/dt = -y - z,  dy/dt = x + a y,  dz/dt = b + z (x - c)

    Returns:
        (n_steps, 3) array of x, y, z.
    """
    _check(n_steps)
    rng = np.random.default_rng(seed)
    start = np.array([1.0, 1.0, 0.0]) + (rng.normal(size=3) if seed is not None else 0.0)
    return _rk4(lambda s: np.array([-s[1] - s[2], s[0] + a * s[1], b + s[2] * (s[0] - c)]),
                start, n_steps, dt, substeps, discard)


def henon(n_steps: int, a: float = 1.4, b: float = 0.3, discard: int = 100,
          seed: int | None = 0) -> np.ndarray:
    """Hénon (1976) map: x' = 1 - a x^2 + y,  y' = b x.

    Returns:
        (n_steps, 2) array of x, y.
    """
    _check(n_steps)
    rng = np.random.default_rng(seed)
    x, y = (rng.uniform(-0.1, 0.1, 2) if seed is not None else (0.0, 0.0))
    out = np.empty((n_steps + discard, 2))
    for i in range(n_steps + discard):
        x, y = 1.0 - a * x * x + y, b * x
        out[i] = x, y
    return out[discard:]


def logistic_map(n_steps: int, r: float = 3.9, discard: int = 100,
                 seed: int | None = 0) -> np.ndarray:
    """Logistic map x' = r x (1 - x); r = 3.9 is chaotic.

    Returns:
        (n_steps,) array in (0, 1).
    """
    _check(n_steps)
    check_argument("r", r, 0, 4, low_open=True)
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.1, 0.9) if seed is not None else 0.5
    out = np.empty(n_steps + discard)
    for i in range(n_steps + discard):
        x = r * x * (1.0 - x)
        out[i] = x
    return out[discard:]


# (alpha, beta, gamma, delta) of  y(t+1) = alpha y(t) + beta y(t) sum_{i<order} y(t-i)
#                                          + gamma u(t-order+1) u(t) + delta
_NARMA_COEFFICIENTS = {10: (0.3, 0.05, 1.5, 0.1), 30: (0.2, 0.004, 1.5, 0.001)}


def narma(n_steps: int, order: int = 10, seed: int | None = 0,
          discard: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """NARMA system identification task (Atiya & Parlos 2000).

        y(t+1) = alpha y(t) + beta y(t) sum_{i=0}^{order-1} y(t-i)
                 + gamma u(t-order+1) u(t) + delta,      u(t) ~ U(0, 0.5)

    with (alpha, beta, gamma, delta) = (0.3, 0.05, 1.5, 0.1) for order 10 and
    (0.2, 0.004, 1.5, 0.001) for order 30; other orders use the order-10 values.
    The task maps u to y; `y[t]` is the response after seeing `u[:t+1]`.

    Returns:
        (u, y), each (n_steps,).
    """
    _check(n_steps)
    check_argument("order", order, low=1, integer=True)
    alpha, beta, gamma, delta = _NARMA_COEFFICIENTS.get(order, _NARMA_COEFFICIENTS[10])
    rng = np.random.default_rng(seed)
    total = n_steps + discard + 1
    u = rng.uniform(0.0, 0.5, total)
    y = np.zeros(total)
    for t in range(order - 1, total - 1):
        y[t + 1] = (alpha * y[t] + beta * y[t] * y[t - order + 1 : t + 1].sum()
                    + gamma * u[t - order + 1] * u[t] + delta)
    if not np.all(np.isfinite(y)) or np.abs(y).max() > 1e3:
        raise ValueError(f"NARMA{order} diverged for seed={seed}; use another seed")
    # The target at step t is y(t+1) above: it depends on inputs up to u(t) only.
    return u[discard : discard + n_steps], y[discard + 1 : discard + 1 + n_steps]


GENERATORS = {
    "mackey_glass": mackey_glass,
    "lorenz": lorenz,
    "rossler": rossler,
    "henon": henon,
    "logistic_map": logistic_map,
    "narma": narma,
}
