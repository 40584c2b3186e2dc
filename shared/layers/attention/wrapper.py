"""Attention inside a recurrent decoder: `AttentionWrapper` and `AttentionDecoder`.

Keras 3's `RNN` layer no longer passes `constants` to its cell, so a cell
cannot see the encoder memory through it. `AttentionWrapper` is the cell,
called with the memory as an argument (in a decoding step function, say);
`AttentionDecoder` runs it over a target sequence, projecting the memory's
keys once, and returns the alignments of every step.
"""

import keras
from keras import activations, constraints, initializers, ops, regularizers, tree
from keras.saving import deserialize_keras_object, serialize_keras_object

# The loop `keras.layers.RNN` runs; unlike the layer it takes nested step
# outputs, here the outputs and the alignments.
from keras.src.backend import rnn as backend_rnn

# Dropout masks must be drawn before the time loop, as `keras.layers.RNN` does,
# or they would be created inside it; the mixin has no public name.
from keras.src.layers.rnn.dropout_rnn_cell import DropoutRNNCell

from seqsuite.shared.layers.attention.mechanisms import AttentionMechanism


@keras.saving.register_keras_serializable(package="seqsuite")
class AttentionWrapper(keras.layers.Layer):
    """Wraps an RNN cell so that every step attends over an encoder memory.

    With `x_t` the step input, `a_{t-1}` the previous attention vector (zeros
    at the first step), `h_t` the wrapped cell's output, `W_c` the
    `attention_kernel` and `m` the memory:

    ```
    h_t, state_t = cell([x_t; a_{t-1}], state_{t-1})    input feeding (x_t alone if off)
    c_t, α_t     = attention(h_t, m, mask)               context and alignments
    a_t = act([h_t; c_t] W_c)     if attention_layer_size is set (Luong's a_t = tanh(W_c [c_t; h_t]))
    a_t = c_t                     otherwise
    output_t = a_t if output_attention else h_t
    ```

    The rows of `W_c` take the cell output first and the context second, and
    the layer has no bias, as in `tfa.seq2seq.AttentionWrapper`;
    `attention_activation=None` gives TensorFlow Addons' linear layer exactly.

    The state is a flat list: the wrapped cell's states (flattened), then
    `a_{t-1}`. `get_initial_state(batch_size, cell_state=...)` starts from
    given cell states, e.g. the encoder's final ones.

    Args:
        cell: The RNN cell to wrap: `keras.layers.LSTMCell`, `GRUCell`,
            `StackedRNNCells`, a `shared.layers.cells` cell, any cell with `call`
            and `state_size`.
        attention: The attention mechanism, a `BahdanauAttention` or
            `LuongAttention` (any `AttentionMechanism`); it is queried with
            the cell output.
        attention_layer_size: Width of the attention layer `W_c`, or `None`
            for no attention layer (the attention vector is then the context,
            as wide as the memory). Default: `None`.
        attention_activation: Activation of the attention layer.
            Default: `"tanh"`.
        output_attention: Whether the output is the attention vector `a_t`
            (Luong) rather than the cell output `h_t` (Bahdanau's decoder
            feeds `c_t` and reads `h_t`). Default: `True`.
        input_feeding: Whether to concatenate `a_{t-1}` to the cell input.
            Default: `True`.
        kernel_initializer: Initializer for `attention_kernel`.
            Default: `"glorot_uniform"`.
        kernel_regularizer: Regularizer for `attention_kernel`. Default: `None`.
        kernel_constraint: Constraint for `attention_kernel`. Default: `None`.
        **kwargs: Base layer arguments, such as `name`. `dtype` defaults to
            the wrapped cell's dtype policy.

    Call arguments:
        inputs: Tensor `(batch, features)`, the step input.
        states: The flat state list described above.
        memory: Tensor `(batch, source_time, mem_dim)`, the encoder outputs.
        memory_mask: Optional boolean tensor `(batch, source_time)`, `False`
            at padding. Default: the Keras mask of `memory`, if any.
        keys: Optional `attention.compute_keys(memory)`, computed once and
            reused at every step. Default: computed from `memory`.
        training: Python boolean, passed on to the wrapped cell.
            Default: `False`.
        return_alignments: Whether to return the alignments `α_t`
            `(batch, source_time)` as a third value. Default: `False`.

    Returns:
        `(output, new_states)`, or `(output, new_states, alignments)`.

    Example:

    >>> cell = AttentionWrapper(
    ...     keras.layers.LSTMCell(32), LuongAttention(), attention_layer_size=32
    ... )
    >>> memory = np.random.random((4, 7, 32)).astype("float32")
    >>> x = np.random.random((4, 8)).astype("float32")
    >>> cell.build(x.shape, memory.shape)
    >>> states = cell.get_initial_state(4)
    >>> output, states = cell(x, states, memory=memory)
    >>> tuple(output.shape)
    (4, 32)
    """

    def __init__(
        self,
        cell,
        attention,
        attention_layer_size=None,
        attention_activation="tanh",
        output_attention=True,
        input_feeding=True,
        kernel_initializer="glorot_uniform",
        kernel_regularizer=None,
        kernel_constraint=None,
        **kwargs,
    ):
        if "call" not in dir(cell) or "state_size" not in dir(cell):
            raise ValueError(
                "Argument `cell` must be an RNN cell, with a `call` method and a "
                f"`state_size` attribute. Received: cell={cell}"
            )
        if not isinstance(attention, AttentionMechanism):
            raise ValueError(
                "Argument `attention` must be an attention mechanism such as "
                f"`BahdanauAttention` or `LuongAttention`. Received: attention={attention}"
            )
        if attention_layer_size is not None and (
            not isinstance(attention_layer_size, int)
            or isinstance(attention_layer_size, bool)
            or attention_layer_size <= 0
        ):
            raise ValueError(
                "Argument `attention_layer_size` must be a positive integer or None. "
                f"Received: attention_layer_size={attention_layer_size}"
            )
        if isinstance(cell, keras.layers.Layer):
            # States of another dtype than the wrapped cell's would break the
            # time loop under mixed precision.
            kwargs.setdefault("dtype", cell.dtype_policy)
        super().__init__(**kwargs)
        self.cell = cell
        self.attention = attention
        self.attention_layer_size = attention_layer_size
        self.attention_activation = activations.get(attention_activation)
        self.output_attention = output_attention
        self.input_feeding = input_feeding
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self._memory_dim = None
        # Step inputs often come from a masking `Embedding`; one step has no
        # time axis to mask, so accept the mask and pass none on.
        self.supports_masking = True

    def compute_mask(self, inputs, previous_mask=None):
        return None

    @property
    def attention_size(self):
        """Width of the attention vector `a_t`."""
        if self.attention_layer_size is not None:
            return self.attention_layer_size
        if self._memory_dim is None:
            raise ValueError(
                "Without `attention_layer_size` the attention vector is as wide as the "
                "memory, which is known once the wrapper is built: call "
                "`build(inputs_shape, memory_shape)` or the layer first."
            )
        return self._memory_dim

    @property
    def state_size(self):
        return [*tree.flatten(self.cell.state_size), self.attention_size]

    @property
    def output_size(self):
        return self.attention_size if self.output_attention else self._cell_output_size

    @property
    def _cell_output_size(self):
        output_size = getattr(self.cell, "output_size", None)
        return tree.flatten(self.cell.state_size)[0] if output_size is None else output_size

    def build(self, inputs_shape, memory_shape):
        self._memory_dim = memory_shape[-1]
        feed = self.attention_size if self.input_feeding else 0
        if isinstance(self.cell, keras.layers.Layer) and not self.cell.built:
            self.cell.build((inputs_shape[0], inputs_shape[-1] + feed))
        if not self.attention.built:
            self.attention.build((inputs_shape[0], self._cell_output_size), memory_shape)
        if self.attention_layer_size is not None:
            self.attention_kernel = self.add_weight(
                name="attention_kernel",
                shape=(self._cell_output_size + self._memory_dim, self.attention_layer_size),
                initializer=self.kernel_initializer,
                regularizer=self.kernel_regularizer,
                constraint=self.kernel_constraint,
            )

    def call(
        self,
        inputs,
        states,
        memory,
        memory_mask=None,
        keys=None,
        training=False,
        return_alignments=False,
    ):
        states = tree.flatten(states)
        cell_states = tree.pack_sequence_as(self.cell.state_size, states[:-1])
        previous_attention = states[-1]
        cell_inputs = (
            ops.concatenate([inputs, previous_attention], axis=-1) if self.input_feeding else inputs
        )
        kwargs = {}
        if isinstance(self.cell, keras.layers.Layer) and self.cell._call_has_training_arg:
            kwargs["training"] = training
        cell_output, new_cell_states = self.cell(cell_inputs, cell_states, **kwargs)

        context, alignments = self.attention(
            cell_output, memory, memory_mask=memory_mask, keys=keys
        )
        if self.attention_layer_size is not None:
            attention = self.attention_activation(
                ops.matmul(ops.concatenate([cell_output, context], axis=-1), self.attention_kernel)
            )
        else:
            attention = context
        output = attention if self.output_attention else cell_output
        new_states = [*tree.flatten(new_cell_states), attention]
        if return_alignments:
            return output, new_states, alignments
        return output, new_states

    def get_initial_state(self, batch_size=None, cell_state=None):
        """The wrapper's initial state: `cell_state` (default zeros) and a zero `a_0`.

        Args:
            batch_size: Batch size; may be omitted when `cell_state` is given.
            cell_state: Optional states of the wrapped cell, e.g. the encoder's
                final `[h, c]`. Default: the wrapped cell's initial state.
        """
        if cell_state is None:
            get_initial_state = getattr(self.cell, "get_initial_state", None)
            if get_initial_state is not None:
                cell_state = get_initial_state(batch_size=batch_size)
            else:
                cell_state = [
                    ops.zeros((batch_size, size), dtype=self.compute_dtype)
                    for size in tree.flatten(self.cell.state_size)
                ]
        cell_state = tree.flatten(cell_state)
        if len(cell_state) != len(tree.flatten(self.cell.state_size)):
            raise ValueError(
                f"Argument `cell_state` must hold the wrapped cell's "
                f"{len(tree.flatten(self.cell.state_size))} state tensors. "
                f"Received {len(cell_state)} tensors."
            )
        if batch_size is None:
            batch_size = ops.shape(cell_state[0])[0]
        attention = ops.zeros((batch_size, self.attention_size), dtype=self.compute_dtype)
        return [*cell_state, attention]

    def draw_dropout_masks(self, inputs, states):
        """Draws the wrapped cell's dropout masks, as `keras.layers.RNN` does before its loop.

        Args:
            inputs: A step input `(batch, features)`.
            states: The wrapper's state list.
        """
        states = tree.flatten(states)
        cell_inputs = (
            ops.concatenate([inputs, states[-1]], axis=-1) if self.input_feeding else inputs
        )
        _draw_dropout_masks(
            self.cell, cell_inputs, tree.pack_sequence_as(self.cell.state_size, states[:-1])
        )

    def reset_dropout_masks(self):
        """Forgets the masks drawn by `draw_dropout_masks`, as after an RNN's loop."""
        _reset_dropout_masks(self.cell)

    def get_config(self):
        config = {
            "cell": serialize_keras_object(self.cell),
            "attention": serialize_keras_object(self.attention),
            "attention_layer_size": self.attention_layer_size,
            "attention_activation": activations.serialize(self.attention_activation),
            "output_attention": self.output_attention,
            "input_feeding": self.input_feeding,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
        }
        base_config = super().get_config()
        return {**base_config, **config}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = deserialize_keras_object(config.pop("cell"), custom_objects=custom_objects)
        attention = deserialize_keras_object(config.pop("attention"), custom_objects=custom_objects)
        return cls(cell, attention, **config)


