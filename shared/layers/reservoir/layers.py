"""`Reservoir` (a whole sequence in one compiled loop) and `RidgeReadout`."""

import keras
import numpy as np
import tensorflow as tf
from keras import activations, initializers, ops

from seqsuite.shared.checks import check_argument
from seqsuite.shared.layers.replicas import local_replicas, sum_over_replicas
from seqsuite.shared.layers.reservoir import initializers as mat_gen
from seqsuite.shared.layers.reservoir.cell import ESNCell, esn_step


# XLA, not the generic `keras.layers.RNN` loop: on a CPU a TensorFlow while
# loop costs about 75 µs of kernel dispatch per step on top of the matmul,
# while XLA runs a 100-unit step in under 1 µs (benchmarks/reservoir.py).
@tf.function(jit_compile=True, reduce_retracing=True)
def integrate(
    drive, initial_state, recurrent_kernel, leak_rate, activation, return_sequences, readout=None
):
    """Runs `h_t = (1 - a) h_{t-1} + a f(drive_t + h_{t-1} W)` (`esn_step`) over time.

    Args:
        drive: `(batch, time, units)`, everything inside `f` but `h_{t-1} W`.
        initial_state: `(batch, units)`.
        recurrent_kernel: `W`, `(units, units)`, or its `nonzero_blocks`.
        leak_rate: Scalar tensor `a` (a tensor, so that a new value does not
            trace the loop again).
        activation: Callable `f`.
        return_sequences: Python bool, whether to return every state.
        readout: `None`, or `(W_out, b_out)`: the sequence returned is then
            `h_t W_out + b_out`, computed inside the loop, so that the states
            of a long series are never all in memory.

    Returns:
        `(states, last)`: every state `(batch, time, units)` or output
        `(batch, time, outputs)` (or `None`) and the last state `(batch, units)`.
    """
    drive = tf.transpose(drive, [1, 0, 2])  # (time, batch, units): one slice per step
    steps = tf.shape(drive)[0]

    def step(t, h):
        return esn_step(drive[t], h, recurrent_kernel, leak_rate, activation)

    if not return_sequences:
        _, last = tf.while_loop(
            lambda t, h: t < steps, lambda t, h: (t + 1, step(t, h)), (0, initial_state)
        )
        return None, last

    def emitted(h):
        return h if readout is None else tf.matmul(h, readout[0]) + readout[1]

    def body(t, h, states):
        h = step(t, h)
        return t + 1, h, states.write(t, emitted(h))

    states = tf.TensorArray(
        drive.dtype, size=steps, element_shape=emitted(initial_state).shape
    )
    _, last, states = tf.while_loop(lambda t, *_: t < steps, body, (0, initial_state, states))
    return tf.transpose(states.stack(), [1, 0, 2]), last


def nonzero_blocks(kernel, block_size):
    """`(sources, blocks)`: `kernel` as its non-zero `block_size`-square blocks.

    For column block `o` of `W` (the units `o*s ... o*s + s - 1`),
    `sources[o]` are the row blocks it reads and `blocks[o, j]` the block
    `W[sources[o, j]]` → `o`, so that `h W = Σ_j h[sources[o, j]] blocks[o, j]`
    (`block_matmul`). Every column keeps as many blocks as the fullest one
    (zero blocks fill the others), so the product is exact for any matrix;
    it only pays when the non-zeros come in few blocks
    (`initializers.random_sparse(block_size=...)`).

    Args:
        kernel: `(units, units)` tensor.
        block_size: Python int that divides `units`.

    Returns:
        `sources` `(units / s, k)` int32 and `blocks` `(units / s, k, s, s)`.
    """
    count = kernel.shape[0] // block_size
    tiles = tf.reshape(kernel, (count, block_size, count, block_size))
    tiles = tf.transpose(tiles, (2, 0, 1, 3))  # (column block, row block, s, s)
    mass = tf.reduce_sum(tf.abs(tiles), axis=(2, 3))
    # The fullest column sets k; a tensor, so that a traced graph reads it from the weights.
    kept = tf.maximum(tf.reduce_max(tf.math.count_nonzero(mass, axis=1, dtype=tf.int32)), 1)
    sources = tf.math.top_k(mass, kept, sorted=False).indices
    return sources, tf.gather(tiles, sources, batch_dims=1)


