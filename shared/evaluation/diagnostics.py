"""How gradients flow through time and through training, for any seqsuite model.

Two instruments:

- `gradient_flow(model, x, y)`: for one batch, the norm of `dL/dh_t` at every
  step `t` of a recurrent layer (backpropagation through time read off step by
  step), and for reference the spectral norm of the step Jacobian
  `dh_t/dh_{t-1}`. By the chain rule

  ```
  dL/dh_t = dL/dh_T · Π_{k=t+1..T} dh_k/dh_{k-1}
  ```

  so Jacobian norms below 1 make `||dL/dh_t||` vanish geometrically as `t`
  moves away from `T`, and norms above 1 make it explode. `h_t` is the cell's
  whole state (for an LSTM, `h_t` and `c_t` together).
  `vanishing_step` reads off where the norm has fallen by a factor (10^3) from
  its value at the last step, and `plot_gradient_flow` draws `log ||dL/dh_t||`
  against `t` for several models side by side.
- `GradientLogger`: a Keras callback (`--set log_gradients=true` in any suite)
  that records every training step's global gradient norm, per-layer norms
  and whether clipping acted, and writes the epoch means, the epoch maximum and
  the fraction of clipped steps into the epoch logs (so `history.csv` and
  TensorBoard get them), and every step into `gradients.csv`.
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import tree

from seqsuite.shared.layers.reservoir import Reservoir


@dataclasses.dataclass
class GradientFlow:
    """`gradient_flow`'s result for one batch.

    grad_norms: `(T,)`, `||dL/dh_t||` for `t = 1..T` (Frobenius norm over the
        batch and every state tensor of the cell).
    jacobian_norms: `(T,)`, the mean over the examples of the spectral norm of
        `dh_t/dh_{t-1}` (`t = 1` is taken from the initial state), or `None`.
    layer: the name of the recurrent layer measured.
    """

    grad_norms: np.ndarray
    jacobian_norms: np.ndarray | None
    layer: str


def recurrent_layers(model: keras.Model) -> list:
    """The model's top-level recurrent layers that `gradient_flow` can unroll."""
    return [layer for layer in model.layers if isinstance(layer, (keras.layers.RNN, Reservoir))]


def _pick_layer(model, layer):
    if isinstance(layer, str):
        layer = model.get_layer(layer)
    if layer is None:
        found = recurrent_layers(model)
        if not found:
            if any(isinstance(lr, keras.layers.Bidirectional) for lr in model.layers):
                raise ValueError("gradient_flow needs a unidirectional recurrent layer; "
                                 "a Bidirectional layer reads time both ways")
            raise ValueError("gradient_flow found no recurrent layer (keras.layers.RNN or "
                             f"Reservoir) among the top-level layers of {model.name}")
        layer = found[-1]
    if not isinstance(layer, (keras.layers.RNN, Reservoir)):
        raise ValueError(f"gradient_flow unrolls a keras.layers.RNN or a Reservoir; "
                         f"Received: layer={layer.name} ({type(layer).__name__})")
    if isinstance(layer, keras.layers.RNN) and (layer.go_backwards or layer.stateful):
        raise ValueError(f"gradient_flow needs a forward, non-stateful layer; "
                         f"{layer.name} runs backwards or is stateful")
    return layer


def _flat(states) -> list:
    return list(tree.flatten(states))


