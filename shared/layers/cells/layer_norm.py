"""Layer-normalised recurrent cells (Ba et al., 2016)."""

import keras
from keras import constraints, initializers, ops, regularizers


def _normalize_and_scale(x, gamma, epsilon):
    """`gamma * (x - mean) / sqrt(var + epsilon)` over the last axis.

    The gradient is written out: autodiff through the mean and the variance
    takes about twice as many kernels, and inside an RNN's time loop on CPU
    those per-step kernels, not the arithmetic, set the training speed.
    """

    @ops.custom_gradient
    def forward(x, gamma):
        mean = ops.mean(x, axis=-1, keepdims=True)
        centred = x - mean
        inv_std = ops.rsqrt(ops.mean(ops.square(centred), axis=-1, keepdims=True) + epsilon)
        x_hat = centred * inv_std

        def grad(*args, upstream=None):
            upstream = args[0] if upstream is None else upstream
            g = upstream * gamma
            # d x_hat / d x projects out the mean and the x_hat direction.
            dx = inv_std * (
                g
                - ops.mean(g, axis=-1, keepdims=True)
                - x_hat * ops.mean(g * x_hat, axis=-1, keepdims=True)
            )
            batch_axes = tuple(range(len(x.shape) - 1))
            return dx, ops.sum(upstream * x_hat, axis=batch_axes)

        return x_hat * gamma, grad

    return forward(x, gamma)


class _LayerNormalization(keras.layers.LayerNormalization):
    """`keras.layers.LayerNormalization(axis=-1, scale=True)`, trained faster.

    Same weights, arguments and outputs as Keras's layer, computed by
    `_normalize_and_scale`. In `benchmarks/cells.py` on a 2-core CPU it cuts a
    `LayerNormLSTMCell` training step from 1.85x to 1.3x the time of
    `keras.layers.LSTM` (from 2.1x to 1.6x with one inter-op thread).
    """

    def call(self, inputs):
        # Statistics in at least float32, as Keras does under mixed precision.
        dtype = keras.backend.standardize_dtype(inputs.dtype)
        dtype = "float32" if dtype in ("float16", "bfloat16") else dtype
        x = ops.cast(inputs, dtype)
        outputs = _normalize_and_scale(x, ops.cast(self.gamma, dtype), self.epsilon)
        if self.center:
            outputs = outputs + ops.cast(self.beta, dtype)
        return ops.cast(outputs, self.compute_dtype)


