"""`ESN`: a reservoir and a ridge readout, fitted in closed form, as one Keras model."""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from seqsuite.shared.checks import check_argument
from seqsuite.shared.layers.reservoir.layers import Reservoir, RidgeReadout, check_finite


@keras.saving.register_keras_serializable(package="seqsuite")
class ESN(keras.Model):
    """Echo state network: a `Reservoir` and a `RidgeReadout` fitted in closed form.

    With `a` the `leak_rate`, `f` the `activation` and `W_out`, `b_out` the
    readout's `kernel` and `bias`:

    ```
    h_t = (1 - a) h_{t-1} + a f(x_t W_in + h_{t-1} W + y_{t-1} W_fb + b + ε_t)
    y_t = h_t W_out + b_out
    ```

    `fit(x, y, warmup=...)` runs the reservoir over the inputs (with the state
    noise `ε_t` and, with `feedback=True`, the targets `y_{t-1}` fed back:
    teacher forcing) and solves the ridge regression of `y_t` on `h_t`,
    dropping the first `warmup` steps of every sequence. `predict` and
    calling the model run the reservoir without noise; with `feedback=True`
    they feed back the model's own outputs. `generate(n_steps)` runs in
    closed loop, its own output becoming its next input.

    The model remembers the reservoir state at the end of the last `fit`,
    `predict` or `generate` (`last_state`): `predict(x, initial_state="last")`
    continues a series (as ReservoirPy's `run` does) and `generate` continues
    from it by default. The state is not saved with the model; after loading,
    give `generate` a `warmup` sequence. Calling the model, `model(x)`, always
    starts from zeros, so exported models are pure functions.

    Inputs are `(batch, time, features)` and targets `(batch, time, outputs)`,
    NumPy arrays or tensors, or a `tf.data.Dataset` of `(x, y)` batches for
    `fit` (of `x` batches for `predict`), which is streamed: the ridge
    statistics `XᵀX` and `XᵀY` are summed batch by batch, and under a
    `tf.distribute` strategy scope over the replicas too (each sums its share
    of the rows; see `RidgeReadout`).

    Args:
        units: Positive integer, the number of reservoir units. Default: `100`.
        output_units: Number of outputs; `None` takes it from the targets at
            the first `fit`. Default: `None`.
        spectral_radius: Positive float, spectral radius of `W` (ReservoirPy:
            `sr`). Default: `0.9`.
        leak_rate: Leak rate `a` in (0, 1] (ReservoirPy: `lr`). Default: `1.0`.
        input_scaling: Float, or one float per input feature. Default: `1.0`.
        connectivity: Fraction of non-zero recurrent weights, in (0, 1]
            (ReservoirPy: `rc_connectivity`). Default: `0.1`.
        input_connectivity: Fraction of non-zero input weights, in (0, 1].
            Default: `0.1`.
        bias_scaling: Non-negative float; `0` is no reservoir bias.
            Default: `0.0`.
        distribution: Distribution of `W`: `"normal"`, `"uniform"` or
            `"bernoulli"`. Default: `"normal"`.
        input_distribution: Distribution of `W_in`, `W_fb` and `b`.
            Default: `"bernoulli"`.
        activation: Reservoir activation `f`. Default: `"tanh"`.
        noise_stddev: Non-negative float, standard deviation of the state noise
            during `fit`. Default: `0.0`.
        feedback: Whether the output is fed back into the reservoir.
            Default: `False`.
        feedback_scaling: Float, scale of `W_fb`. Default: `1.0`.
        ridge: Non-negative float, the readout's regularisation.
            Default: `1e-6`.
        use_bias: Whether the readout has a bias (not regularised).
            Default: `True`.
        spectral_radius_method: `"auto"`, `"eigenvalues"` or `"power"`, see
            `initializers.spectral_radius`. Default: `"auto"`.
        block_size: `None`, or the side of the square blocks `W`'s non-zeros
            come in, which the loop multiplies by alone (see `Reservoir`):
            50 for 1000 units. Default: `None`.
        seed: Integer seed for every matrix and the noise. Default: `None`.
        **kwargs: Base model arguments, such as `name` and `dtype`
            (`dtype="float64"` runs the reservoir in double precision).

    Example:

    >>> t = np.arange(2001)
    >>> series = np.sin(0.1 * t)[None, :, None]  # (batch, time, features)
    >>> esn = ESN(units=100, spectral_radius=0.9, leak_rate=0.5, ridge=1e-8, seed=0)
    >>> esn = esn.fit(series[:, :-1], series[:, 1:], warmup=100)
    >>> future = esn.generate(50)  # continues after series[:, -2]
    >>> future.shape
    (1, 50, 1)
    """

    def __init__(
        self,
        units=100,
        output_units=None,
        spectral_radius=0.9,
        leak_rate=1.0,
        input_scaling=1.0,
        connectivity=0.1,
        input_connectivity=0.1,
        bias_scaling=0.0,
        distribution="normal",
        input_distribution="bernoulli",
        activation="tanh",
        noise_stddev=0.0,
        feedback=False,
        feedback_scaling=1.0,
        ridge=1e-6,
        use_bias=True,
        spectral_radius_method="auto",
        block_size=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self._reservoir_config = {
            "units": units,
            "spectral_radius": spectral_radius,
            "leak_rate": leak_rate,
            "input_scaling": input_scaling,
            "connectivity": connectivity,
            "input_connectivity": input_connectivity,
            "bias_scaling": bias_scaling,
            "distribution": distribution,
            "input_distribution": input_distribution,
            "activation": activation,
            "noise_stddev": noise_stddev,
            "feedback_scaling": feedback_scaling,
            "spectral_radius_method": spectral_radius_method,
            "block_size": block_size,
            "seed": seed,
        }
        self.feedback = bool(feedback)
        self.ridge = ridge
        self.use_bias = use_bias
        self.output_units = None
        self.reservoir = None
        self.readout = None
        self.last_state = None
        # Bad arguments fail here, not at the first fit.
        Reservoir(**self._reservoir_config)
        RidgeReadout(1, ridge=ridge)
        if output_units is not None:
            self._make_layers(output_units)

    def _make_layers(self, output_units):
        check_argument("output_units", output_units, low=1, integer=True)
        self.output_units = int(output_units)
        self.reservoir = Reservoir(
            **self._reservoir_config,
            feedback_units=self.output_units if self.feedback else 0,
            dtype=self.dtype_policy,
            name="reservoir",
        )
        self.readout = RidgeReadout(
            self.output_units,
            ridge=self.ridge,
            use_bias=self.use_bias,
            dtype=self.dtype_policy,
            name="readout",
        )

    def build(self, input_shape):
        if self.readout is None:
            raise ValueError(
                "The ESN does not know its number of outputs yet: call `fit` first, "
                "or pass `output_units`. Received: output_units=None"
            )
        feedback = self.output_units if self.feedback else 0
        self.reservoir.build((*input_shape[:-1], input_shape[-1] + feedback))
        self.readout.build((None, None, self.reservoir.units))

    @property
    def units(self):
        return self._reservoir_config["units"]

    # The reservoir loop, open or closed through the readout.

    def _feedback_matrix(self, feed_inputs):
        """`W + W_out M`: the recurrent matrix with the readout's output fed back.

        `M` is `W_fb` (feedback), plus `W_in` when the output is also the next
        input (`generate`). Feeding back `y_{t-1} = h_{t-1} W_out + b_out` is
        then exact with one matmul per step: its `b_out M` part goes to the
        drive, the rest into the recurrent matrix. `None` when nothing is fed
        back: the reservoir's own `W` (which it may multiply by in blocks).
        """
        cell = self.reservoir.cell
        fed = []
        if feed_inputs:
            fed.append(cell.kernel.value)
        if self.feedback:
            fed.append(cell.feedback_kernel.value)
        if not fed:
            return None
        return cell.recurrent_kernel.value + ops.matmul(self.readout.kernel.value, sum(fed))

    def _readout_bias(self, shape):
        if self.use_bias:
            return ops.broadcast_to(self.readout.bias, (*shape, self.output_units))
        return ops.zeros((*shape, self.output_units), dtype=self.compute_dtype)

    def _states(self, inputs, initial_state=None, training=False, project=False):
        """Reservoir states `(batch, time, units)` and the last state.

        `project=True` returns the outputs `(batch, time, outputs)` in place of
        the states, computed step by step in the loop.
        """
        inputs = ops.convert_to_tensor(inputs, dtype=self.compute_dtype)
        if self.feedback:
            batch, time = ops.shape(inputs)[0], ops.shape(inputs)[1]
            inputs = ops.concatenate([inputs, self._readout_bias((batch, time))], axis=-1)
        drive = self.reservoir.cell.input_drive(inputs, training)
        kernel = self._feedback_matrix(feed_inputs=False)
        readout = None
        if project:
            bias = self._readout_bias(())
            readout = (ops.cast(self.readout.kernel.value, drive.dtype), ops.cast(bias, drive.dtype))
        return self.reservoir.run(drive, initial_state, recurrent_kernel=kernel, readout=readout)

    def call(self, inputs, training=False):
        states, _ = self._states(inputs, training=training)
        return self.readout(states)

    # Closed-form training and stateful inference.

    def fit(
        self, x, y=None, warmup=0, stateful=False, batch_size=None, initial_state=None, verbose=None
    ):
        """Fits the readout in closed form; returns `self`.

        Args:
            x: Inputs `(batch, time, features)`, or a `tf.data.Dataset` of
                `(x, y)` batches.
            y: Targets `(batch, time, outputs)`; `None` with a dataset.
            warmup: Non-negative integer, how many initial steps of each
                sequence to leave out of the regression (ReservoirPy's
                `warmup`). Default: `0`.
            stateful: With a dataset, whether consecutive batches continue the
                same sequences (a long series cut along time: the state carries
                over and only the first batch loses `warmup` steps) instead of
                being independent sequences. Default: `False`.
            batch_size: With arrays, how many sequences to run at once (bounds
                the memory for the states); `None` runs all. Default: `None`.
            initial_state: `(batch, units)` state to start from; zeros by
                default.
            verbose: Ignored; accepted as in `keras.Model.fit` (the
                closed-form fit prints nothing).
        """
        check_argument("warmup", warmup, low=0, integer=True)
        state = previous_target = None
        for index, (x_batch, y_batch) in enumerate(_batches(x, y, batch_size, stateful)):
            x_batch, y_batch = _check_sequences(x_batch, "x"), _check_sequences(y_batch, "y")
            if x_batch.shape[:2] != y_batch.shape[:2]:
                raise ValueError(
                    "Inputs and targets must have the same batch and time sizes. "
                    f"Received: x.shape={x_batch.shape}, y.shape={y_batch.shape}"
                )
            if index == 0:
                if self.readout is None:
                    self._make_layers(y_batch.shape[-1])
                self._build_for(x_batch)
                self.readout.reset_statistics()
            if y_batch.shape[-1] != self.output_units:
                raise ValueError(
                    f"The ESN has {self.output_units} outputs. Received: y.shape={y_batch.shape}"
                )
            carry = stateful and index > 0
            inputs = x_batch
            if self.feedback:
                # Teacher forcing: the target of the previous step, zeros before the first.
                first = previous_target if carry else np.zeros_like(y_batch[:, :1])
                shifted = np.concatenate([first, y_batch[:, :-1]], axis=1)
                inputs = np.concatenate([x_batch, shifted], axis=-1)
            inputs = ops.convert_to_tensor(inputs, dtype=self.compute_dtype)
            drive = self.reservoir.cell.input_drive(inputs, training=True)
            states, state = self.reservoir.run(
                drive, state if carry else self._initial_state(initial_state, len(x_batch))
            )
            self.reservoir.check_states(state)
            skip = 0 if carry else warmup
            # Slicing the NumPy view, not the tensor, saves a copy of every state.
            states = ops.convert_to_numpy(states)
            self.readout.update_statistics(states[:, skip:], y_batch[:, skip:])
            previous_target = y_batch[:, -1:]
        if state is None:
            raise ValueError("No data to fit: `x` is empty. Received: x with no batches")
        self.readout.solve()
        self.last_state = state
        return self

    def predict(self, x, initial_state=None, stateful=False, batch_size=None, verbose=None):
        """Outputs `(batch, time, outputs)` as a NumPy array.

        Args:
            x: Inputs `(batch, time, features)`, or a dataset of such batches.
            initial_state: `None` (zeros), `"last"` (the state the previous
                `fit`, `predict` or `generate` ended in: continues a series)
                or a `(batch, units)` array. Default: `None`.
            stateful: With a dataset, whether consecutive batches continue the
                same sequences (outputs joined along time) instead of being
                independent ones (joined along the batch). Default: `False`.
            batch_size: With arrays, how many sequences to run at once.
                Default: `None` (all).
            verbose: Ignored; accepted as in `keras.Model.predict`.
        """
        outputs, state = [], None
        for index, (x_batch, _) in enumerate(_batches(x, None, batch_size, stateful)):
            x_batch = _check_sequences(x_batch, "x")
            self._build_for(x_batch)
            carry = stateful and index > 0
            start = state if carry else self._initial_state(initial_state, len(x_batch))
            predicted, state = self._states(x_batch, start, project=True)
            self.reservoir.check_states(state)
            outputs.append(ops.convert_to_numpy(predicted))
        if state is None:
            raise ValueError("No data to predict: `x` is empty. Received: x with no batches")
        self.last_state = state
        return np.concatenate(outputs, axis=1 if stateful else 0)

    def generate(self, n_steps, warmup=None, initial_state=None):
        """Runs in closed loop: each output becomes the next input.

        Needs as many outputs as inputs (a one-step-ahead forecaster). The
        first generated value is the prediction from the current state, so
        after `fit(x[:, :-1], x[:, 1:])` it is the value after `x[:, -1]`.

        Args:
            n_steps: Positive integer, how many values to generate.
            warmup: Optional inputs `(batch, time, features)` to run first
                (from `initial_state`, or zeros), like `predict`.
            initial_state: `(batch, units)` state to start from. With neither
                argument, generation continues from `last_state`.

        Returns:
            `(batch, n_steps, outputs)` NumPy array.
        """
        check_argument("n_steps", n_steps, low=1, integer=True)
        if warmup is not None:
            self.predict(warmup, initial_state=initial_state)
            state = self.last_state
        elif initial_state is not None:
            state = self._initial_state(initial_state, len(initial_state))
        elif self.last_state is not None:
            state = self.last_state
        else:
            raise ValueError(
                "Nothing to continue from: call `fit` or `predict` first, or pass `warmup` "
                "or `initial_state`. Received: warmup=None, initial_state=None"
            )
        features = self.reservoir.cell.kernel.shape[0]
        if features != self.output_units:
            raise ValueError(
                "generate feeds each output back as the next input, so the model needs as many "
                f"outputs as input features. Received: {features} input features, "
                f"{self.output_units} outputs"
            )
        state = ops.convert_to_tensor(state, dtype=self.compute_dtype)
        batch = ops.shape(state)[0]
        closed_inputs = self._readout_bias((batch, n_steps))  # the constant part of y_{t-1}
        if self.feedback:
            closed_inputs = ops.concatenate([closed_inputs, closed_inputs], axis=-1)
        drive = self.reservoir.cell.input_drive(closed_inputs)
        # n_steps updates, not n_steps - 1: `last_state` must be the state
        # whose readout is the next value, so that `generate` can continue.
        states, last = self.reservoir.run(
            drive, state, recurrent_kernel=self._feedback_matrix(feed_inputs=True)
        )
        seen = ops.concatenate([state[:, None], states[:, :-1]], axis=1)
        self.last_state = last
        return ops.convert_to_numpy(self.readout(seen))

    def reset_state(self):
        """Forgets `last_state`."""
        self.last_state = None

    def _build_for(self, x_batch):
        if not self.built:
            self.build((None, None, x_batch.shape[-1]))

    def _initial_state(self, initial_state, batch):
        if initial_state is None:
            return None
        if isinstance(initial_state, str):
            if initial_state != "last":
                raise ValueError(
                    "Argument `initial_state` must be None, 'last' or an array. "
                    f"Received: initial_state={initial_state!r}"
                )
            if self.last_state is None:
                raise ValueError(
                    "initial_state='last' needs a previous fit, predict or generate. "
                    "Received: initial_state='last' with no state kept"
                )
            initial_state = self.last_state
        check_finite(initial_state, "initial state")
        if tuple(ops.shape(initial_state)) != (batch, self.units):
            raise ValueError(
                f"The initial state must be (batch, units) = ({batch}, {self.units}). "
                f"Received: shape={tuple(ops.shape(initial_state))}"
            )
        return initial_state

    def get_config(self):
        config = {
            **self._reservoir_config,
            "output_units": self.output_units,
            "feedback": self.feedback,
            "ridge": self.ridge,
            "use_bias": self.use_bias,
        }
        base_config = super().get_config()
        return {**base_config, **config}


def _batches(x, y, batch_size, stateful):
    """`(x, y)` NumPy pairs, `y` None when there are no targets."""
    if isinstance(x, tf.data.Dataset):
        if y is not None:
            raise ValueError(
                "With a dataset, `y` comes from the dataset. Received: y of type "
                f"{type(y).__name__}"
            )
        for element in x:
            if isinstance(element, (tuple, list)):
                x_batch, y_batch = element[0], element[1] if len(element) > 1 else None
            else:
                x_batch, y_batch = element, None
            yield (
                ops.convert_to_numpy(x_batch),
                None if y_batch is None else ops.convert_to_numpy(y_batch),
            )
        return
    if stateful and batch_size is not None:
        raise ValueError(
            "With arrays, `batch_size` splits independent sequences, which cannot be "
            f"stateful. Received: stateful=True, batch_size={batch_size}"
        )
    if batch_size is not None:
        check_argument("batch_size", batch_size, low=1, integer=True)
    x = ops.convert_to_numpy(x)
    y = None if y is None else ops.convert_to_numpy(y)
    step = batch_size or max(len(x), 1)
    for start in range(0, len(x), step):
        yield x[start : start + step], None if y is None else y[start : start + step]


def _check_sequences(array, name):
    if array is None:
        raise ValueError(f"`{name}` is missing: pass targets, or a dataset of (x, y) batches.")
    array = np.asarray(array)
    if array.ndim != 3:
        raise ValueError(
            f"`{name}` must be 3D (batch, time, features); for one series use "
            f"`{name}[None]`. Received: {name}.shape={array.shape}"
        )
    check_finite(array, name)
    return array
