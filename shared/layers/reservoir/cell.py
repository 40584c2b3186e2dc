"""The echo state network cell (Jaeger 2001), usable in `keras.layers.RNN`."""

import numbers

import keras
from keras import activations, initializers, ops

from seqsuite.shared.checks import check_argument
from seqsuite.shared.layers.reservoir import initializers as mat_gen


def block_matmul(h, sources, blocks):
    """`h W` for `W` given as `Reservoir`'s `nonzero_blocks(W, s)`; `h` is `(batch, units)`."""
    # Shapes from the tensors: a loop traced for any size sees no static ones.
    count, block_size = ops.shape(blocks)[0], ops.shape(blocks)[-1]
    gathered = ops.take(ops.reshape(h, (-1, count, block_size)), sources, axis=1)
    product = ops.einsum("boki,okij->boj", gathered, blocks)
    return ops.reshape(product, ops.shape(h))


def recurrent_product(h, recurrent_kernel):
    """`h W`, with `W` a `(units, units)` matrix or its `nonzero_blocks`."""
    if isinstance(recurrent_kernel, tuple):
        return block_matmul(h, *recurrent_kernel)
    return ops.matmul(h, recurrent_kernel)


def esn_step(drive, h_prev, recurrent_kernel, leak_rate, activation):
    """One echo-state update, `h_t = (1 - a) h_{t-1} + a f(drive_t + h_{t-1} W)`.

    `drive_t` is every term inside `f` but `h_{t-1} W` (`ESNCell.input_drive`).
    A Python `leak_rate` of 1 skips the leak, as TensorFlow Addons did; a
    tensor `leak_rate` (in `Reservoir`'s compiled loop, so that a new value does
    not trace it again) always applies it, which for `a = 1` gives the same
    numbers.

    Args:
        drive: `(batch, units)`.
        h_prev: `h_{t-1}`, `(batch, units)`.
        recurrent_kernel: `W`, `(units, units)`, or its `nonzero_blocks`.
        leak_rate: `a` in (0, 1], a Python float or a scalar tensor.
        activation: Callable `f`.

    Returns:
        `h_t`, `(batch, units)`.
    """
    h = activation(drive + recurrent_product(h_prev, recurrent_kernel))
    if isinstance(leak_rate, numbers.Real) and leak_rate == 1:
        return h
    return (1 - leak_rate) * h_prev + leak_rate * h


