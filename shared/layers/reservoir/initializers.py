"""Reservoir weight matrices as pure functions of `(shape, seed, ...)`.

As in ReservoirPy's `mat_gen`, a generator draws a (sparse) random matrix and
one wrapper, `rescale`, applies the spectral radius or the input scaling, once.
`mat_gen` chains the two; `ReservoirInitializer` is the same function as a
serializable Keras initializer, so layers can store it in their config.

Matrices are NumPy float64 arrays, dense even when sparse: on a 2-core CPU,
for 1000 units at 10% connectivity, XLA's dense matmul (28-80 µs a step,
depending on the machine) beat every gather of single entries we tried
(35-120 µs). What pays is sparsity in blocks (`block_size`): the product
gathers whole blocks, which XLA runs as small dense matmuls, 23 µs a step
for 50-unit blocks on the machine where the dense product took 57 µs.
"""

import math

import keras
import numpy as np

from seqsuite.shared.checks import check_argument

DISTRIBUTIONS = ("normal", "uniform", "bernoulli")
SPECTRAL_RADIUS_METHODS = ("auto", "eigenvalues", "power", "norm2")

# Above this size `method="auto"` estimates the spectral radius by power
# iteration: exact eigenvalues cost O(n^3) (0.3 s at n = 1000 on 2 cores, 1.3 s
# at 2000), 600 matrix-vector products O(n^2) and are within 0.1% (tested).
EXACT_MAX_UNITS = 500
POWER_ITERATIONS = 300


def check_connectivity(connectivity, name="connectivity"):
    """Raises unless `connectivity` is a fraction in (0, 1]."""
    check_argument(name, connectivity, 0, 1, low_open=True, kind="a fraction in (0, 1]")


def check_block_size(block_size, units, name="block_size"):
    """Raises unless `block_size` is `None` or a positive divisor of `units`."""
    if block_size is None:
        return
    check_argument(name, block_size, low=1, integer=True)
    if units % block_size:
        raise ValueError(
            f"Argument `{name}` must divide the number of units ({units}) so that the "
            f"blocks tile the matrix; pick a divisor of {units} or None. "
            f"Received: {name}={block_size}"
        )


def random_sparse(shape, seed, distribution="normal", connectivity=1.0, block_size=None):
    """A random matrix with exactly `round(connectivity * size)` non-zero entries.

    Non-zero positions are drawn uniformly without replacement (at least one),
    their values from `distribution`: `"normal"` (standard normal),
    `"uniform"` (uniform in [-1, 1]) or `"bernoulli"` (-1 or 1, equally likely).

    With `block_size = s`, the square matrix is cut into `s × s` blocks and
    the non-zeros come in whole blocks: every column of blocks keeps
    `k = max(1, round(connectivity * n / s))` blocks of rows: one along a
    random cycle through all the blocks (so that the blocks form one strongly
    connected whole), the others drawn without replacement. Every unit still
    reads about `connectivity * n` others, and the product `h W` costs `k`
    small dense matmuls per column of blocks (`Reservoir` runs it that way).
    On ReservoirPy's Mackey-Glass task such reservoirs predict as well as
    entry-wise sparse ones once `k >= 2` (benchmarks/reservoir.py); without
    the cycle they were worse on average (0.0031 against 0.0027 RMSE over 80
    seeds), and with `k = 1` each block of units hears one other block only.

    Args:
        shape: Tuple of ints.
        seed: Integer seed; the same seed gives the same matrix.
        distribution: One of `"normal"`, `"uniform"`, `"bernoulli"`.
            Default: `"normal"`.
        connectivity: Fraction of non-zero entries, in (0, 1]. Default: `1.0`.
        block_size: `None` (entry-wise sparsity) or a divisor of the side of
            a square `shape`. Default: `None`.

    Returns:
        A float64 NumPy array of `shape`.
    """
    if distribution not in DISTRIBUTIONS:
        raise ValueError(
            f"Argument `distribution` must be one of {DISTRIBUTIONS}. "
            f"Received: distribution={distribution!r}"
        )
    check_connectivity(connectivity)
    if block_size is not None:
        return _block_sparse(shape, seed, distribution, connectivity, block_size)
    rng = np.random.default_rng(seed)
    size = math.prod(shape)
    count = max(1, round(connectivity * size))
    values = _draw(rng, distribution, count)
    matrix = np.zeros(size)
    if count == size:
        matrix[:] = values
    else:
        matrix[rng.choice(size, count, replace=False)] = values
    return matrix.reshape(shape)