def _draw_dropout_masks(cell, inputs, states):
    if isinstance(cell, DropoutRNNCell):
        cell.get_dropout_mask(inputs)
        cell.get_recurrent_dropout_mask(tree.flatten(states)[0])
    if isinstance(cell, keras.layers.StackedRNNCells):
        for sub_cell, sub_states in zip(cell.cells, states):
            _draw_dropout_masks(sub_cell, inputs, sub_states)
            # Each stacked cell's mask is shaped like its own input, the
            # output of the cell below.
            inputs, _ = sub_cell(inputs, sub_states)


def _reset_dropout_masks(cell):
    if isinstance(cell, DropoutRNNCell):
        cell.reset_dropout_mask()
        cell.reset_recurrent_dropout_mask()
    if isinstance(cell, keras.layers.StackedRNNCells):
        for sub_cell in cell.cells:
            _reset_dropout_masks(sub_cell)


@keras.saving.register_keras_serializable(package="seqsuite")
class AttentionDecoder(keras.layers.Layer):
    """Runs an `AttentionWrapper` over a target sequence, attending over a memory.

    The recurrent layer of an attention seq2seq decoder trained with teacher
    forcing: at step `t` the wrapper reads `inputs[:, t]`, attends over
    `memory` and emits `output_t` (see `AttentionWrapper` for the update).
    The memory's keys are projected once, before the loop. Masked target
    steps (from `inputs_mask` or the Keras mask of `inputs`) keep the previous
    states, as in `keras.layers.RNN`.

    Args:
        cell: An `AttentionWrapper`.
        return_sequences: Whether to return every step's output rather than
            the last one. Default: `True`.
        return_state: Whether to return the final states (the wrapped cell's,
            then the attention vector) after the outputs. Default: `False`.
        return_alignments: Whether to return the alignment history
            `(batch, target_time, source_time)` after the output, e.g. to plot
            it. Default: `False`.
        zero_output_for_mask: Whether masked target steps output zeros (and
            zero alignments) rather than repeating the previous step's.
            Default: `False`.
        **kwargs: Base layer arguments, such as `name`. `dtype` defaults to
            the cell's dtype policy.

    Call arguments:
        inputs: Tensor `(batch, target_time, features)`, e.g. the embedded
            target tokens shifted right.
        memory: Tensor `(batch, source_time, mem_dim)`, the encoder outputs.
        initial_state: Optional list: the wrapped cell's states (e.g. the
            encoder's final `[h, c]`; the attention vector then starts at
            zeros), or a full wrapper state (cell states plus attention
            vector, as returned with `return_state=True`). Default: zeros.
        inputs_mask: Optional boolean `(batch, target_time)`. Default: the
            Keras mask of `inputs`, if any.
        memory_mask: Optional boolean `(batch, source_time)`, `False` at
            padding, which then gets zero attention. Default: the Keras mask
            of `memory`, if any.
        training: Python boolean, passed on to the wrapped cell (dropout).
            Default: `False`.

    Returns:
        `outputs` (`(batch, target_time, output_size)`, or `(batch,
        output_size)` without `return_sequences`), then `alignments` if
        `return_alignments`, then the final states if `return_state`; a
        single tensor when there is nothing but the outputs.

    Example:

    >>> source = keras.Input((None,), dtype="int32")
    >>> target = keras.Input((None,), dtype="int32")
    >>> embed = keras.layers.Embedding(50, 16, mask_zero=True)
    >>> memory, h, c = keras.layers.LSTM(32, return_sequences=True, return_state=True)(
    ...     embed(source)
    ... )
    >>> cell = AttentionWrapper(
    ...     keras.layers.LSTMCell(32), LuongAttention(), attention_layer_size=32
    ... )
    >>> outputs, alignments = AttentionDecoder(cell, return_alignments=True)(
    ...     embed(target), memory, initial_state=[h, c]
    ... )
    >>> model = keras.Model([source, target], keras.layers.Dense(50)(outputs))
    """

    def __init__(
        self,
        cell,
        return_sequences=True,
        return_state=False,
        return_alignments=False,
        zero_output_for_mask=False,
        **kwargs,
    ):
        if not isinstance(cell, AttentionWrapper):
            raise ValueError(
                f"Argument `cell` must be an `AttentionWrapper`. Received: cell={cell}"
            )
        kwargs.setdefault("dtype", cell.dtype_policy)
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.return_alignments = return_alignments
        self.zero_output_for_mask = zero_output_for_mask
        self.supports_masking = True

    def build(self, inputs_shape, memory_shape):
        if not self.cell.built:
            self.cell.build((inputs_shape[0], inputs_shape[-1]), memory_shape)

    def call(
        self,
        inputs,
        memory,
        initial_state=None,
        inputs_mask=None,
        memory_mask=None,
        training=False,
    ):
        states = self._initial_states(inputs, initial_state)
        keys = self.cell.attention.compute_keys(memory)

        def step(step_inputs, step_states):
            output, new_states, alignments = self.cell(
                step_inputs,
                list(step_states),
                memory=memory,
                memory_mask=memory_mask,
                keys=keys,
                training=training,
                return_alignments=True,
            )
            # Alignments not asked for are not stacked, nor differentiated.
            return ((output, alignments) if self.return_alignments else (output,)), new_states

        self.cell.draw_dropout_masks(inputs[:, 0], states)
        last_output, outputs, final_states = backend_rnn(
            step,
            inputs,
            states,
            mask=inputs_mask,
            input_length=inputs.shape[1],
            zero_output_for_mask=self.zero_output_for_mask,
            return_all_outputs=self.return_sequences or self.return_alignments,
        )
        self.cell.reset_dropout_masks()

        output = outputs[0] if self.return_sequences else last_output[0]
        results = [output]
        if self.return_alignments:
            results.append(outputs[1])  # (batch, target_time, source_time)
        if self.return_state:
            results.extend(final_states)
        results = [ops.cast(x, self.compute_dtype) for x in results]
        return results[0] if len(results) == 1 else tuple(results)

    def _initial_states(self, inputs, initial_state):
        batch_size = ops.shape(inputs)[0]
        if initial_state is None:
            states = self.cell.get_initial_state(batch_size)
        else:
            states = tree.flatten(initial_state)
            num_cell_states = len(tree.flatten(self.cell.cell.state_size))
            if len(states) == num_cell_states:
                states = self.cell.get_initial_state(batch_size, cell_state=states)
            elif len(states) != num_cell_states + 1:
                raise ValueError(
                    f"Argument `initial_state` must hold the wrapped cell's "
                    f"{num_cell_states} states, or those and the attention vector. "
                    f"Received {len(states)} tensors."
                )
        return [ops.cast(s, self.cell.compute_dtype) for s in states]

    def compute_mask(self, inputs, previous_mask=None):
        sequence_mask = previous_mask if self.return_sequences else None
        masks = [sequence_mask]
        if self.return_alignments:
            masks.append(previous_mask)
        if self.return_state:
            masks.extend([None] * (len(tree.flatten(self.cell.cell.state_size)) + 1))
        return masks[0] if len(masks) == 1 else masks

    def get_config(self):
        config = {
            "cell": serialize_keras_object(self.cell),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "return_alignments": self.return_alignments,
            "zero_output_for_mask": self.zero_output_for_mask,
        }
        base_config = super().get_config()
        return {**base_config, **config}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = deserialize_keras_object(config.pop("cell"), custom_objects=custom_objects)
        return cls(cell, **config)