def gradient_flow(model: keras.Model, x, y, layer=None, loss=None,
                  jacobian_examples: int = 8) -> GradientFlow:
    """`||dL/dh_t||` at every step of a recurrent layer for one batch `(x, y)`.

    The model is cut around the layer (by default its last top-level
    `keras.layers.RNN` or `Reservoir`): the part before it is run as usual,
    the layer's cell is unrolled one step at a time under a gradient tape, and
    the part after it is applied to the unrolled outputs, so the loss is the
    model's own. Every state the cell carries is a recorded tensor, and the
    tape returns the total derivative of the loss with respect to each: what
    backpropagation through time sends into step `t`. The model runs in
    inference mode (no dropout or zoneout masks).

    Args:
        model: A functional Keras model whose output depends on its input only
            through the recurrent layer (true of every seqsuite suite model
            with a unidirectional encoder).
        x, y: One batch of inputs and targets.
        layer: The layer (or its name) to measure. Default: the last one.
        loss: A Keras loss (name or callable) for `loss(y, y_pred)`. Default:
            the compiled loss of `model`.
        jacobian_examples: How many examples of the batch give the step
            Jacobian norms; `0` skips them (they cost one Jacobian per step).
            Default: `8`.

    Returns:
        A `GradientFlow`.
    """
    layer = _pick_layer(model, layer)
    cell = layer.cell
    if any(layer.input is i for i in model.inputs):
        sequence = tf.convert_to_tensor(x, dtype=layer.compute_dtype)
    else:  # the layers before the recurrent one
        sequence = tf.convert_to_tensor(keras.Model(model.input, layer.input)(x, training=False))
    head = keras.Model(layer.output, model.output)  # the layers after it
    loss_fn = keras.losses.get(loss) if loss is not None else None
    steps = int(sequence.shape[1])
    if isinstance(layer, Reservoir):
        return_sequences, start = layer.return_sequences, layer.washout
    else:
        return_sequences, start = layer.return_sequences, 0
    initial = _flat(cell.get_initial_state(batch_size=int(sequence.shape[0])))
    states_per_step = []
    with tf.GradientTape() as tape:
        # Watching the initial state records every step even when no weight is
        # trainable (a reservoir), since each state depends on it.
        tape.watch(initial)
        states = initial
        outputs = []
        for t in range(steps):
            out, new = cell(sequence[:, t], states, training=False)
            states = _flat(new)
            outputs.append(out)
            states_per_step.append(states)
        h = tf.stack(outputs[start:], axis=1) if return_sequences else outputs[-1]
        y_pred = head(h, training=False)
        if loss_fn is None:
            value = model.compute_loss(x=x, y=y, y_pred=y_pred, training=False)
        else:
            value = tf.reduce_mean(loss_fn(y, y_pred))
    grads = tape.gradient(value, states_per_step, unconnected_gradients="zero")
    norms = np.array([np.sqrt(sum(float(tf.reduce_sum(tf.square(g))) for g in step))
                      for step in grads])
    jacobians = None
    if jacobian_examples:
        jacobians = _jacobian_norms(cell, sequence[:jacobian_examples],
                                    [s[:jacobian_examples] for s in initial],
                                    [[s[:jacobian_examples] for s in step]
                                     for step in states_per_step])
    return GradientFlow(norms, jacobians, layer.name)


def _jacobian_norms(cell, sequence, initial, states_per_step) -> np.ndarray:
    """Mean spectral norm of `dh_t/dh_{t-1}` over the examples, for every step."""
    sizes = [int(s.shape[-1]) for s in initial]

    @tf.function(reduce_retracing=True)
    def mean_spectral_norm(x_t, previous):  # previous: (batch, sum of state sizes)
        with tf.GradientTape() as tape:
            tape.watch(previous)
            states = tf.split(previous, sizes, axis=-1)
            _, new = cell(x_t, states, training=False)
            current = tf.concat(_flat(new), axis=-1)
        jacobians = tape.batch_jacobian(current, previous)  # (batch, state, state)
        # TensorFlow's batched SVD in the graph: about 7x faster than NumPy's here.
        return tf.reduce_mean(tf.linalg.svd(jacobians, compute_uv=False)[:, 0])

    norms = []
    previous = tf.concat(initial, axis=-1)
    for t, states in enumerate(states_per_step):
        norms.append(float(mean_spectral_norm(sequence[:, t], previous)))
        previous = tf.concat(states, axis=-1)
    return np.array(norms)


def vanishing_step(grad_norms, factor: float = 1e3) -> int | None:
    """The latest step `t` (1-based) with `||dL/dh_t|| <= ||dL/dh_T|| / factor`.

    `T - t` is how many steps back the gradient survives within `factor`.
    `None` when the norm never falls that far (it holds up, or explodes).
    """
    norms = np.asarray(grad_norms, dtype=float)
    below = np.flatnonzero(norms <= norms[-1] / factor)
    return int(below[-1]) + 1 if below.size else None


