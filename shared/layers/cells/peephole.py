"""LSTM cell with peephole connections (Gers et al., 2002; Sak et al., 2014)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="seqsuite")
class PeepholeLSTMCell(keras.layers.LSTMCell):
    """LSTM cell whose gates also see the cell state (peephole connections).

    Same arguments, weights and arithmetic as TensorFlow Addons'
    `tfa.rnn.PeepholeLSTMCell`, plus Keras 3's `seed`. With `W` the `kernel`,
    `R` the `recurrent_kernel`, `b` the `bias`, `σ` the `recurrent_activation`,
    `act` the `activation` and `p_i, p_f, p_o` the diagonal peephole weights:

    ```
    z_i, z_f, z_g, z_o = split(x_t W + h_{t-1} R + b, 4)
    i_t = σ(z_i + p_i ⊙ c_{t-1})
    f_t = σ(z_f + p_f ⊙ c_{t-1})
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ act(z_g)
    o_t = σ(z_o + p_o ⊙ c_t)
    h_t = o_t ⊙ act(c_t)
    ```

    The output gate peeks at the new cell state `c_t`, the input and forget
    gates at the previous one. The peephole weights, of shape `(units,)`, are
    named `input_gate_peephole_weights`, `forget_gate_peephole_weights` and
    `output_gate_peephole_weights` and are drawn from `kernel_initializer`.

    Args:
        units: Positive integer, dimensionality of the output space.
        activation: Activation of the candidate and the output.
            Default: `"tanh"`.
        recurrent_activation: Activation of the gates. Default: `"sigmoid"`.
        use_bias: Whether the cell adds a bias vector. Default: `True`.
        kernel_initializer: Initializer for `kernel` and for the peephole
            weights. Default: `"glorot_uniform"`.
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
        seed: Random seed for dropout. Default: `None`.
        **kwargs: Base layer arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: A 2D tensor of shape `(batch, features)`.
        states: List `[h_{t-1}, c_{t-1}]`, each of shape `(batch, units)`.
        training: Python boolean, whether dropout is active. Default: `False`.

    Example:

    >>> inputs = np.random.random((32, 10, 8))
    >>> rnn = keras.layers.RNN(PeepholeLSTMCell(4), return_state=True)
    >>> output, h, c = rnn(inputs)
    >>> output.shape
    (32, 4)
    >>> c.shape
    (32, 4)
    """

    def build(self, input_shape):
        super().build(input_shape)
        self.input_gate_peephole_weights = self.add_weight(
            shape=(self.units,),
            name="input_gate_peephole_weights",
            initializer=self.kernel_initializer,
        )
        self.forget_gate_peephole_weights = self.add_weight(
            shape=(self.units,),
            name="forget_gate_peephole_weights",
            initializer=self.kernel_initializer,
        )
        self.output_gate_peephole_weights = self.add_weight(
            shape=(self.units,),
            name="output_gate_peephole_weights",
            initializer=self.kernel_initializer,
        )

    def _compute_carry_and_output(self, x, h_tm1, c_tm1):
        # Used by `LSTMCell.call` when `recurrent_dropout > 0`, where each gate
        # gets its own dropped copy of `h_{t-1}` and its own kernel slice.
        kernels = ops.split(self.recurrent_kernel, 4, axis=1)
        z = [x_k + ops.matmul(h_k, r_k) for x_k, h_k, r_k in zip(x, h_tm1, kernels)]
        return self._compute_carry_and_output_fused(z, c_tm1)

    def _compute_carry_and_output_fused(self, z, c_tm1):
        z_i, z_f, z_g, z_o = z
        i = self.recurrent_activation(z_i + self.input_gate_peephole_weights * c_tm1)
        f = self.recurrent_activation(z_f + self.forget_gate_peephole_weights * c_tm1)
        c = f * c_tm1 + i * self.activation(z_g)
        o = self.recurrent_activation(z_o + self.output_gate_peephole_weights * c)
        return c, o