@keras.saving.register_keras_serializable(package="seqsuite")
class LayerNormLSTMCell(keras.layers.LSTMCell):
    """LSTM cell with layer normalisation of both projections and the cell state.

    Same arguments, weights and arithmetic as TensorFlow Addons'
    `tfa.rnn.LayerNormLSTMCell`, plus Keras 3's `seed`. With `W` the `kernel`,
    `R` the `recurrent_kernel`, `b` the `bias`, `σ` the `recurrent_activation`,
    `act` the `activation` and `LN_k`, `LN_r`, `LN_s` the `kernel_norm`,
    `recurrent_norm` and `state_norm` sublayers (each with its own gain and
    shift):

    ```
    z_i, z_f, z_g, z_o = split(LN_k(x_t W) + LN_r(h_{t-1} R) + b, 4)
    c_t = LN_s(σ(z_f) ⊙ c_{t-1} + σ(z_i) ⊙ act(z_g))
    h_t = σ(z_o) ⊙ act(c_t)
    ```

    `LN_k` and `LN_r` normalise all four gates of a projection jointly, over
    `4 * units` features; `LN_s` normalises over `units`. Dropout, when
    training, multiplies `x_t` and `h_{t-1}` by one mask each, shared by the
    four gates (recurrent dropout of Semeniuta et al., 2016).

    Args:
        units: Positive integer, dimensionality of the output space.
        activation: Activation of the candidate and the output.
            Default: `"tanh"`.
        recurrent_activation: Activation of the gates. Default: `"sigmoid"`.
        use_bias: Whether the cell adds a bias vector. Default: `True`.
        kernel_initializer: Initializer for `kernel`.
            Default: `"glorot_uniform"`.
        recurrent_initializer: Initializer for `recurrent_kernel`.
            Default: `"orthogonal"`.
        bias_initializer: Initializer for `bias`. Default: `"zeros"`.
        unit_forget_bias: Whether to add 1 to the forget-gate bias at
            initialisation. Default: `True`.
        kernel_regularizer: Regularizer for `kernel`. Default: `None`.
        recurrent_regularizer: Regularizer for `recurrent_kernel`.
            Default: `None`.
        bias_regularizer: Regularizer for `bias`. Default: `None`.
        kernel_constraint: Constraint for `kernel`. Default: `None`.
        recurrent_constraint: Constraint for `recurrent_kernel`.
            Default: `None`.
        bias_constraint: Constraint for `bias`. Default: `None`.
        dropout: Fraction of the inputs to drop, in `[0, 1]`. Default: `0.0`.
        recurrent_dropout: Fraction of `h_{t-1}` to drop, in `[0, 1]`.
            Default: `0.0`.
        norm_gamma_initializer: Initializer for the gains of the three layer
            normalisations. Default: `"ones"`.
        norm_beta_initializer: Initializer for their shifts. Default: `"zeros"`.
        norm_epsilon: Small positive float added to the variance.
            Default: `1e-3`.
        seed: Random seed for dropout. Default: `None`.
        **kwargs: Base layer arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: A 2D tensor of shape `(batch, features)`.
        states: List `[h_{t-1}, c_{t-1}]`, each of shape `(batch, units)`.
        training: Python boolean, whether dropout is active. Default: `False`.

    Example:

    >>> inputs = np.random.random((32, 10, 8))
    >>> rnn = keras.layers.RNN(LayerNormLSTMCell(4), return_sequences=True)
    >>> rnn(inputs).shape
    (32, 10, 4)
    """

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        norm_gamma_initializer="ones",
        norm_beta_initializer="zeros",
        norm_epsilon=1e-3,
        seed=None,
        **kwargs,
    ):
        if norm_epsilon <= 0:
            raise ValueError(
                "Argument `norm_epsilon` must be a positive float. "
                f"Received: norm_epsilon={norm_epsilon}"
            )
        super().__init__(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            **kwargs,
        )
        # `LSTMCell` switches to per-gate kernels and four dropout masks when
        # `recurrent_dropout > 0`; the normalisation needs the whole projection
        # at once, and TFA used a single mask per tensor, so keep one.
        self.implementation = 2
        self.dropout_mask_count = None
        self.norm_gamma_initializer = initializers.get(norm_gamma_initializer)
        self.norm_beta_initializer = initializers.get(norm_beta_initializer)
        self.norm_epsilon = norm_epsilon
        self.kernel_norm = self._make_norm("kernel_norm")
        self.recurrent_norm = self._make_norm("recurrent_norm")
        self.state_norm = self._make_norm("state_norm")

    def _make_norm(self, name):
        return _LayerNormalization(
            epsilon=self.norm_epsilon,
            gamma_initializer=self.norm_gamma_initializer,
            beta_initializer=self.norm_beta_initializer,
            dtype=self.dtype_policy,
            name=name,
        )

    def build(self, input_shape):
        super().build(input_shape)
        self.kernel_norm.build((None, 4 * self.units))
        self.recurrent_norm.build((None, 4 * self.units))
        self.state_norm.build((None, self.units))

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states[0], states[1]
        if training and 0.0 < self.dropout < 1.0:
            inputs = inputs * self.get_dropout_mask(inputs)
        if training and 0.0 < self.recurrent_dropout < 1.0:
            h_tm1 = h_tm1 * self.get_recurrent_dropout_mask(h_tm1)

        z = self.kernel_norm(ops.matmul(inputs, self.kernel))  # (batch, 4 * units)
        z = z + self.recurrent_norm(ops.matmul(h_tm1, self.recurrent_kernel))
        if self.use_bias:
            z = z + self.bias
        c, o = self._compute_carry_and_output_fused(ops.split(z, 4, axis=-1), c_tm1)
        c = self.state_norm(c)
        h = o * self.activation(c)
        return h, [h, c]

    def get_config(self):
        config = {
            "norm_gamma_initializer": initializers.serialize(self.norm_gamma_initializer),
            "norm_beta_initializer": initializers.serialize(self.norm_beta_initializer),
            "norm_epsilon": self.norm_epsilon,
        }
        base_config = super().get_config()
        return {**base_config, **config}


