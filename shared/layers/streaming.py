"""Streaming twins of whole-sequence models: the same weights, a chunk of steps at a time,
the recurrent state passed in and out explicitly.

A model trained on whole sequences (batch, time, features) computes, for a recurrent layer,

    h_t = f(x_t, h_{t-1}),   h_0 = 0,

so the outputs for steps 1..T can be had chunk by chunk: run the chunk's steps from the
state the previous chunk left, return the outputs and the new state. `Streaming(model)`
does that for a whole Keras functional model without rebuilding it: it runs the model's
own graph (`Functional._run_through_graph`, as `Model.call` does) with every stateful layer
swapped for a call that takes and returns its state, and every other layer as it is.

    stream = Streaming(model)                  # model: (batch, time, features) -> ...
    state = stream.initial_state(batch_size=1)
    for chunk in chunks:                       # (1, steps, features), any steps >= 1
        outputs, state = stream(chunk, state)  # outputs of these steps; the next state

What streams:

- `keras.layers.RNN` and its subclasses (LSTM, GRU, SimpleRNN, the library's cells inside
  an RNN: layer-norm, peephole, zoneout, stacked cells; `WeightDropRNN` at inference): the
  state is the cell's state list. A layer with `return_sequences=False` gives the output of
  the chunk's last step, which is the whole-sequence output when the chunk ends the sequence.
- `shared.layers.reservoir.Reservoir`: the reservoir state (washout must be 0).
- `shared.layers.reservoir.NVAR`: the last (delay - 1) * strides inputs, flattened.
- `keras.layers.Conv1D(padding="causal")` with strides 1 (any dilation): the last
  dilation * (kernel_size - 1) input steps, a ring buffer, flattened (zeros at first,
  as the causal padding is).
- Layers that act on each step alone (`STEPWISE`: Dense, activations, dropout, layer
  normalisation, element-wise merges, embeddings, ...), run on the chunk as they are.

Anything else raises `StreamingError` naming the layer, before a chunk is run: a
bidirectional layer (its backward half needs the future), a layer run backwards, and
layers that mix steps (attention over the sequence, pooling or flattening over time,
convolutions, cropping).

States are a dict `{"<layer>/<i>": tensor (batch, size)}`, flat so that a SavedModel
signature can take and return them by name.
"""

from __future__ import annotations

import keras
from keras import ops

# Layers that act on each time step independently: a chunk of steps through them is the
# same as those steps of the whole sequence.
STEPWISE = (
    keras.layers.Dense, keras.layers.EinsumDense, keras.layers.Activation,
    keras.layers.ReLU, keras.layers.LeakyReLU, keras.layers.Softmax, keras.layers.ELU,
    keras.layers.PReLU, keras.layers.Dropout, keras.layers.GaussianNoise,
    keras.layers.GaussianDropout, keras.layers.AlphaDropout, keras.layers.LayerNormalization,
    keras.layers.BatchNormalization, keras.layers.Embedding, keras.layers.Add,
    keras.layers.Subtract, keras.layers.Multiply, keras.layers.Average, keras.layers.Maximum,
    keras.layers.Minimum, keras.layers.Rescaling, keras.layers.Identity,
    keras.layers.TimeDistributed, keras.layers.InputLayer,
)


class StreamingError(ValueError):
    """A model holds a layer that cannot run a chunk at a time."""


def _reservoir_type():
    from seqsuite.shared.layers.reservoir.layers import Reservoir

    return Reservoir


def _nvar_type():
    from seqsuite.shared.layers.reservoir.nvar import NVAR

    return NVAR


def _stepwise(layer) -> bool:
    """Whether `layer` acts on each step alone (its own `streams_stepwise` attribute wins,
    so a library layer can declare it)."""
    declared = getattr(layer, "streams_stepwise", None)
    if declared is not None:
        return bool(declared)
    if isinstance(layer, keras.layers.Concatenate):
        return layer.axis == -1
    return isinstance(layer, STEPWISE)