@keras.saving.register_keras_serializable(package="seqsuite")
class ESNCell(keras.layers.Layer):
    """Echo state network cell: fixed random weights and leaky integration.

    Same arguments, weights (created in the same order) and arithmetic as
    TensorFlow Addons' `tfa.rnn.ESNCell`, plus output feedback, state noise
    and seeds. With `W_in` the `kernel`, `W` the `recurrent_kernel`, `b` the
    `bias`, `W_fb` the `feedback_kernel`, `a` the leak rate `leaky` and `f`
    the `activation`:

    ```
    z_t = x_t W_in + h_{t-1} W + y_{t-1} W_fb + b + ε_t,   ε_t ~ N(0, noise_stddev²)
    h_t = (1 - a) h_{t-1} + a f(z_t)
    ```

    The inputs are `concat([x_t, y_{t-1}])`: the last `feedback_units`
    features are the previous output `y_{t-1}` (the target during training,
    teacher forcing). The noise `ε_t` is drawn only when `training=True`.
    No weight is trainable.

    The recurrent matrix is `recurrent_initializer`'s matrix with all but
    `round(connectivity * units²)` entries, chosen at random with `seed`, set
    to zero (TensorFlow Addons kept each entry with probability
    `connectivity`, unseeded), then multiplied by
    `spectral_radius / ρ`, where `ρ` is its spectral radius or, with
    `use_norm2=True`, its Frobenius norm `sqrt(Σ W_ij²)` (an upper bound of
    the spectral radius; what TensorFlow Addons called the 2-norm).
    `spectral_radius=None` and `connectivity=1.0` keep the initializer's
    matrix as it is, for initializers that already set both, such as
    `ReservoirInitializer`.

    Args:
        units: Positive integer, the number of reservoir units.
        connectivity: Fraction of recurrent weights kept, in (0, 1].
            Default: `0.1`.
        leaky: Leak rate `a` in (0, 1]; `1` is no leaky integration.
            Default: `1.0`.
        spectral_radius: Positive float, the spectral radius of `W`, or
            `None` to keep the initializer's scale. Default: `0.9`.
        use_norm2: Whether to rescale by the Frobenius norm instead of the
            spectral radius. Default: `False`.
        use_bias: Whether the cell adds a bias vector. Default: `True`.
        activation: Activation `f`. Default: `"tanh"`.
        kernel_initializer: Initializer for `kernel`, shape
            `(features, units)`. Default: `"glorot_uniform"`.
        recurrent_initializer: Initializer for `recurrent_kernel` before
            masking and rescaling. Default: `"glorot_uniform"`.
        bias_initializer: Initializer for `bias`. Default: `"zeros"`.
        feedback_units: Non-negative integer, how many trailing input features
            are output feedback. Default: `0`.
        feedback_initializer: Initializer for `feedback_kernel`, shape
            `(feedback_units, units)`. Default: `"glorot_uniform"`.
        noise_stddev: Non-negative float, standard deviation of the state
            noise. Default: `0.0`.
        spectral_radius_method: `"auto"`, `"eigenvalues"` or `"power"`, see
            `initializers.spectral_radius`. Default: `"auto"`.
        seed: Integer seed for the connectivity mask and the noise.
            Default: `None`.
        **kwargs: Base layer arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: A 2D tensor of shape `(batch, features + feedback_units)`.
        states: List `[h_{t-1}]` of shape `(batch, units)`.
        training: Python boolean, whether the noise is active.
            Default: `False`.

    Example:

    >>> inputs = np.random.random((32, 10, 8))
    >>> rnn = keras.layers.RNN(ESNCell(100, leaky=0.3), return_sequences=True)
    >>> rnn(inputs).shape
    (32, 10, 100)
    """

    def __init__(
        self,
        units,
        connectivity=0.1,
        leaky=1.0,
        spectral_radius=0.9,
        use_norm2=False,
        use_bias=True,
        activation="tanh",
        kernel_initializer="glorot_uniform",
        recurrent_initializer="glorot_uniform",
        bias_initializer="zeros",
        feedback_units=0,
        feedback_initializer="glorot_uniform",
        noise_stddev=0.0,
        spectral_radius_method="auto",
        seed=None,
        **kwargs,
    ):
        check_argument("units", units, low=1, integer=True)
        mat_gen.check_connectivity(connectivity)
        check_argument("leaky", leaky, 0, 1, low_open=True)
        if spectral_radius is not None:
            mat_gen.check_spectral_radius(spectral_radius)
        check_argument("feedback_units", feedback_units, low=0, integer=True)
        check_argument("noise_stddev", noise_stddev, low=0)
        mat_gen.check_spectral_radius_method(spectral_radius_method)
        super().__init__(**kwargs)
        self.units = int(units)
        self.connectivity = connectivity
        self.leaky = leaky
        self.spectral_radius = spectral_radius
        self.use_norm2 = use_norm2
        self.use_bias = use_bias
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.feedback_units = int(feedback_units)
        self.feedback_initializer = initializers.get(feedback_initializer)
        self.noise_stddev = noise_stddev
        self.spectral_radius_method = spectral_radius_method
        self.seed = seed
        mask_seed, noise_seed = mat_gen.spawn_seeds(seed, 2)
        self._mask_seed = mask_seed
        self.seed_generator = keras.random.SeedGenerator(None if seed is None else noise_seed)
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape):
        features = input_shape[-1] - self.feedback_units
        if features < 0:
            raise ValueError(
                f"The inputs have {input_shape[-1]} features, fewer than "
                f"feedback_units={self.feedback_units}. Received: input_shape={input_shape}"
            )
        # TensorFlow Addons' order, so that `set_weights(tfa_cell.get_weights())` works.
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel",
            shape=(self.units, self.units),
            initializer=self._recurrent_matrix,
            trainable=False,
        )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(features, self.units),
            initializer=self.kernel_initializer,
            trainable=False,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(self.units,), initializer=self.bias_initializer, trainable=False
            )
        self.feedback_kernel = None
        if self.feedback_units:
            self.feedback_kernel = self.add_weight(
                name="feedback_kernel",
                shape=(self.feedback_units, self.units),
                initializer=self.feedback_initializer,
                trainable=False,
            )

    def _recurrent_matrix(self, shape, dtype=None):
        matrix = ops.convert_to_numpy(self.recurrent_initializer(shape, dtype="float64"))
        matrix = mat_gen.sparsify(matrix, self.connectivity, self._mask_seed)
        if self.spectral_radius is not None:
            method = "norm2" if self.use_norm2 else self.spectral_radius_method
            matrix = mat_gen.rescale(matrix, spectral_radius=self.spectral_radius, method=method)
        return ops.convert_to_tensor(matrix, dtype=dtype)

    def input_drive(self, inputs, training=False):
        """`x W_in + y_prev W_fb + b (+ noise)`: every term of `z_t` but `h_{t-1} W`.

        Works on any leading shape, so `Reservoir` computes it for all steps
        of a sequence with one matmul before its loop.
        """
        features = self.kernel.shape[0]
        z = ops.matmul(inputs[..., :features], self.kernel)
        if self.feedback_units:
            z = z + ops.matmul(inputs[..., features:], self.feedback_kernel)
        if self.use_bias:
            z = z + self.bias
        if training and self.noise_stddev > 0:
            z = z + keras.random.normal(
                ops.shape(z), stddev=self.noise_stddev, dtype=z.dtype, seed=self.seed_generator
            )
        return z

    def call(self, inputs, states, training=False):
        h_prev = states[0] if isinstance(states, (list, tuple)) else states
        h = esn_step(
            self.input_drive(inputs, training), h_prev, self.recurrent_kernel, self.leaky,
            self.activation,
        )
        return h, [h] if isinstance(states, (list, tuple)) else h

    def get_initial_state(self, batch_size=None):
        return [ops.zeros((batch_size, self.units), dtype=self.compute_dtype)]

    def get_config(self):
        config = {
            "units": self.units,
            "connectivity": self.connectivity,
            "leaky": self.leaky,
            "spectral_radius": self.spectral_radius,
            "use_norm2": self.use_norm2,
            "use_bias": self.use_bias,
            "activation": activations.serialize(self.activation),
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "feedback_units": self.feedback_units,
            "feedback_initializer": initializers.serialize(self.feedback_initializer),
            "noise_stddev": self.noise_stddev,
            "spectral_radius_method": self.spectral_radius_method,
            "seed": self.seed,
        }
        base_config = super().get_config()
        return {**base_config, **config}