def _draw(rng, distribution, count):
    if distribution == "normal":
        return rng.standard_normal(count)
    if distribution == "uniform":
        return rng.uniform(-1.0, 1.0, count)
    return rng.choice(np.array([-1.0, 1.0]), count)


def _block_sparse(shape, seed, distribution, connectivity, block_size):
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ValueError(
            f"Block sparsity needs a square matrix. Received: shape={tuple(shape)}"
        )
    check_block_size(block_size, shape[0])
    blocks = shape[0] // block_size
    kept = max(1, round(connectivity * blocks))
    rng = np.random.default_rng(seed)
    # One row block of each column lies on a random cycle through all the blocks, so
    # that every block's activity reaches every other: drawn wholly at random, a few
    # seeds in a hundred split the reservoir into parts that never hear each other.
    order = rng.permutation(blocks)
    cycle = np.empty(blocks, dtype=int)
    cycle[order] = np.roll(order, -1)
    # (row block, row in block, column block, column in block)
    matrix = np.zeros((blocks, block_size, blocks, block_size))
    for column in range(blocks):
        others = np.delete(np.arange(blocks), cycle[column])
        rows = np.concatenate([[cycle[column]], rng.choice(others, kept - 1, replace=False)])
        matrix[rows, :, column, :] = _draw(rng, distribution, kept * block_size**2).reshape(
            kept, block_size, block_size
        )
    return matrix.reshape(shape)


def sparsify(matrix, connectivity, seed):
    """Keeps exactly `round(connectivity * size)` entries of `matrix` (at least one)."""
    check_connectivity(connectivity)
    matrix = np.asarray(matrix, dtype="float64")
    if connectivity == 1.0:
        return matrix
    mask = random_sparse(matrix.shape, seed, "bernoulli", connectivity) != 0
    return matrix * mask


def spectral_radius(matrix, method="auto"):
    """The largest absolute eigenvalue of a square matrix.

    Args:
        matrix: Square array.
        method: `"eigenvalues"` (exact, `numpy.linalg.eigvals`), `"power"`
            (power iteration: the mean log growth of a normalised vector over
            `POWER_ITERATIONS` products after as many warm-up products, which
            also converges when the dominant eigenvalues are a complex pair),
            or `"auto"`: exact up to `EXACT_MAX_UNITS` rows, power iteration
            above. Default: `"auto"`.

    Returns:
        A Python float.
    """
    check_spectral_radius_method(method, "method")
    return _spectral_radius(np.asarray(matrix, dtype="float64"), method)


def _spectral_radius(matrix, method):
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(
            f"The spectral radius needs a square matrix. Received: shape={matrix.shape}"
        )
    if method == "eigenvalues" or (method == "auto" and len(matrix) <= EXACT_MAX_UNITS):
        return float(np.max(np.abs(np.linalg.eigvals(matrix))))
    vector = np.random.default_rng(0).standard_normal(len(matrix))
    vector /= np.linalg.norm(vector)
    log_growth = 0.0
    for step in range(2 * POWER_ITERATIONS):
        vector = matrix @ vector
        norm = np.linalg.norm(vector)
        if norm == 0.0:  # nilpotent: every eigenvalue is 0
            return 0.0
        vector /= norm
        if step >= POWER_ITERATIONS:
            log_growth += math.log(norm)
    return math.exp(log_growth / POWER_ITERATIONS)