@keras.saving.register_keras_serializable(package="seqsuite")
class LayerNormSimpleRNNCell(keras.layers.SimpleRNNCell):
    """Simple RNN cell with a scale-only layer normalisation before the bias.

    Same arguments, weights and arithmetic as TensorFlow Addons'
    `tfa.rnn.LayerNormSimpleRNNCell`, plus Keras 3's `seed`. With `W` the
    `kernel`, `R` the `recurrent_kernel`, `b` the `bias`, `act` the
    `activation` and `γ` the gain of the `layernorm` sublayer:

    ```
    a_t = x_t W + h_{t-1} R
    h_t = act(γ ⊙ (a_t - mean(a_t)) / sqrt(var(a_t) + ε) + b)
    ```

    The normalisation has no shift of its own: the cell's `bias` plays that
    part, added after the normalisation rather than before it.

    Args:
        units: Positive integer, dimensionality of the output space.
        activation: Activation of the output. Default: `"tanh"`.
        use_bias: Whether the cell adds a bias vector. Default: `True`.
        layernorm_epsilon: Small positive float `ε` added to the variance.
            Default: `1e-5`.
        kernel_initializer: Initializer for `kernel`.
            Default: `"glorot_uniform"`.
        recurrent_initializer: Initializer for `recurrent_kernel`.
            Default: `"orthogonal"`.
        bias_initializer: Initializer for `bias`. Default: `"zeros"`.
        gamma_initializer: Initializer for the gain `γ`. Default: `"ones"`.
        kernel_regularizer: Regularizer for `kernel`. Default: `None`.
        recurrent_regularizer: Regularizer for `recurrent_kernel`.
            Default: `None`.
        bias_regularizer: Regularizer for `bias`. Default: `None`.
        gamma_regularizer: Regularizer for `γ`. Default: `None`.
        kernel_constraint: Constraint for `kernel`. Default: `None`.
        recurrent_constraint: Constraint for `recurrent_kernel`.
            Default: `None`.
        bias_constraint: Constraint for `bias`. Default: `None`.
        gamma_constraint: Constraint for `γ`. Default: `None`.
        dropout: Fraction of the inputs to drop, in `[0, 1]`. Default: `0.0`.
        recurrent_dropout: Fraction of `h_{t-1}` to drop, in `[0, 1]`.
            Default: `0.0`.
        seed: Random seed for dropout. Default: `None`.
        **kwargs: Base layer arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: A 2D tensor of shape `(batch, features)`.
        states: List `[h_{t-1}]` of shape `(batch, units)`.
        training: Python boolean, whether dropout is active. Default: `False`.

    Example:

    >>> inputs = np.random.random((32, 10, 8))
    >>> rnn = keras.layers.RNN(LayerNormSimpleRNNCell(4), return_state=True)
    >>> output, h = rnn(inputs)
    >>> h.shape
    (32, 4)
    """

    def __init__(
        self,
        units,
        activation="tanh",
        use_bias=True,
        layernorm_epsilon=1e-5,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        gamma_initializer="ones",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        gamma_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        gamma_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        if layernorm_epsilon <= 0:
            raise ValueError(
                "Argument `layernorm_epsilon` must be a positive float. "
                f"Received: layernorm_epsilon={layernorm_epsilon}"
            )
        super().__init__(
            units,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            **kwargs,
        )
        self.layernorm = _LayerNormalization(
            epsilon=layernorm_epsilon,
            center=False,
            scale=True,
            gamma_initializer=gamma_initializer,
            gamma_regularizer=gamma_regularizer,
            gamma_constraint=gamma_constraint,
            dtype=self.dtype_policy,
            name="layernorm",
        )

    def build(self, input_shape):
        super().build(input_shape)
        self.layernorm.build((None, self.units))

    def call(self, inputs, states, training=False):
        h_tm1 = states[0] if isinstance(states, (list, tuple)) else states
        dp_mask = self.get_dropout_mask(inputs)
        rec_dp_mask = self.get_recurrent_dropout_mask(h_tm1)
        if training and dp_mask is not None:
            inputs = inputs * dp_mask
        if training and rec_dp_mask is not None:
            h_tm1 = h_tm1 * rec_dp_mask

        a = ops.matmul(inputs, self.kernel) + ops.matmul(h_tm1, self.recurrent_kernel)
        h = self.layernorm(a)
        if self.use_bias:
            h = h + self.bias
        if self.activation is not None:
            h = self.activation(h)
        new_state = [h] if isinstance(states, (list, tuple)) else h
        return h, new_state

    def get_config(self):
        config = {
            "layernorm_epsilon": self.layernorm.epsilon,
            "gamma_initializer": initializers.serialize(self.layernorm.gamma_initializer),
            "gamma_regularizer": regularizers.serialize(self.layernorm.gamma_regularizer),
            "gamma_constraint": constraints.serialize(self.layernorm.gamma_constraint),
        }
        base_config = super().get_config()
        return {**base_config, **config}
