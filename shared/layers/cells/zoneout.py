"""Zoneout (Krueger et al., 2016): units keep their previous value at random."""

import numbers

import keras
from keras import ops, tree
from keras.saving import deserialize_keras_object, serialize_keras_object

# `keras.layers.RNN` draws a cell's dropout masks before its time loop only when
# the cell is a `DropoutRNNCell`; that mixin has no public name in Keras 3, and
# without it a wrapped cell would draw its masks inside the loop.
from keras.src.layers.rnn.dropout_rnn_cell import DropoutRNNCell


@keras.saving.register_keras_serializable(package="seqsuite")
class ZoneoutCell(keras.layers.Layer, DropoutRNNCell):
    """Wraps an RNN cell so that each state unit may keep its previous value.

    For every state `s` of the wrapped cell (for `LSTMCell`: `h`, then `c`),
    with `s̃_t` the value the wrapped cell computes and `r_s` that state's rate:

    ```
    training:   m_t ~ Bernoulli(r_s), drawn afresh per unit and step
                s_t = m_t ⊙ s_{t-1} + (1 - m_t) ⊙ s̃_t
    inference:  s_t = r_s · s_{t-1} + (1 - r_s) · s̃_t
    ```

    The inference update is the expectation of the training one. The cell's
    output is the zoned first state, which for every Keras cell is what the
    wrapped cell outputs; `rate=0` gives back the wrapped cell exactly.
    Dropout of the wrapped cell keeps working as it does unwrapped.

    Args:
        cell: The RNN cell to wrap, e.g. `keras.layers.LSTMCell(32)`. Its
            output must be its first state.
        rate: Probability in `[0, 1)` that a unit keeps its previous value:
            one float for every state, or a list with one rate per state of
            `cell` (for `LSTMCell`: `[rate_h, rate_c]`).
        seed: Random seed for the zoneout masks. Default: `None`.
        **kwargs: Base layer arguments, such as `name`. `dtype` defaults to
            the wrapped cell's dtype policy.

    Call arguments:
        inputs: A 2D tensor of shape `(batch, features)`.
        states: The wrapped cell's states at `t - 1`.
        training: Python boolean; zoneout draws random masks only when `True`.
            Default: `False`.

    Example:

    >>> inputs = np.random.random((32, 10, 8))
    >>> cell = ZoneoutCell(keras.layers.LSTMCell(4), rate=[0.05, 0.5], seed=1)
    >>> rnn = keras.layers.RNN(cell, return_sequences=True)
    >>> rnn(inputs, training=True).shape
    (32, 10, 4)
    """

    def __init__(self, cell, rate, seed=None, **kwargs):
        if "call" not in dir(cell) or "state_size" not in dir(cell):
            raise ValueError(
                "Argument `cell` must be an RNN cell, with a `call` method and a "
                f"`state_size` attribute. Received: cell={cell}"
            )
        state_sizes = tree.flatten(cell.state_size)
        output_size = getattr(cell, "output_size", None)
        if output_size is not None and output_size != state_sizes[0]:
            raise ValueError(
                "ZoneoutCell outputs the zoned first state, so the wrapped cell's "
                "output must be its first state. Received a cell with "
                f"output_size={output_size} and state_size={cell.state_size}"
            )
        if isinstance(rate, numbers.Real):
            rates = [float(rate)] * len(state_sizes)
        elif isinstance(rate, (list, tuple)):
            if len(rate) != len(state_sizes):
                raise ValueError(
                    f"Argument `rate` must have one rate per state of the wrapped "
                    f"cell ({len(state_sizes)}), or be a single float. "
                    f"Received: rate={rate}"
                )
            rates = [float(r) for r in rate]
        else:
            raise ValueError(
                f"Argument `rate` must be a float or a list of floats. Received: rate={rate}"
            )
        if not all(0.0 <= r < 1.0 for r in rates):
            raise ValueError(f"Each zoneout rate must be in [0, 1). Received: rate={rate}")
        if isinstance(cell, keras.layers.Layer):
            # A state dtype that differs from the wrapped cell's would break the
            # RNN loop under mixed precision.
            kwargs.setdefault("dtype", cell.dtype_policy)
        super().__init__(**kwargs)
        self.cell = cell
        self.rate = list(rate) if isinstance(rate, (list, tuple)) else float(rate)
        self._rates = rates
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    @property
    def state_size(self):
        return self.cell.state_size

    @property
    def output_size(self):
        output_size = getattr(self.cell, "output_size", None)
        return tree.flatten(self.cell.state_size)[0] if output_size is None else output_size

    def build(self, input_shape):
        if isinstance(self.cell, keras.layers.Layer) and not self.cell.built:
            self.cell.build(input_shape)

    def call(self, inputs, states, training=False):
        kwargs = {}
        if isinstance(self.cell, keras.layers.Layer) and self.cell._call_has_training_arg:
            kwargs["training"] = training
        _, new_states = self.cell(inputs, states, **kwargs)

        zoned = [
            self._zone(previous, new, rate, training)
            for previous, new, rate in zip(
                tree.flatten(states), tree.flatten(new_states), self._rates
            )
        ]
        return zoned[0], tree.pack_sequence_as(new_states, zoned)

    def _zone(self, previous, new, rate, training):
        if rate == 0.0:
            return new
        if training:
            keep = keras.random.uniform(ops.shape(new), seed=self.seed_generator) < rate
            return ops.where(keep, previous, new)
        return rate * previous + (1.0 - rate) * new

    def get_initial_state(self, batch_size=None):
        get_initial_state = getattr(self.cell, "get_initial_state", None)
        if get_initial_state is not None:
            return get_initial_state(batch_size=batch_size)
        return [
            ops.zeros((batch_size, size), dtype=self.compute_dtype)
            for size in tree.flatten(self.cell.state_size)
        ]

    # The RNN layer asks its cell for dropout masks before the loop and resets
    # them after it; pass both on to the wrapped cell.
    def get_dropout_mask(self, step_input):
        if isinstance(self.cell, DropoutRNNCell):
            return self.cell.get_dropout_mask(step_input)
        return None

    def get_recurrent_dropout_mask(self, step_input):
        if isinstance(self.cell, DropoutRNNCell):
            return self.cell.get_recurrent_dropout_mask(step_input)
        return None

    def reset_dropout_mask(self):
        if isinstance(self.cell, DropoutRNNCell):
            self.cell.reset_dropout_mask()

    def reset_recurrent_dropout_mask(self):
        if isinstance(self.cell, DropoutRNNCell):
            self.cell.reset_recurrent_dropout_mask()

    def get_config(self):
        config = {
            "cell": serialize_keras_object(self.cell),
            "rate": self.rate,
            "seed": self.seed,
        }
        base_config = super().get_config()
        return {**base_config, **config}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = deserialize_keras_object(config.pop("cell"), custom_objects=custom_objects)
        return cls(cell, **config)