def rescale(matrix, spectral_radius=None, scaling=None, method="auto"):
    """Rescales a matrix to a spectral radius, or multiplies it by a scaling.

    The one place where reservoir matrices are scaled. With `spectral_radius`,
    the square `matrix` is multiplied by `spectral_radius / rho`, where `rho`
    is its spectral radius computed by `method` (see `spectral_radius`), or,
    with `method="norm2"`, its Frobenius norm `sqrt(sum(matrix ** 2))` (an
    upper bound of the spectral radius, as TensorFlow Addons' `use_norm2`).
    With `scaling`, a scalar multiplies every entry and a vector of
    `shape[0]` values multiplies each row: one value per input feature for an
    input matrix of shape `(features, units)`.

    Args:
        matrix: Array.
        spectral_radius: Positive float, or `None`. Default: `None`.
        scaling: Float or 1D array of `shape[0]` floats, or `None`.
            Default: `None`.
        method: `"auto"`, `"eigenvalues"`, `"power"` or `"norm2"`.
            Default: `"auto"`.

    Returns:
        A float64 NumPy array.
    """
    matrix = np.asarray(matrix, dtype="float64")
    if spectral_radius is not None and scaling is not None:
        raise ValueError(
            "Pass either `spectral_radius` or `scaling`, not both. "
            f"Received: spectral_radius={spectral_radius}, scaling={scaling}"
        )
    if spectral_radius is not None:
        check_spectral_radius(spectral_radius)
        if method not in SPECTRAL_RADIUS_METHODS:
            raise ValueError(
                f"Argument `method` must be one of {SPECTRAL_RADIUS_METHODS}. "
                f"Received: method={method!r}"
            )
        if method == "norm2":
            current = float(np.sqrt(np.sum(np.square(matrix))))
        else:
            current = _spectral_radius(matrix, method)
        if current == 0.0:
            raise ValueError(
                "The matrix has spectral radius 0, so no scaling can give it "
                f"spectral_radius={spectral_radius}; raise its connectivity. "
                f"Received: a {matrix.shape} matrix with {np.count_nonzero(matrix)} non-zeros"
            )
        return matrix * (spectral_radius / current)
    if scaling is not None:
        scaling = check_scaling(scaling, matrix.shape[0] if matrix.ndim else None)
        if scaling.ndim == 1:
            scaling = scaling.reshape((-1,) + (1,) * (matrix.ndim - 1))
        return matrix * scaling
    return matrix


def check_spectral_radius(value, name="spectral_radius"):
    """Raises unless `value` is a positive finite float."""
    check_argument(name, value, low=0, low_open=True)


def check_spectral_radius_method(method, name="spectral_radius_method"):
    """How a spectral radius may be estimated: `"auto"`, `"eigenvalues"` or `"power"`."""
    if method not in ("auto", "eigenvalues", "power"):
        raise ValueError(
            f"Argument `{name}` must be one of ('auto', 'eigenvalues', 'power'). "
            f"Received: {name}={method!r}"
        )


def check_scaling(scaling, features=None, name="scaling"):
    """`scaling` as a float64 array: a finite scalar or one value per feature."""
    try:
        array = np.asarray(scaling, dtype="float64")
    except (TypeError, ValueError):
        array = None
    if array is None or array.ndim > 1 or not np.all(np.isfinite(array)):
        raise ValueError(
            f"Argument `{name}` must be a finite float or a 1D list of finite floats, "
            f"one per input feature. Received: {name}={scaling!r}"
        )
    if array.ndim == 1 and features is not None and len(array) != features:
        raise ValueError(
            f"Argument `{name}` has {len(array)} values but the inputs have {features} "
            f"features; pass one value per feature or a single float. Received: {name}={scaling!r}"
        )
    return array