def check_finite(values, name="inputs"):
    """Raises on NaN or infinity in an eager tensor or array; graphs are not checked."""
    if tf.is_symbolic_tensor(values) or isinstance(values, keras.KerasTensor):
        return
    array = ops.convert_to_numpy(values)
    # One pass without a temporary mask: a finite sum means finite values (an
    # overflow of the sum only sends us to the exact check below).
    if np.isfinite(np.sum(array)):
        return
    if not np.all(np.isfinite(array)):
        where = np.argwhere(~np.isfinite(array))[0].tolist()
        raise ValueError(
            f"The {name} contain NaN or infinite values (first at index {where}); "
            "a reservoir would carry them into every later state. "
            f"Received: {name} with {np.count_nonzero(~np.isfinite(array))} non-finite values"
        )


@keras.saving.register_keras_serializable(package="seqsuite")
class Reservoir(keras.layers.Layer):
    """A fixed random recurrent layer that returns the states of an echo state network.

    The update is `ESNCell`'s (the layer owns one, `cell`, with its weights),
    written here with ReservoirPy's names: with `a` the `leak_rate`,

    ```
    h_t = (1 - a) h_{t-1} + a f(x_t W_in + h_{t-1} W + y_{t-1} W_fb + b + ε_t)
    ```

    `W` is drawn from `distribution` with a fraction `connectivity` of
    non-zeros and rescaled to `spectral_radius`; `W_in` is drawn from
    `input_distribution` with a fraction `input_connectivity` of non-zeros
    and multiplied by `input_scaling` (one value, or one per input feature);
    `b` is `bias_scaling` times `input_distribution` draws; `W_fb`, when
    `feedback_units > 0`, is drawn like `W_in` and multiplied by
    `feedback_scaling`. Each matrix has its own seed, spawned from `seed`
    (`initializers.spawn_seeds`). No weight is trainable.

    The whole batch of sequences runs in one XLA-compiled loop; the input
    projection of every step is one matmul before the loop. With
    `block_size`, `W`'s non-zeros come in square blocks
    (`initializers.random_sparse`) and the loop multiplies by those blocks
    only (`nonzero_blocks`): for 1000 units at 10% connectivity in 50-unit
    blocks, 2.5-3× fewer seconds per step than the dense product on 2 CPU
    cores (benchmarks/reservoir.py), with the same predictions on average.

    Args:
        units: Positive integer, the number of reservoir units.
        spectral_radius: Positive float, spectral radius of `W`. Default: `0.9`.
        leak_rate: Leak rate `a` in (0, 1]. Default: `1.0`.
        input_scaling: Float, or list of one float per input feature.
            Default: `1.0`.
        connectivity: Fraction of non-zero recurrent weights, in (0, 1].
            Default: `0.1`.
        input_connectivity: Fraction of non-zero input weights, in (0, 1].
            Default: `0.1`.
        bias_scaling: Non-negative float; `0` means no bias. Default: `0.0`.
        feedback_units: Non-negative integer, how many trailing input features
            are output feedback `y_{t-1}`. Default: `0`.
        feedback_scaling: Float, scale of `W_fb`. Default: `1.0`.
        distribution: Distribution of `W`: `"normal"`, `"uniform"` or
            `"bernoulli"` (see `initializers.random_sparse`).
            Default: `"normal"`.
        input_distribution: Distribution of `W_in`, `W_fb` and `b`.
            Default: `"bernoulli"`.
        activation: Activation `f`. Default: `"tanh"`.
        noise_stddev: Non-negative float, standard deviation of the state
            noise `ε_t`, drawn only when `training=True`. Default: `0.0`.
        washout: Non-negative integer, how many initial states to drop from
            the returned sequence. Default: `0`.
        spectral_radius_method: `"auto"`, `"eigenvalues"` or `"power"`, see
            `initializers.spectral_radius`. Default: `"auto"`.
        block_size: `None` (entry-wise sparse `W`) or a divisor of `units`:
            the side of the square blocks `W`'s non-zeros come in, at least
            two per column of blocks for a good reservoir (`units / block_size
            >= 2 / connectivity`: 50 for 1000 units at 10%). Default: `None`.
        return_sequences: Whether to return every state (after the washout)
            or only the last one. Default: `True`.
        return_state: Whether to also return the last state. Default: `False`.
        seed: Integer seed for the matrices and the noise. Default: `None`.
        **kwargs: Base layer arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: A 3D tensor `(batch, time, features + feedback_units)`.
        initial_state: Optional `(batch, units)` tensor; zeros by default.
        training: Python boolean, whether the state noise is active.

    Example:

    >>> reservoir = Reservoir(100, spectral_radius=1.25, leak_rate=0.3, seed=0)
    >>> reservoir(np.random.random((4, 50, 1))).shape
    (4, 50, 100)
    """

    def __init__(
        self,
        units,
        spectral_radius=0.9,
        leak_rate=1.0,
        input_scaling=1.0,
        connectivity=0.1,
        input_connectivity=0.1,
        bias_scaling=0.0,
        feedback_units=0,
        feedback_scaling=1.0,
        distribution="normal",
        input_distribution="bernoulli",
        activation="tanh",
        noise_stddev=0.0,
        washout=0,
        spectral_radius_method="auto",
        block_size=None,
        return_sequences=True,
        return_state=False,
        seed=None,
        **kwargs,
    ):
        check_argument("units", units, low=1, integer=True)
        mat_gen.check_block_size(block_size, units)
        mat_gen.check_spectral_radius(spectral_radius)
        check_argument("leak_rate", leak_rate, 0, 1, low_open=True)
        mat_gen.check_scaling(input_scaling, name="input_scaling")
        mat_gen.check_connectivity(input_connectivity, "input_connectivity")
        check_argument("bias_scaling", bias_scaling, low=0)
        mat_gen.check_scaling(feedback_scaling, name="feedback_scaling")
        check_argument("washout", washout, low=0, integer=True)
        for name, value in (
            ("distribution", distribution),
            ("input_distribution", input_distribution),
        ):
            if value not in mat_gen.DISTRIBUTIONS:
                raise ValueError(
                    f"Argument `{name}` must be one of {mat_gen.DISTRIBUTIONS}. "
                    f"Received: {name}={value!r}"
                )
        mat_gen.check_spectral_radius_method(spectral_radius_method)
        super().__init__(**kwargs)
        self.units = int(units)
        self.spectral_radius = spectral_radius
        self.leak_rate = leak_rate
        self.input_scaling = (
            input_scaling.tolist() if isinstance(input_scaling, np.ndarray) else input_scaling
        )
        self.connectivity = connectivity
        self.input_connectivity = input_connectivity
        self.bias_scaling = bias_scaling
        self.feedback_units = feedback_units
        self.feedback_scaling = feedback_scaling
        self.distribution = distribution
        self.input_distribution = input_distribution
        self.noise_stddev = noise_stddev
        self.washout = int(washout)
        self.spectral_radius_method = spectral_radius_method
        self.block_size = None if block_size is None else int(block_size)
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.seed = seed
        input_seed, recurrent_seed, bias_seed, feedback_seed, cell_seed = mat_gen.spawn_seeds(
            seed, 5
        )

        def drawn_like_inputs(scaling, connectivity, matrix_seed):
            return mat_gen.ReservoirInitializer(
                input_distribution, connectivity, scaling=scaling, seed=matrix_seed
            )

        self.cell = ESNCell(
            self.units,
            # The initializer sets the connectivity and the spectral radius of
            # `W` itself, from one seed, so the cell must leave it as it is.
            connectivity=1.0,
            spectral_radius=None,
            leaky=leak_rate,
            use_bias=bias_scaling > 0,
            activation=activation,
            kernel_initializer=drawn_like_inputs(input_scaling, input_connectivity, input_seed),
            recurrent_initializer=mat_gen.ReservoirInitializer(
                distribution,
                connectivity,
                spectral_radius=spectral_radius,
                method=spectral_radius_method,
                seed=recurrent_seed,
                block_size=self.block_size,
            ),
            bias_initializer=drawn_like_inputs(bias_scaling or 1.0, 1.0, bias_seed),
            feedback_units=feedback_units,
            feedback_initializer=drawn_like_inputs(
                feedback_scaling, input_connectivity, feedback_seed
            ),
            noise_stddev=noise_stddev,
            seed=None if seed is None else cell_seed,
            dtype=self.dtype_policy,
            name="cell",
        )

    def build(self, input_shape):
        self.cell.build(input_shape)

    @property
    def activation(self):
        return self.cell.activation

    def run(
        self, drive, initial_state=None, recurrent_kernel=None, return_sequences=True,
        readout=None,
    ):
        """The loop alone: states from a precomputed drive (see `ESNCell.input_drive`).

        `recurrent_kernel` replaces `W`; `ESN` uses it to close the loop
        through the readout. A `block_size` layer multiplies by the blocks of
        its own `W`, and by a replacement densely. `readout=(W_out, b_out)`
        returns `h_t W_out + b_out` instead of the states (see `integrate`).
        """
        if initial_state is None:
            initial_state = ops.zeros((ops.shape(drive)[0], self.units), dtype=drive.dtype)
        return integrate(
            drive,
            ops.cast(initial_state, drive.dtype),
            self.recurrent_operand(recurrent_kernel),
            ops.convert_to_tensor(self.leak_rate, dtype=drive.dtype),
            self.cell.activation,
            return_sequences,
            readout,
        )

    def check_states(self, last):
        """Raises when the states diverged: finite inputs gave a non-finite last state.

        Only an unbounded activation can do it (tanh states stay in [-1, 1]); the
        last state suffices, as a non-finite value never returns to finite.
        """
        if tf.is_symbolic_tensor(last) or isinstance(last, keras.KerasTensor):
            return
        if not np.all(np.isfinite(ops.convert_to_numpy(last))):
            raise ValueError(
                f"The states of reservoir '{self.name}' diverged to NaN or infinity: with "
                f"activation={activations.serialize(self.cell.activation)!r} the update is "
                "unbounded; lower spectral_radius (now "
                f"{self.spectral_radius}) or input_scaling, or use activation='tanh'"
            )

    def recurrent_operand(self, recurrent_kernel=None):
        """What the loop multiplies `h_{t-1}` by: `W` as a tensor, or its `nonzero_blocks`.

        A tensor, not the variable: `integrate` is shared by every layer, and a
        trace that captured a variable fails once that is deleted. A
        `recurrent_kernel` given in place of `W` is used densely.
        """
        kernel = self.cell.recurrent_kernel if recurrent_kernel is None else recurrent_kernel
        if isinstance(kernel, keras.Variable):
            kernel = kernel.value
        kernel = tf.convert_to_tensor(kernel)
        if recurrent_kernel is None and self.block_size is not None:
            return nonzero_blocks(kernel, self.block_size)
        return kernel

    def call(self, inputs, initial_state=None, training=False):
        check_finite(inputs)
        drive = self.cell.input_drive(inputs, training)  # (batch, time, units)
        states, last = self.run(drive, initial_state, return_sequences=self.return_sequences)
        self.check_states(last)
        outputs = states[:, self.washout :] if self.return_sequences else last
        return [outputs, last] if self.return_state else outputs

    def compute_output_shape(self, input_shape):
        if self.return_sequences:
            time = input_shape[1]
            time = None if time is None else max(time - self.washout, 0)
            outputs = (input_shape[0], time, self.units)
        else:
            outputs = (input_shape[0], self.units)
        return [outputs, (input_shape[0], self.units)] if self.return_state else outputs

    def get_config(self):
        config = {
            "units": self.units,
            "spectral_radius": self.spectral_radius,
            "leak_rate": self.leak_rate,
            "input_scaling": self.input_scaling,
            "connectivity": self.connectivity,
            "input_connectivity": self.input_connectivity,
            "bias_scaling": self.bias_scaling,
            "feedback_units": self.feedback_units,
            "feedback_scaling": self.feedback_scaling,
            "distribution": self.distribution,
            "input_distribution": self.input_distribution,
            "activation": activations.serialize(self.cell.activation),
            "noise_stddev": self.noise_stddev,
            "washout": self.washout,
            "spectral_radius_method": self.spectral_radius_method,
            "block_size": self.block_size,
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "seed": self.seed,
        }
        base_config = super().get_config()
        return {**base_config, **config}