# The `LSTMCell` arguments `ZoneoutLSTM` accepts and serialises; their
# serialised values come from the cell's own `get_config`.
_LSTM_CELL_ARGS = (
    "activation",
    "recurrent_activation",
    "use_bias",
    "kernel_initializer",
    "recurrent_initializer",
    "bias_initializer",
    "unit_forget_bias",
    "kernel_regularizer",
    "recurrent_regularizer",
    "bias_regularizer",
    "kernel_constraint",
    "recurrent_constraint",
    "bias_constraint",
    "dropout",
    "recurrent_dropout",
)


@keras.saving.register_keras_serializable(package="seqsuite")
class ZoneoutLSTM(keras.layers.RNN):
    """LSTM layer with zoneout: `keras.layers.RNN(ZoneoutCell(LSTMCell(units)))`.

    See `ZoneoutCell` for the update rule. The layer takes the arguments of
    `keras.layers.LSTM` (bar the cuDNN ones: this layer always runs the generic
    loop) plus `rate`.

    Args:
        units: Positive integer, dimensionality of the output space.
        rate: Zoneout probability in `[0, 1)`, one float for `h` and `c` or
            a list `[rate_h, rate_c]`. Default: `0.1`.
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
        activity_regularizer: Regularizer for the layer's output.
            Default: `None`.
        kernel_constraint: Constraint for `kernel`. Default: `None`.
        recurrent_constraint: Constraint for `recurrent_kernel`.
            Default: `None`.
        bias_constraint: Constraint for `bias`. Default: `None`.
        dropout: Fraction of the inputs to drop, in `[0, 1]`. Default: `0.0`.
        recurrent_dropout: Fraction of `h_{t-1}` to drop, in `[0, 1]`.
            Default: `0.0`.
        seed: Random seed. Dropout uses `seed` and zoneout `seed + 1`, so that
            the two masks are not drawn from the same stream. Default: `None`.
        return_sequences: Whether to return the whole output sequence rather
            than the last output. Default: `False`.
        return_state: Whether to return the final states `h` and `c` after
            the output. Default: `False`.
        go_backwards: Whether to process the sequence backwards and return
            the reversed sequence. Default: `False`.
        stateful: Whether the final states of a batch are the initial states
            of the next one. Default: `False`.
        unroll: Whether to unroll the time loop. Default: `False`.
        **kwargs: Base layer arguments, such as `name` and `dtype`.

    Call arguments:
        sequences: A 3D tensor of shape `(batch, timesteps, features)`.
        initial_state: Optional list `[h_0, c_0]`. Default: zeros.
        mask: Optional boolean tensor `(batch, timesteps)`; masked steps keep
            the previous states. Default: `None`.
        training: Python boolean, whether zoneout and dropout are active.
            Default: `False`.

    Example:

    >>> inputs = np.random.random((32, 10, 8))
    >>> layer = ZoneoutLSTM(4, rate=[0.05, 0.5], return_state=True, seed=1)
    >>> output, h, c = layer(inputs, training=True)
    >>> output.shape
    (32, 4)
    """

    def __init__(
        self,
        units,
        rate=0.1,
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
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        **kwargs,
    ):
        lstm_cell = keras.layers.LSTMCell(
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
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="lstm_cell",
        )
        cell = ZoneoutCell(
            lstm_cell,
            rate,
            seed=None if seed is None else seed + 1,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="zoneout_cell",
        )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )
        self.seed = seed

    @property
    def units(self):
        return self.cell.cell.units

    @property
    def rate(self):
        return self.cell.rate

    def get_config(self):
        cell_config = self.cell.cell.get_config()
        config = {
            "units": self.units,
            "rate": self.rate,
            **{name: cell_config[name] for name in _LSTM_CELL_ARGS},
            "activity_regularizer": keras.regularizers.serialize(self.activity_regularizer),
            "seed": self.seed,
        }
        base_config = super().get_config()
        del base_config["cell"]
        return {**base_config, **config}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)