def mat_gen(
    shape,
    seed,
    distribution="normal",
    connectivity=1.0,
    spectral_radius=None,
    scaling=None,
    method="auto",
    block_size=None,
):
    """`rescale(random_sparse(shape, seed, distribution, connectivity, block_size), ...)`.

    Example:

    >>> w = mat_gen((100, 100), seed=1, connectivity=0.1, spectral_radius=1.25)
    >>> round(spectral_radius(w), 6)
    1.25
    >>> w_in = mat_gen((2, 100), seed=2, distribution="bernoulli", scaling=[1.0, 0.1])
    """
    matrix = random_sparse(shape, seed, distribution, connectivity, block_size)
    return rescale(matrix, spectral_radius=spectral_radius, scaling=scaling, method=method)


def spawn_seeds(seed, count):
    """`count` independent integer seeds from one seed: one per matrix.

    `None` draws fresh entropy, so the matrices differ at every call.
    """
    return [int(s) for s in np.random.SeedSequence(seed).generate_state(count)]


@keras.saving.register_keras_serializable(package="seqsuite")
class ReservoirInitializer(keras.initializers.Initializer):
    """`mat_gen` as a Keras initializer: same arguments, same matrix.

    Args:
        distribution: `"normal"`, `"uniform"` or `"bernoulli"`.
            Default: `"normal"`.
        connectivity: Fraction of non-zero entries, in (0, 1]. Default: `1.0`.
        spectral_radius: Target spectral radius (square shapes), or `None`.
            Default: `None`.
        scaling: Float, or one float per row (input feature), or `None`.
            Default: `None`.
        method: How the spectral radius is computed, see `rescale`.
            Default: `"auto"`.
        seed: Integer seed. `None` draws one now, so that the config (and a
            model rebuilt from it) gives the same matrix. Default: `None`.
        block_size: `None`, or the side of the blocks the non-zeros come in
            (see `random_sparse`). Default: `None`.

    Example:

    >>> init = ReservoirInitializer(connectivity=0.1, spectral_radius=0.9, seed=3)
    >>> layer = keras.layers.Dense(100, kernel_initializer=init)
    """

    def __init__(
        self,
        distribution="normal",
        connectivity=1.0,
        spectral_radius=None,
        scaling=None,
        method="auto",
        seed=None,
        block_size=None,
    ):
        self.distribution = distribution
        self.connectivity = connectivity
        self.spectral_radius = spectral_radius
        self.scaling = scaling.tolist() if isinstance(scaling, np.ndarray) else scaling
        self.method = method
        self.seed = spawn_seeds(None, 1)[0] if seed is None else int(seed)
        self.block_size = block_size
        if block_size is not None:
            check_argument("block_size", block_size, low=1, integer=True)
        # Fail at construction, not at the first call, on bad arguments.
        if distribution not in DISTRIBUTIONS:
            raise ValueError(
                f"Argument `distribution` must be one of {DISTRIBUTIONS}. "
                f"Received: distribution={distribution!r}"
            )
        check_connectivity(connectivity)
        if spectral_radius is not None:
            check_spectral_radius(spectral_radius)
        if scaling is not None:
            check_scaling(scaling)
        if method not in SPECTRAL_RADIUS_METHODS:
            raise ValueError(
                f"Argument `method` must be one of {SPECTRAL_RADIUS_METHODS}. "
                f"Received: method={method!r}"
            )

    def __call__(self, shape, dtype=None):
        matrix = mat_gen(
            tuple(shape),
            self.seed,
            self.distribution,
            self.connectivity,
            self.spectral_radius,
            self.scaling,
            self.method,
            self.block_size,
        )
        return keras.ops.convert_to_tensor(matrix, dtype=dtype)

    def get_config(self):
        return {
            "distribution": self.distribution,
            "connectivity": self.connectivity,
            "spectral_radius": self.spectral_radius,
            "scaling": self.scaling,
            "method": self.method,
            "seed": self.seed,
            "block_size": self.block_size,
        }