_ROWS_PER_BLOCK = 4096


@keras.saving.register_keras_serializable(package="seqsuite")
class RidgeReadout(keras.layers.Layer):
    """A linear readout fitted in closed form by ridge regression.

    `call` is a `Dense` layer without activation: `y = x W + b`. The
    closed-form fit streams: `update_statistics(x, y)` adds one batch to the
    float64 sums `XᵀX`, `XᵀY`, `Σx`, `Σy` and the count `n` (so the data never
    has to be in memory at once), and `solve()` sets

    ```
    W = solve(XᵀX + λI, XᵀY)                        use_bias=False
    W = solve(X̃ᵀX̃ + λI, X̃ᵀỸ),  b = ȳ - x̄ W         use_bias=True
    ```

    where `X̃ = X - x̄`, `Ỹ = Y - ȳ` are centred with the means over all
    rows (computed from the sums, not from a second pass): the bias is not
    regularised, as in ReservoirPy's `Ridge`. Leading axes (batch, time) are
    flattened into rows. `W` and `b` are ordinary trainable weights, so the
    readout can be fine-tuned by gradient descent after the fit.

    Under a `tf.distribute` strategy scope (`seqsuite train --strategy`), as
    with `keras.Model.fit`, every process passes the same batches: the rows
    of each batch are cut into `R` equal contiguous shares, one per replica
    in sync, a process sums only its replicas' shares, and `solve()` adds the
    sums of all processes with the strategy's all-reduce before solving, so
    every worker holds the same `W` and `b`:

    ```
    XᵀX = Σ_r X_rᵀX_r,  XᵀY = Σ_r X_rᵀY_r,  Σx = Σ_r Σx_r,  Σy = Σ_r Σy_r,  n = Σ_r n_r
    ```

    Outside any scope there is one replica, whose share is every row: the
    same code, and the sum is the identity.

    Args:
        units: Positive integer, the number of outputs.
        ridge: Non-negative float, the regularisation `λ`. Default: `1e-6`.
        use_bias: Whether to fit and add a bias `b`. Default: `True`.
        kernel_initializer: Initializer for `kernel` before any fit.
            Default: `"zeros"`.
        bias_initializer: Initializer for `bias` before any fit.
            Default: `"zeros"`.
        **kwargs: Base layer arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: A tensor `(..., features)`.

    Example:

    >>> x, y = np.random.random((500, 8)), np.random.random((500, 2))
    >>> readout = RidgeReadout(2, ridge=1e-3).fit_closed_form(x, y)
    >>> readout(np.random.random((4, 8))).shape
    (4, 2)
    """

    def __init__(
        self,
        units,
        ridge=1e-6,
        use_bias=True,
        kernel_initializer="zeros",
        bias_initializer="zeros",
        **kwargs,
    ):
        check_argument("units", units, low=1, integer=True)
        check_argument("ridge", ridge, low=0)
        super().__init__(**kwargs)
        self.units = int(units)
        self.ridge = ridge
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.reset_statistics()

    def build(self, input_shape):
        self.kernel = self.add_weight(
            name="kernel", shape=(input_shape[-1], self.units), initializer=self.kernel_initializer
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(self.units,), initializer=self.bias_initializer
            )

    def call(self, inputs):
        outputs = ops.matmul(inputs, self.kernel)
        if self.use_bias:
            outputs = outputs + self.bias
        return outputs

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def reset_statistics(self):
        """Forgets every batch seen by `update_statistics`."""
        self._xtx = self._xty = self._x_sum = self._y_sum = None
        self._count = 0

    def update_statistics(self, x, y):
        """Adds a batch: `x (..., features)` and targets `y (..., units)` (under a
        strategy, the rows of this process's replicas' shares)."""
        x, y = ops.convert_to_numpy(x), ops.convert_to_numpy(y)
        check_finite(x, "readout inputs")
        check_finite(y, "targets")
        if y.shape[-1] != self.units or x.shape[:-1] != y.shape[:-1]:
            raise ValueError(
                f"Expected inputs (..., features) and targets (..., {self.units}) with the same "
                f"leading shape. Received: x.shape={x.shape}, y.shape={y.shape}"
            )
        x = x.reshape(-1, x.shape[-1])
        y = y.reshape(-1, self.units)
        if self._xtx is None:
            # Zeros even when this process's share turns out empty: every
            # process must give `solve`'s all-reduce arrays of the same shape.
            features = x.shape[-1]
            self._xtx = np.zeros((features, features))
            self._xty = np.zeros((features, self.units))
            self._x_sum = np.zeros(features)
            self._y_sum = np.zeros(self.units)
        elif x.shape[-1] != len(self._xtx):
            raise ValueError(
                f"Every batch must have {len(self._xtx)} features, as the first had. "
                f"Received: x.shape={x.shape}"
            )
        replicas, total = local_replicas()
        ends = [len(x) * r // total for r in range(total + 1)]
        for replica in replicas:
            self._add_rows(x[ends[replica] : ends[replica + 1]], y[ends[replica] : ends[replica + 1]])

    def _add_rows(self, x, y):
        # Float64 sums (float32 ones would be swamped by rounding at a small
        # ridge), taken over row blocks so that the float64 copy stays small.
        for start in range(0, len(x), _ROWS_PER_BLOCK):
            x_block = np.asarray(x[start : start + _ROWS_PER_BLOCK], dtype="float64")
            y_block = np.asarray(y[start : start + _ROWS_PER_BLOCK], dtype="float64")
            # `a.T @ a` on one array lets BLAS use a symmetric rank-k update.
            self._xtx += x_block.T @ x_block
            self._xty += x_block.T @ y_block
            self._x_sum += x_block.sum(axis=0)
            self._y_sum += y_block.sum(axis=0)
        self._count += len(x)

    def statistics(self):
        """`(XᵀX, XᵀY, Σx, Σy, n)` over every replica's share (all-reduced), float64."""
        if self._xtx is None:
            raise ValueError(
                "No data to fit: call `update_statistics(x, y)` with at least one row first."
            )
        parts = (self._xtx, self._xty, self._x_sum, self._y_sum, np.array([self._count], "float64"))
        # One all-reduce for the five sums; the count is exact in float64 below 2**53 rows.
        summed = sum_over_replicas(np.concatenate([p.ravel() for p in parts]))
        out, start = [], 0
        for p in parts:
            out.append(summed[start : start + p.size].reshape(p.shape))
            start += p.size
        *sums, count = out
        return (*sums, int(count[0]))

    def solve(self):
        """Sets `kernel` and `bias` from the accumulated statistics, summed over
        the replicas (a collective under `multi_worker`); returns `self`."""
        xtx, xty, x_sum, y_sum, count = self.statistics()
        if not count:
            raise ValueError(
                "No data to fit: call `update_statistics(x, y)` with at least one row first."
            )
        if self.use_bias:
            x_mean, y_mean = x_sum / count, y_sum / count
            xtx = xtx - count * np.outer(x_mean, x_mean)
            xty = xty - count * np.outer(x_mean, y_mean)
        try:
            kernel = np.linalg.solve(xtx + self.ridge * np.eye(len(xtx)), xty)
        except np.linalg.LinAlgError as error:
            raise ValueError(
                f"The ridge system is singular ({error}); use a positive ridge. "
                f"Received: ridge={self.ridge}"
            ) from None
        if not self.built:
            self.build((None, len(xtx)))
        self.kernel.assign(kernel.astype(self.kernel.dtype))
        if self.use_bias:
            self.bias.assign((y_mean - x_mean @ kernel).astype(self.bias.dtype))
        return self

    def fit_closed_form(self, x, y=None):
        """Fits in closed form on arrays `x`, `y` or a dataset of `(x, y)` batches."""
        self.reset_statistics()
        batches = [(x, y)] if y is not None else x
        for x_batch, y_batch in batches:
            self.update_statistics(x_batch, y_batch)
        return self.solve()

    def get_config(self):
        config = {
            "units": self.units,
            "ridge": self.ridge,
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        }
        base_config = super().get_config()
        return {**base_config, **config}