def plot_gradient_flow(curves: dict, path: Path, title: str = "",
                       jacobians: dict | None = None) -> Path:
    """`log ||dL/dh_t||` against `t` for several models (name -> norms), side by
    side with their step-Jacobian norms when `jacobians` (name -> norms) is given."""
    from seqsuite.shared.evaluation import plots

    plt = plots.plt
    panels = 2 if jacobians else 1
    fig, axes = plt.subplots(1, panels, figsize=(6 * panels, 3.6), squeeze=False)
    ax = axes[0, 0]
    for name, norms in curves.items():
        norms = np.asarray(norms, dtype=float)
        ax.plot(np.arange(1, len(norms) + 1), np.where(norms > 0, norms, np.nan), label=name)
    ax.set_yscale("log")
    ax.set_xlabel("step t")
    ax.set_ylabel("||dL/dh_t||")
    ax.set_title(title or "gradient flow through time")
    ax.legend(loc="best", fontsize=8)
    if jacobians:
        ax = axes[0, 1]
        for name, norms in jacobians.items():
            ax.plot(np.arange(1, len(norms) + 1), norms, label=name)
        ax.axhline(1.0, color="0.6", lw=1, ls="--")
        ax.set_yscale("log")
        ax.set_xlabel("step t")
        ax.set_ylabel("||dh_t/dh_{t-1}||_2")
        ax.set_title("step Jacobian (spectral norm)")
        ax.legend(loc="best", fontsize=8)
    return plots._save(fig, path)


def _read_csv(path: Path) -> list[dict]:
    with Path(path).open() as f:
        return list(csv.DictReader(f))


def plot_gradient_log(runs: dict, path: Path, title: str = "") -> Path:
    """Several runs trained with `log_gradients=true` side by side (name -> run directory):
    the global gradient norm of every step, steps where clipping acted marked, and the
    training loss per epoch."""
    from seqsuite.shared.evaluation import plots

    fig, (left, right) = plots.plt.subplots(1, 2, figsize=(12, 3.8))
    for index, (name, directory) in enumerate(runs.items()):
        color = f"C{index}"
        steps = _read_csv(Path(directory) / "gradients.csv")
        step = np.array([int(s["step"]) for s in steps])
        norm = np.array([float(s["grad_norm"]) for s in steps])
        clipped = np.array([s["clipped"] == "1" for s in steps], dtype=bool)
        left.plot(step, norm, color=color, lw=1, marker="." if len(step) < 5 else None,
                  label=name)
        if clipped.any():
            left.scatter(step[clipped], norm[clipped], s=4, color=color)
        broken = np.flatnonzero(~np.isfinite(norm))
        if broken.size:  # the NaN guard stops the run at its first non-finite step
            left.axvline(step[broken[0]], color=color, ls="--", lw=1,
                         label=f"{name}: not finite at step {step[broken[0]]}")
        history = _read_csv(Path(directory) / "history.csv")
        epochs = [int(r["epoch"]) + 1 for r in history]
        right.plot(epochs, [float(r["loss"]) for r in history], marker=".", color=color,
                   label=name)
    left.set_yscale("log")
    left.set_xlabel("training step (dots: clipping acted)")
    left.set_ylabel("global gradient norm")
    left.set_title(title or "gradient norm per step")
    left.legend(loc="best", fontsize=8)
    right.set_yscale("log")
    right.set_xlabel("epoch")
    right.set_ylabel("training loss")
    right.legend(loc="best", fontsize=8)
    return plots._save(fig, path)