def _state_sizes(layer) -> list[int]:
    """The sizes of a stateful layer's state tensors."""
    if isinstance(layer, _reservoir_type()):
        return [layer.units]
    if isinstance(layer, _nvar_type()):  # the last `past` inputs, flattened
        return [layer.past * layer.linear_size // layer.delay]
    if isinstance(layer, keras.layers.Conv1D):  # the last past steps of its input, flattened
        return [_conv_past(layer) * _conv_channels(layer)]
    size = layer.cell.state_size
    sizes = list(size) if isinstance(size, (list, tuple)) else [size]
    flat = []
    for s in sizes:  # stacked cells give a list per cell
        flat.extend(s if isinstance(s, (list, tuple)) else [s])
    return [int(s) for s in flat]


def stateful_layers(model: keras.Model) -> list:
    """The layers of `model` that carry a state from step to step, in graph order; a
    `StreamingError` for the first layer that cannot stream."""
    if not isinstance(model, keras.Model) or not hasattr(model, "_run_through_graph"):
        raise StreamingError(f"streaming needs a functional Keras model; {type(model).__name__} "
                             "is not one (build it with keras.Model(inputs, outputs))")
    found = []
    for layer in model.operations:
        if isinstance(layer, keras.layers.Bidirectional):
            raise StreamingError(f"layer '{layer.name}' is bidirectional: its backward half "
                                 "needs the steps still to come; train a unidirectional model "
                                 "to stream")
        if isinstance(layer, keras.layers.RNN):
            if layer.go_backwards:
                raise StreamingError(f"layer '{layer.name}' reads the sequence backwards; it "
                                     "cannot stream")
            found.append(layer)
        elif isinstance(layer, _reservoir_type()):
            if layer.washout:
                raise StreamingError(f"reservoir '{layer.name}' drops its first {layer.washout} "
                                     "states (washout); set washout=0 to stream")
            found.append(layer)
        elif isinstance(layer, _nvar_type()):
            if layer.past:  # with one copy (delay 1) it is step-wise
                found.append(layer)
        elif isinstance(layer, keras.layers.Conv1D) and not isinstance(
                layer, keras.layers.Conv1DTranspose):
            _check_conv(layer)
            if _conv_past(layer):  # kernel 1: step-wise
                found.append(layer)
        elif isinstance(layer, keras.Model):
            raise StreamingError(f"layer '{layer.name}' is a nested model; build the model "
                                 "flat to stream it")
        elif not _stepwise(layer):
            raise StreamingError(f"layer '{layer.name}' ({type(layer).__name__}) mixes time "
                                 "steps and cannot run a chunk at a time")
    return found


class Streaming:
    """A whole-sequence functional model run a chunk of steps at a time (module docstring).

    Args:
        model: a built functional `keras.Model` whose first input is the sequence
            (batch, time, ...); other inputs (e.g. per-sequence features) are passed
            whole with every chunk.

    Call arguments:
        inputs: the chunk (batch, steps, ...), or a list of the model's inputs with the
            chunk first.
        state: the dict `initial_state` returned, or the state the previous call returned.

    Returns:
        (outputs, state): the model's outputs for the chunk's steps (a layer without
        `return_sequences` gives the chunk's last step), and the state after it.
    """

    def __init__(self, model: keras.Model):
        self.model = model
        self.layers = stateful_layers(model)
        self._twins = {id(layer): _twin(layer) for layer in self.layers
                       if isinstance(layer, keras.layers.RNN)}

    def state_names(self) -> dict[str, int]:
        """{state name: size}, in the order of the layers."""
        return {f"{layer.name}/{i}": size for layer in self.layers
                for i, size in enumerate(_state_sizes(layer))}

    def initial_state(self, batch_size, dtype="float32") -> dict:
        """Zeros for every state: the state before the first step, as the model starts."""
        return {name: ops.zeros((batch_size, size), dtype=dtype)
                for name, size in self.state_names().items()}

    def __call__(self, inputs, state: dict):
        missing = sorted(set(self.state_names()) - set(state))
        if missing:
            raise StreamingError(f"the state lacks {', '.join(missing)}; start from "
                                 "initial_state()")
        updated = {}
        stateful = {id(layer) for layer in self.layers}
        reservoir = _reservoir_type()

        def operation_fn(layer):
            if id(layer) not in stateful:
                return lambda *args, **kwargs: layer(*args, **{**kwargs, "training": False}) \
                    if "training" in _call_arguments(layer) else layer(*args, **kwargs)
            names = [f"{layer.name}/{i}" for i in range(len(_state_sizes(layer)))]

            def run(x, *args, **kwargs):
                before = [state[n] for n in names]
                if isinstance(layer, _nvar_type()):
                    history, after = _ring_buffer(before[0], x, layer.past)
                    outputs = layer(x, history=history)
                    updated.update(zip(names, after))
                    return outputs
                if isinstance(layer, keras.layers.Conv1D):
                    outputs, after = _run_conv(layer, x, before[0])
                    updated.update(zip(names, after))
                    return outputs
                if isinstance(layer, reservoir):
                    drive = layer.cell.input_drive(x, False)
                    # W passed densely: finding a block-sparse W's blocks reads all of W,
                    # which for a chunk of one step costs more than the dense product.
                    sequence, last = layer.run(drive, before[0], return_sequences=True,
                                               recurrent_kernel=layer.cell.recurrent_kernel)
                    after = [last]
                    outputs = sequence if layer.return_sequences else last
                else:
                    outputs, after = _run_cell(self._twins[id(layer)], layer, x, before)
                updated.update(zip(names, after))
                return [outputs, *after] if getattr(layer, "return_state", False) else outputs

            return run

        outputs = self.model._run_through_graph(
            inputs if isinstance(inputs, (list, tuple)) else [inputs], operation_fn=operation_fn)
        return outputs, updated

    def endpoints(self, specs, prepare=None, finish=None) -> dict:
        """Two SavedModel endpoints, `{name: (function, input signature)}`, for a
        `shared.run.suite.Serving`:

        - `initial_state(batch_size)`: zeros for every state tensor;
        - `stream(*inputs, *states)`: `prepare(*inputs)` (default: the first input) is
          the chunk; returns `finish(outputs, *inputs)` (default `{"outputs": ...}`) and
          the state after the chunk.

        `specs` are the `tf.TensorSpec`s of what a user sends each time (a new
        observation, a token, an audio chunk). Each state tensor is an input and an output
        named `state_<layer>_<i>`, float32 (batch, size), so a client feeds back what it
        got."""
        import tensorflow as tf

        sizes = self.state_names()
        names = {n: "state_" + n.replace("/", "_") for n in sizes}
        specs = list(specs)

        def initial_state(batch_size):
            return {names[n]: v for n, v in self.initial_state(batch_size).items()}

        def stream(*args):
            inputs, states = args[: len(specs)], args[len(specs):]
            chunk = prepare(*inputs) if prepare is not None else inputs[0]
            outputs, after = self(chunk, dict(zip(sizes, states)))
            out = finish(outputs, *inputs) if finish is not None else {"outputs": outputs}
            return {**out, **{names[n]: after[n] for n in sizes}}

        state_specs = [tf.TensorSpec([None, size], tf.float32, name=names[n])
                       for n, size in sizes.items()]
        return {"initial_state": (initial_state, [tf.TensorSpec([], tf.int32,
                                                               name="batch_size")]),
                "stream": (stream, [*specs, *state_specs])}


def _conv_past(layer) -> int:
    """Input steps a causal Conv1D's output reads before the current one."""
    return layer.dilation_rate[0] * (layer.kernel_size[0] - 1)


def _conv_channels(layer) -> int:
    return int(layer.kernel.shape[-2]) * layer.groups


def _check_conv(layer) -> None:
    if layer.padding != "causal":
        raise StreamingError(f"convolution '{layer.name}' pads '{layer.padding}', so its "
                             "outputs read later steps; build it with padding='causal' to "
                             "stream")
    if layer.strides[0] != 1:
        raise StreamingError(f"convolution '{layer.name}' strides {layer.strides[0]} steps "
                             "over time; only strides=1 streams")
    if layer.data_format != "channels_last":
        raise StreamingError(f"convolution '{layer.name}' is channels_first; streaming reads "
                             "(batch, time, channels)")


def _run_conv(layer, x, before):
    """A chunk through a causal Conv1D from the flat ring buffer `before`: (outputs,
    [the buffer after the chunk])."""
    history, after = _ring_buffer(before, x, _conv_past(layer))
    seen = ops.concatenate([history, x], axis=1)
    outputs = ops.conv(seen, layer.kernel, strides=1, padding="valid",
                       dilation_rate=layer.dilation_rate)
    if layer.use_bias:
        outputs = outputs + layer.bias
    if layer.activation is not None:
        outputs = layer.activation(outputs)
    return outputs, after


def _ring_buffer(before, x, past: int):
    """A delay line's state: (its last `past` inputs (batch, past, features) from the flat
    state `before`, [the flat state after chunk `x`])."""
    features = ops.shape(x)[-1]
    history = ops.cast(ops.reshape(before, (-1, past, features)), x.dtype)
    seen = ops.concatenate([history, x], axis=1)
    return history, [ops.reshape(seen[:, -past:], (-1, past * features))]


def _call_arguments(layer) -> set:
    import inspect

    try:
        return set(inspect.signature(layer.call).parameters)
    except (TypeError, ValueError):
        return set()


def _twin(layer) -> keras.layers.RNN:
    """An RNN over `layer`'s own cell (the same weights) that returns every step and its
    final state, and takes an initial one."""
    return keras.layers.RNN(layer.cell, return_sequences=True, return_state=True,
                            name=f"{layer.name}_streaming")


def _run_cell(twin, layer, x, states: list):
    """The steps of chunk `x` through `layer`'s cell from the flat `states`:
    (outputs, new flat states)."""
    structure = layer.cell.state_size
    if isinstance(structure, (list, tuple)) and any(isinstance(s, (list, tuple))
                                                    for s in structure):
        states = keras.tree.pack_sequence_as(structure, states)  # stacked cells
    sequence, *after = twin(x, initial_state=states, training=False)
    outputs = sequence if layer.return_sequences else sequence[:, -1]
    return outputs, keras.tree.flatten(after)
