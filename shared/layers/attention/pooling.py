"""Attention pooling: a learned, mask-aware weighted mean over time."""

import keras
from keras import constraints, initializers, ops, regularizers

from seqsuite.shared.layers.attention.mechanisms import masked_softmax


@keras.saving.register_keras_serializable(package="seqsuite")
class AttentionPooling(keras.layers.Layer):
    """Pools a sequence of hidden states into one vector with learned weights.

    For hidden states `h_t` (rows of `inputs`), with `W` the `kernel`, `b` the
    `bias` and `v` the `attention_v`:

    ```
    s_t = v^T tanh(h_t W + b)
    α   = masked_softmax(s, mask)       α_t = 0 at padded steps, Σ_t α_t = 1
    y   = Σ_t α_t h_t
    ```

    The usual head of an attention classifier (Yang et al., 2016, without the
    hierarchy): the weights say which steps the prediction rests on. A
    sequence whose steps are all masked pools to zeros.

    Args:
        units: Positive integer, the width of the hidden layer of the score.
        return_weights: Whether to return `(pooled, weights)` rather than
            `pooled` alone; `False` makes the layer usable in `Sequential`.
            Default: `True`.
        kernel_initializer: Initializer for `kernel` and `attention_v`.
            Default: `"glorot_uniform"`.
        bias_initializer: Initializer for `bias`. Default: `"zeros"`.
        kernel_regularizer: Regularizer for `kernel` and `attention_v`.
            Default: `None`.
        bias_regularizer: Regularizer for `bias`. Default: `None`.
        kernel_constraint: Constraint for `kernel` and `attention_v`.
            Default: `None`.
        bias_constraint: Constraint for `bias`. Default: `None`.
        **kwargs: Base layer arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: Tensor of shape `(batch, time, features)`.
        mask: Optional boolean tensor `(batch, time)`, `False` at padding.
            Default: the Keras mask of `inputs` (e.g. from
            `Embedding(mask_zero=True)`), if any.

    Returns:
        `pooled` of shape `(batch, features)` and, when `return_weights`,
        the weights `(batch, time)`.

    Example:

    >>> tokens = keras.Input((None,), dtype="int32")
    >>> h = keras.layers.Embedding(100, 16, mask_zero=True)(tokens)
    >>> h = keras.layers.LSTM(32, return_sequences=True)(h)
    >>> pooled, weights = AttentionPooling(32)(h)
    >>> model = keras.Model(tokens, [keras.layers.Dense(2)(pooled), weights])
    """

    def __init__(
        self,
        units,
        return_weights=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(
                f"Argument `units` must be a positive integer. Received: units={units}"
            )
        super().__init__(**kwargs)
        self.units = units
        self.return_weights = return_weights
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.supports_masking = True

    def build(self, input_shape):
        kernel_args = {
            "initializer": self.kernel_initializer,
            "regularizer": self.kernel_regularizer,
            "constraint": self.kernel_constraint,
        }
        self.kernel = self.add_weight(
            name="kernel", shape=(input_shape[-1], self.units), **kernel_args
        )
        self.bias = self.add_weight(
            name="bias",
            shape=(self.units,),
            initializer=self.bias_initializer,
            regularizer=self.bias_regularizer,
            constraint=self.bias_constraint,
        )
        self.attention_v = self.add_weight(name="attention_v", shape=(self.units,), **kernel_args)

    def call(self, inputs, mask=None):
        hidden = ops.tanh(ops.matmul(inputs, self.kernel) + self.bias)  # (batch, time, units)
        scores = ops.squeeze(ops.matmul(hidden, ops.expand_dims(self.attention_v, -1)), -1)
        weights = masked_softmax(scores, mask)
        # (batch, 1, time) @ (batch, time, features) -> (batch, features)
        pooled = ops.squeeze(ops.matmul(ops.expand_dims(weights, 1), inputs), 1)
        return (pooled, weights) if self.return_weights else pooled

    def compute_mask(self, inputs, mask=None):
        # Time is pooled away: nothing downstream is masked.
        return (None, None) if self.return_weights else None

    def compute_output_shape(self, input_shape):
        pooled_shape = (input_shape[0], input_shape[-1])
        return (pooled_shape, tuple(input_shape[:2])) if self.return_weights else pooled_shape

    def get_config(self):
        config = {
            "units": self.units,
            "return_weights": self.return_weights,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }
        base_config = super().get_config()
        return {**base_config, **config}