class GradientLogger(keras.callbacks.Callback):
    """Gradient norms and clipping, measured on every training step.

    For each step it records the global norm `||g||` of the gradients the
    optimizer receives (before clipping), the norm per top-level layer, and
    whether clipping changed them (`global_clipnorm`: `||g||` above it;
    `clipnorm`: some variable's norm above it; `clipvalue`: some element
    beyond it). At the end of each epoch it adds to the logs

    ```
    grad_norm             mean over the epoch's steps of ||g||
    grad_norm_max         largest ||g|| of the epoch
    grad_clip_fraction    fraction of the epoch's steps where clipping acted
    grad_norm/LAYER       mean over the steps of that layer's gradient norm
    ```

    which Keras's `CSVLogger` and `TensorBoard` callbacks placed after it
    write to `history.csv` and `logs/` (`epoch_grad_norm`, ...). With
    `directory`, every step is also appended to `directory/gradients.csv`
    (`step, epoch, grad_norm, clipped`).

    How: for the duration of `fit`, the callback wraps the optimizer's
    `apply(grads, variables)`, which Keras's `train_step` calls through
    `apply_gradients` with the raw gradients of the step it has just computed.
    The wrapper computes the norms into variables inside the compiled train
    function and hands the gradients on unchanged; the callback reads them
    after each batch. This measures exactly the gradients that trained the
    model, with no second forward or backward pass, and leaves Keras's
    `train_step` (and the suites' models) alone. The rejected alternatives:
    gradients of a held batch at epoch end (a second pass, and they cannot say
    on how many steps clipping acted); a custom `train_step` (it would copy
    Keras's private loss and metric bookkeeping). The train function is
    rebuilt when training starts and ends, so the wrapper is traced in and
    leaves nothing behind. It assumes one step per train-function call
    (Keras's default `steps_per_execution=1`).

    Args:
        directory: Where `gradients.csv` goes. Default: `None`, no per-step
            file.
        append: Whether to append to an existing `gradients.csv` (a resumed
            run) rather than start it afresh. Default: `False`.
    """

    def __init__(self, directory: Path | None = None, append: bool = False):
        super().__init__()
        self.directory = None if directory is None else Path(directory)
        self.append = append
        self.layer_names: list[str] = []
        self._epoch = 0
        self._rows: list[tuple[float, bool, np.ndarray]] = []

    # The wrapper, traced into the train function.

    def _record(self, grads, variables):
        optimizer = self.model.optimizer
        owner = {id(v): i for i, layer in enumerate(self._layers) for v in layer.trainable_weights}
        squares = [tf.zeros((), "float32") for _ in self._layers]
        clipped = tf.constant(False)
        for g, v in zip(grads, variables):
            if g is None:
                continue
            g = tf.cast(tf.convert_to_tensor(g), "float32")
            square = tf.reduce_sum(tf.square(g))
            index = owner.get(id(v))
            if index is not None:
                squares[index] += square
            if optimizer.clipnorm:
                clipped = clipped | (tf.sqrt(square) > optimizer.clipnorm)
            if optimizer.clipvalue:
                clipped = clipped | (tf.reduce_max(tf.abs(g)) > optimizer.clipvalue)
        total = tf.sqrt(tf.add_n(squares)) if squares else tf.zeros(())
        if optimizer.global_clipnorm:
            clipped = clipped | (total > optimizer.global_clipnorm)
        self._norm.assign(total)
        self._layer_norms.assign(tf.sqrt(tf.stack(squares)) if squares else tf.zeros((0,)))
        self._clipped.assign(clipped)

    def on_train_begin(self, logs=None):
        optimizer = self.model.optimizer
        self._layers = [layer for layer in self.model.layers if layer.trainable_weights]
        self.layer_names = [layer.name for layer in self._layers]
        self._norm = tf.Variable(0.0, trainable=False)
        self._layer_norms = tf.Variable(tf.zeros((len(self._layers),)), trainable=False)
        self._clipped = tf.Variable(False, trainable=False)
        original = type(optimizer).apply.__get__(optimizer)

        def apply(grads, trainable_variables=None):
            grads = list(grads)
            if trainable_variables is not None:  # always, from Keras's train_step
                trainable_variables = list(trainable_variables)
                self._record(grads, trainable_variables)
            return original(grads, trainable_variables)

        optimizer.apply = apply
        self.model.make_train_function(force=True)
        self._file = None
        if self.directory is not None:
            path = self.directory / "gradients.csv"
            new = not (self.append and path.exists())
            self._file = path.open("w" if new else "a", newline="")
            self._writer = csv.writer(self._file)
            if new:
                self._writer.writerow(["step", "epoch", "grad_norm", "clipped"])

    def on_train_end(self, logs=None):
        del self.model.optimizer.apply  # back to the class's method
        self.model.make_train_function(force=True)
        if self._file is not None:
            self._file.close()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._rows = []

    def on_train_batch_end(self, batch, logs=None):
        norm, clipped = float(self._norm.numpy()), bool(self._clipped.numpy())
        self._rows.append((norm, clipped, self._layer_norms.numpy()))
        if self._file is not None:
            step = int(self.model.optimizer.iterations.numpy())
            self._writer.writerow([step, self._epoch, f"{norm:.6g}", int(clipped)])

    def on_epoch_end(self, epoch, logs=None):
        if logs is None or not self._rows:
            return
        norms = np.array([r[0] for r in self._rows])
        logs["grad_norm"] = float(norms.mean())
        logs["grad_norm_max"] = float(norms.max())
        logs["grad_clip_fraction"] = float(np.mean([r[1] for r in self._rows]))
        per_layer = np.mean([r[2] for r in self._rows], axis=0)
        for name, value in zip(self.layer_names, per_layer):
            logs[f"grad_norm/{name}"] = float(value)
        if self._file is not None:
            self._file.flush()
