
"""Tests for shared.layers.reservoir: Keras's layer harness, NumPy references, ESN end to end."""

import gc
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from absl.testing import parameterized
from keras.src import testing

from seqsuite.shared.layers.reservoir import (
    ESN,
    ESNCell,
    Reservoir,
    ReservoirInitializer,
    RidgeReadout,
    initializers,
    mat_gen,
    random_sparse,
    rescale,
    spectral_radius,
)

BATCH, TIMESTEPS, FEATURES, UNITS = 3, 6, 2, 8
# An 8-unit matrix with 10% connectivity (6 non-zeros) is often nilpotent,
# with no spectral radius to rescale; half the entries never are in practice.
DENSE = {"connectivity": 0.5}


def inputs(seed=1, shape=(BATCH, TIMESTEPS, FEATURES)):
    return np.random.default_rng(seed).uniform(-1, 1, size=shape).astype("float32")


def value(variable):
    return keras.ops.convert_to_numpy(variable).astype("float64")


def randomize_weights(layer, seed=0, scale=0.5):
    rng = np.random.default_rng(seed)
    for weight in layer.weights:
        weight.assign(rng.normal(scale=scale, size=weight.shape).astype(weight.dtype))


def esn_reference(x, kernel, recurrent, bias, leak, h0=None, feedback=None, feedback_kernel=None):
    """The update rule of the docstrings, one step at a time, in float64."""
    h = np.zeros((x.shape[0], recurrent.shape[0])) if h0 is None else h0
    states = []
    for t in range(x.shape[1]):
        z = x[:, t] @ kernel + h @ recurrent + bias
        if feedback is not None:
            z = z + feedback[:, t] @ feedback_kernel
        h = (1 - leak) * h + leak * np.tanh(z)
        states.append(h)
    return np.stack(states, axis=1)


def sine(steps=1201, batch=1, period=31.4):
    t = np.arange(steps)[None, :, None] + 7.0 * np.arange(batch)[:, None, None]
    return np.sin(2 * np.pi * t / period).astype("float32")


def nrmse(prediction, target):
    return float(np.sqrt(np.mean((prediction - target) ** 2)) / np.std(target))


class LayerHarnessTest(testing.TestCase):
    def test_esn_cell_in_rnn(self):
        self.run_layer_test(
            keras.layers.RNN,
            init_kwargs={
                "cell": ESNCell(UNITS, leaky=0.5, noise_stddev=0.1, seed=1),
                "return_sequences": True,
            },
            input_shape=(BATCH, TIMESTEPS, FEATURES),
            expected_output_shape=(BATCH, TIMESTEPS, UNITS),
            expected_num_trainable_weights=0,
            expected_num_non_trainable_weights=3,
            supports_masking=True,
        )

    def test_reservoir(self):
        self.run_layer_test(
            Reservoir,
            init_kwargs={
                **DENSE,
                "units": UNITS,
                "leak_rate": 0.3,
                "bias_scaling": 0.2,
                "washout": 2,
                "seed": 3,
            },
            input_shape=(BATCH, TIMESTEPS, FEATURES),
            expected_output_shape=(BATCH, TIMESTEPS - 2, UNITS),
            expected_num_trainable_weights=0,
            expected_num_non_trainable_weights=3,
        )

    def test_ridge_readout(self):
        self.run_layer_test(
            RidgeReadout,
            init_kwargs={"units": 2, "ridge": 1e-3},
            input_shape=(BATCH, TIMESTEPS, UNITS),
            expected_output_shape=(BATCH, TIMESTEPS, 2),
            expected_num_trainable_weights=2,
            expected_num_non_trainable_weights=0,
        )


class CellArithmeticTest(testing.TestCase):
    """The cell and the layer against the NumPy reference of their docstrings."""

    @parameterized.named_parameters(("leaky", 0.3, True), ("no_leak_no_bias", 1.0, False))
    def test_esn_cell_matches_numpy(self, leak, use_bias):
        # TensorFlow Addons computed tanh(concat([x, h]) @ concat([W_in, W]) + b),
        # then leaked: the same arithmetic as the reference.
        cell = ESNCell(UNITS, leaky=leak, use_bias=use_bias, seed=0)
        rnn = keras.layers.RNN(cell, return_sequences=True, return_state=True)
        x = inputs()
        rnn.build(x.shape)
        randomize_weights(rnn)
        h0 = np.random.default_rng(2).normal(size=(BATCH, UNITS))

        outputs, state = rnn(x, initial_state=[h0.astype("float32")])

        bias = value(cell.bias) if use_bias else 0.0
        expected = esn_reference(
            x.astype("float64"), value(cell.kernel), value(cell.recurrent_kernel), bias, leak, h0
        )
        self.assertAllClose(outputs, expected, rtol=1e-5, atol=1e-5)
        self.assertAllClose(state, expected[:, -1], rtol=1e-5, atol=1e-5)

    def test_esn_cell_feedback_matches_numpy(self):
        cell = ESNCell(UNITS, leaky=0.5, feedback_units=1, seed=0)
        rnn = keras.layers.RNN(cell, return_sequences=True)
        x = inputs(shape=(BATCH, TIMESTEPS, FEATURES + 1))
        rnn.build(x.shape)
        randomize_weights(rnn)
        expected = esn_reference(
            x[..., :FEATURES].astype("float64"),
            value(cell.kernel),
            value(cell.recurrent_kernel),
            value(cell.bias),
            0.5,
            feedback=x[..., FEATURES:].astype("float64"),
            feedback_kernel=value(cell.feedback_kernel),
        )
        self.assertAllClose(rnn(x), expected, rtol=1e-5, atol=1e-5)

    def test_tfa_weight_order_and_recurrent_recipe(self):
        # TensorFlow Addons created recurrent_kernel, kernel, bias in that
        # order, so `set_weights(tfa_cell.get_weights())` needs the same order.
        cell = ESNCell(50, connectivity=0.2, spectral_radius=0.7, seed=4)
        cell.build((None, FEATURES))
        self.assertEqual([w.name for w in cell.weights], ["recurrent_kernel", "kernel", "bias"])
        self.assertEqual(cell.kernel.shape, (FEATURES, 50))
        recurrent = value(cell.recurrent_kernel)
        self.assertEqual(np.count_nonzero(recurrent), round(0.2 * 50 * 50))
        self.assertAllClose(spectral_radius(recurrent, "eigenvalues"), 0.7, rtol=1e-6)
        # `use_norm2` rescales by the Frobenius norm, as TensorFlow Addons did.
        norm_cell = ESNCell(50, connectivity=0.2, spectral_radius=0.7, use_norm2=True, seed=4)
        norm_cell.build((None, FEATURES))
        self.assertAllClose(np.linalg.norm(value(norm_cell.recurrent_kernel)), 0.7, rtol=1e-6)
        self.assertLess(spectral_radius(value(norm_cell.recurrent_kernel)), 0.7)

    def test_reservoir_matches_numpy_and_rnn(self):
        layer = Reservoir(
            UNITS, **DENSE, leak_rate=0.4, bias_scaling=0.5, washout=2, return_state=True
        )
        x = inputs()
        layer.build(x.shape)
        randomize_weights(layer)
        h0 = np.random.default_rng(3).normal(size=(BATCH, UNITS)).astype("float32")

        states, last = layer(x, initial_state=h0)

        cell = layer.cell
        expected = esn_reference(
            x.astype("float64"),
            value(cell.kernel),
            value(cell.recurrent_kernel),
            value(cell.bias),
            0.4,
            h0.astype("float64"),
        )
        self.assertAllClose(states, expected[:, 2:], rtol=1e-5, atol=1e-5)
        self.assertAllClose(last, expected[:, -1], rtol=1e-5, atol=1e-5)
        # The compiled loop and Keras's generic RNN loop over the same cell agree.
        rnn = keras.layers.RNN(cell, return_sequences=True)
        self.assertAllClose(rnn(x, initial_state=[h0])[:, 2:], states, rtol=1e-5, atol=1e-5)

    def test_noise_only_in_training_and_seeded(self):
        def run(seed, training):
            layer = Reservoir(UNITS, **DENSE, noise_stddev=0.1, seed=seed)
            return keras.ops.convert_to_numpy(layer(inputs(), training=training))

        self.assertAllClose(run(1, False), run(1, False))
        self.assertAllClose(run(1, True), run(1, True))
        self.assertNotAllClose(run(1, True), run(1, False))
        self.assertNotAllClose(run(1, True), run(2, True))
        cell = ESNCell(UNITS, noise_stddev=0.1, seed=1)
        rnn = keras.layers.RNN(cell)
        self.assertAllClose(rnn(inputs()), rnn(inputs()))
        self.assertNotAllClose(rnn(inputs(), training=True), rnn(inputs()))


class InitializerTest(testing.TestCase):
    @parameterized.named_parameters(
        ("exact_normal", 100, "normal", "auto", 1e-9),
        ("exact_uniform", 100, "uniform", "eigenvalues", 1e-9),
        ("exact_bernoulli", 100, "bernoulli", "auto", 1e-9),
        # Above EXACT_MAX_UNITS, "auto" takes the power iteration.
        ("power_auto", initializers.EXACT_MAX_UNITS + 100, "normal", "auto", 5e-3),
        ("power_bernoulli", 300, "bernoulli", "power", 5e-3),
    )
    def test_spectral_radius_reaches_target(self, units, distribution, method, rtol):
        matrix = mat_gen((units, units), 7, distribution, 0.1, spectral_radius=1.25, method=method)
        exact = np.max(np.abs(np.linalg.eigvals(matrix)))
        self.assertAllClose(exact, 1.25, rtol=rtol)

    def test_power_iteration_estimates_radius(self):
        matrix = random_sparse((400, 400), 3, "normal", 0.05)
        exact = spectral_radius(matrix, "eigenvalues")
        self.assertAllClose(spectral_radius(matrix, "power"), exact, rtol=5e-3)

    @parameterized.parameters(0.01, 0.1, 0.37, 1.0)
    def test_connectivity_fraction(self, connectivity):
        for distribution in initializers.DISTRIBUTIONS:
            matrix = random_sparse((60, 50), 1, distribution, connectivity)
            self.assertEqual(np.count_nonzero(matrix), round(connectivity * 3000))

    def test_reservoir_matrices(self):
        layer = Reservoir(200, spectral_radius=1.25, input_connectivity=0.2, seed=1)
        layer.build((None, None, 3))
        recurrent, kernel = value(layer.cell.recurrent_kernel), value(layer.cell.kernel)
        self.assertEqual(np.count_nonzero(recurrent), 4000)  # 10% of 200 x 200
        self.assertEqual(np.count_nonzero(kernel), 120)  # 20% of 3 x 200
        self.assertAllClose(np.max(np.abs(np.linalg.eigvals(recurrent))), 1.25, rtol=1e-6)
        self.assertAllEqual(np.unique(kernel), [-1.0, 0.0, 1.0])  # Bernoulli, scaling 1

    def test_per_feature_input_scaling(self):
        scaling = [1.0, 0.1, 2.5]
        matrix = mat_gen((3, 40), 5, "bernoulli", scaling=scaling)
        self.assertAllClose(np.abs(matrix), np.broadcast_to(np.array(scaling)[:, None], (3, 40)))
        layer = Reservoir(40, input_scaling=scaling, input_connectivity=1.0, seed=2)
        layer.build((None, None, 3))
        self.assertAllClose(np.abs(value(layer.cell.kernel)).max(axis=1), scaling)

    def test_seeds_reproducible_and_one_per_matrix(self):
        def weights(seed):
            layer = Reservoir(30, bias_scaling=1.0, input_connectivity=1.0, seed=seed)
            layer.build((None, None, 30))
            return [value(w) for w in layer.weights]

        first, again, other = weights(5), weights(5), weights(6)
        for a, b, c in zip(first, again, other):
            self.assertAllEqual(a, b)
            self.assertNotAllClose(a, c)
        # W_in and the bias come from the same distribution and scale but not
        # from the same seed: their signs differ.
        recurrent, kernel, bias = first
        self.assertNotAllClose(np.sign(kernel[0]), np.sign(bias))
        self.assertEqual(len(set(initializers.spawn_seeds(5, 5))), 5)
        self.assertAllEqual(mat_gen((20, 20), 9), mat_gen((20, 20), 9))

    def test_keras_initializer_serializes(self):
        init = ReservoirInitializer("uniform", 0.2, spectral_radius=0.5, seed=4)
        restored = keras.initializers.deserialize(keras.initializers.serialize(init))
        self.assertAllClose(init((30, 30)), restored((30, 30)))
        self.assertAllClose(init((30, 30)), mat_gen((30, 30), 4, "uniform", 0.2, 0.5))
        # Without a seed one is drawn now, and the config keeps it.
        unseeded = ReservoirInitializer()
        self.assertIsInstance(unseeded.get_config()["seed"], int)

    def test_rescale_scaling(self):
        matrix = np.ones((2, 3))
        self.assertAllClose(rescale(matrix, scaling=0.5), 0.5 * matrix)
        self.assertAllClose(rescale(matrix, scaling=[1.0, 3.0]), [[1.0] * 3, [3.0] * 3])


class RidgeReadoutTest(testing.TestCase):
    def data(self, rows=200, features=6, outputs=2, seed=0):
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(rows, features)) + 0.5
        y = x @ rng.normal(size=(features, outputs)) + 0.3 + 0.1 * rng.normal(size=(rows, outputs))
        return x, y

    def test_closed_form_without_bias(self):
        x, y = self.data()
        readout = RidgeReadout(2, ridge=0.7, use_bias=False).fit_closed_form(x, y)
        expected = np.linalg.solve(x.T @ x + 0.7 * np.eye(6), x.T @ y)
        self.assertAllClose(readout.kernel, expected, rtol=1e-5, atol=1e-6)
        self.assertEqual(len(readout.weights), 1)

    def test_closed_form_with_unregularised_bias(self):
        x, y = self.data()
        readout = RidgeReadout(2, ridge=0.7).fit_closed_form(x, y)
        # solve(XᵀX + λI, XᵀY) on X with a column of ones, whose weight (the
        # bias) has no penalty.
        augmented = np.concatenate([x, np.ones((len(x), 1))], axis=1)
        penalty = 0.7 * np.diag([1.0] * 6 + [0.0])
        expected = np.linalg.solve(augmented.T @ augmented + penalty, augmented.T @ y)
        self.assertAllClose(readout.kernel, expected[:-1], rtol=1e-5, atol=1e-6)
        self.assertAllClose(readout.bias, expected[-1], rtol=1e-5, atol=1e-6)
        self.assertAllClose(readout(x), augmented @ expected, rtol=1e-5, atol=1e-5)

    def test_streaming_equals_one_shot(self):
        x, y = self.data(rows=240)
        # (batch, time, features) sequences: leading axes are rows.
        x, y = x.reshape(8, 30, 6), y.reshape(8, 30, 2)
        one_shot = RidgeReadout(2, ridge=1e-2).fit_closed_form(x, y)
        stream = tf.data.Dataset.from_tensor_slices((x, y)).batch(3)
        streamed = RidgeReadout(2, ridge=1e-2).fit_closed_form(stream)
        self.assertAllClose(streamed.kernel, one_shot.kernel, rtol=1e-6, atol=1e-7)
        self.assertAllClose(streamed.bias, one_shot.bias, rtol=1e-6, atol=1e-7)

    @pytest.mark.slow
    def test_gradient_fine_tuning_after_fit(self):
        x, y = self.data(rows=512)
        # A heavy ridge underfits; gradient descent on the same weights then
        # lowers the error, starting from the closed-form solution.
        readout = RidgeReadout(2, ridge=1e4).fit_closed_form(x, y)
        closed_form = value(readout.kernel)
        model = keras.Sequential([keras.Input((6,)), readout])
        model.compile(optimizer=keras.optimizers.SGD(0.02), loss="mse")
        before = model.evaluate(x, y, verbose=0)
        model.fit(x, y, epochs=20, batch_size=64, verbose=0)
        self.assertLess(model.evaluate(x, y, verbose=0), 0.5 * before)
        self.assertNotAllClose(readout.kernel, closed_form)


class ESNTest(testing.TestCase):
    def fitted_sine_esn(self, **kwargs):
        series = sine()
        config = {"units": 60, "spectral_radius": 0.9, "leak_rate": 0.5, "ridge": 1e-8, "seed": 0}
        esn = ESN(**{**config, **kwargs})
        return esn.fit(series[:, :-1], series[:, 1:], warmup=50), series

    def test_learns_sine_one_step_and_generates(self):
        esn, series = self.fitted_sine_esn()
        prediction = esn.predict(series[:, :-1])
        self.assertLess(nrmse(prediction[:, 50:], series[:, 51:]), 1e-3)
        # Closed loop from the end of the fitted data: the next 60 values.
        future = sine(series.shape[1] + 60)[:, series.shape[1] - 1 : -1]
        self.assertLess(nrmse(esn.generate(60), future), 1e-2)

    @pytest.mark.slow
    def test_learns_mackey_glass_one_step(self):
        from seqsuite.shared.data.datasets.chaotic import mackey_glass

        series = mackey_glass(1500, seed=0).astype("float32")[None, :, None]
        esn = ESN(units=100, spectral_radius=1.25, leak_rate=0.3, ridge=1e-6, seed=1)
        esn.fit(series[:, :1000], series[:, 1:1001], warmup=100)
        prediction = esn.predict(series[:, 1000:-1], initial_state="last")
        self.assertLess(nrmse(prediction, series[:, 1001:]), 0.02)

    def test_state_continues_across_calls(self):
        esn, series = self.fitted_sine_esn()
        # predict(initial_state="last") continues a series exactly...
        whole = esn.predict(series[:, :-1])
        esn.predict(series[:, :600])
        rest = esn.predict(series[:, 600:-1], initial_state="last")
        self.assertAllClose(rest, whole[:, 600:], atol=1e-5)
        # ...and generate continues where the previous call stopped.
        esn.predict(series[:, :-1])
        ten = esn.generate(10)
        esn.predict(series[:, :-1])
        self.assertAllClose(np.concatenate([esn.generate(4), esn.generate(6)], 1), ten, atol=1e-5)
        # A warm-up sequence gives the same start as the state it ends in.
        self.assertAllClose(esn.generate(10, warmup=series[:, :-1]), ten, atol=1e-5)

    def test_feedback_closes_the_loop_through_the_readout(self):
        esn, series = self.fitted_sine_esn(feedback=True, feedback_scaling=0.5)
        x = series[:, :200]
        # Reference: one step at a time, feeding back the readout's output.
        cell, readout = esn.reservoir.cell, esn.readout
        kernel, recurrent = value(cell.kernel), value(cell.recurrent_kernel)
        w_out, b_out, w_fb = value(readout.kernel), value(readout.bias), value(cell.feedback_kernel)
        h, outputs = np.zeros((1, 60)), []
        for t in range(x.shape[1]):
            fed_back = h @ w_out + b_out
            h = 0.5 * h + 0.5 * np.tanh(x[:, t] @ kernel + h @ recurrent + fed_back @ w_fb)
            outputs.append(h @ w_out + b_out)
        self.assertAllClose(esn.predict(x), np.stack(outputs, axis=1), atol=1e-4)
        self.assertLess(nrmse(esn.predict(series[:, :-1])[:, 50:], series[:, 51:]), 0.05)

    @pytest.mark.slow
    def test_streamed_fit_equals_in_memory_fit(self):
        series = sine(steps=601, batch=4)
        x, y = series[:, :-1], series[:, 1:]
        config = {"units": 30, "leak_rate": 0.5, "ridge": 1e-6, "seed": 2}
        in_memory = ESN(**config).fit(x, y, warmup=20)
        # Independent sequences, two per batch, each with its warm-up.
        independent = ESN(**config).fit(
            tf.data.Dataset.from_tensor_slices((x, y)).batch(2), warmup=20
        )
        # One batch of series cut along time: the state carries over.
        chunks = [(x[:, s : s + 200], y[:, s : s + 200]) for s in range(0, 600, 200)]
        stateful = ESN(**config).fit(
            tf.data.Dataset.from_generator(
                lambda: iter(chunks),
                output_signature=(tf.TensorSpec((4, None, 1)), tf.TensorSpec((4, None, 1))),
            ),
            warmup=20,
            stateful=True,
        )
        for other in (independent, stateful):
            self.assertAllClose(
                other.readout.kernel, in_memory.readout.kernel, rtol=1e-4, atol=1e-4
            )
            self.assertAllClose(other.readout.bias, in_memory.readout.bias, rtol=1e-4, atol=1e-4)

    @pytest.mark.slow
    def test_noise_in_fit_only(self):
        series = sine()
        noisy = ESN(units=40, noise_stddev=1e-2, seed=3).fit(series[:, :-1], series[:, 1:])
        clean = ESN(units=40, seed=3).fit(series[:, :-1], series[:, 1:])
        self.assertNotAllClose(noisy.readout.kernel, clean.readout.kernel)
        # Same seed, same noise; the reservoirs are the same without noise.
        again = ESN(units=40, noise_stddev=1e-2, seed=3).fit(series[:, :-1], series[:, 1:])
        self.assertAllClose(noisy.readout.kernel, again.readout.kernel)
        x = series[:, :100]
        states = keras.ops.convert_to_numpy(noisy.reservoir(x))
        self.assertAllClose(states, clean.reservoir(x))

    def test_models_share_the_compiled_loop(self):
        # One compiled loop serves every reservoir; a model deleted after a
        # graph call must not break the next model's graph call.
        x = sine()[:, :40]
        for seed in (0, 1, 2):
            esn = ESN(units=20, output_units=1, seed=seed)
            esn.build(x.shape)
            self.assertEqual(tf.function(esn)(x).shape, (1, 40, 1))
            del esn
            gc.collect()

    def test_save_load_and_export_round_trip(self):
        esn, series = self.fitted_sine_esn(feedback=True, bias_scaling=0.1)
        x = series[:, :300]
        expected = esn.predict(x)
        self.assertAllClose(esn(x), expected, atol=1e-6)

        path = os.path.join(self.get_temp_dir(), "esn.keras")
        esn.save(path)
        loaded = keras.saving.load_model(path)
        self.assertIsInstance(loaded, ESN)
        self.assertAllClose(loaded.predict(x), expected, atol=1e-6)
        self.assertAllClose(
            loaded.generate(20, warmup=series[:, :-1]), esn.generate(20, warmup=series[:, :-1])
        )

        export_dir = os.path.join(self.get_temp_dir(), "export")
        esn.export(export_dir, verbose=False)
        served = tf.saved_model.load(export_dir)
        self.assertAllClose(served.serve(tf.constant(x)), expected, atol=1e-5)


class ErrorTest(testing.TestCase):
    @parameterized.named_parameters(
        ("radius_zero", {"spectral_radius": 0.0}, "spectral_radius"),
        ("radius_negative", {"spectral_radius": -1.0}, "spectral_radius"),
        ("radius_nan", {"spectral_radius": float("nan")}, "spectral_radius"),
        ("connectivity_zero", {"connectivity": 0.0}, "connectivity"),
        ("connectivity_above_one", {"connectivity": 1.5}, "connectivity"),
        ("input_connectivity", {"input_connectivity": -0.1}, "input_connectivity"),
        ("leak_zero", {"leak_rate": 0.0}, "leak_rate"),
        ("leak_above_one", {"leak_rate": 1.2}, "leak_rate"),
        ("units", {"units": 0}, "units"),
        ("noise", {"noise_stddev": -1.0}, "noise_stddev"),
        ("input_scaling", {"input_scaling": [[1.0]]}, "input_scaling"),
        ("distribution", {"distribution": "cauchy"}, "distribution"),
        ("method", {"spectral_radius_method": "arnoldi"}, "spectral_radius_method"),
    )
    def test_bad_hyperparameters(self, kwargs, name):
        for build in (Reservoir, ESN):
            with self.assertRaisesRegex(ValueError, f"{name}.*Received: {name}="):
                build(**{"units": 10, **kwargs})

    @parameterized.named_parameters(
        ("connectivity", {"connectivity": 0.0}, "connectivity"),
        ("leaky", {"leaky": 0.0}, "leaky"),
        ("spectral_radius", {"spectral_radius": -0.5}, "spectral_radius"),
    )
    def test_bad_cell_hyperparameters(self, kwargs, name):
        with self.assertRaisesRegex(ValueError, f"Received: {name}="):
            ESNCell(10, **kwargs)

    @pytest.mark.slow
    def test_nan_input(self):
        x = inputs()
        x[1, 2, 0] = np.nan
        with self.assertRaisesRegex(ValueError, r"NaN.*index \[1, 2, 0\]"):
            Reservoir(UNITS, **DENSE)(x)
        with self.assertRaisesRegex(ValueError, "NaN"):
            ESN(units=UNITS, **DENSE).fit(x, inputs(seed=2))
        with self.assertRaisesRegex(ValueError, "NaN"):
            ESN(units=UNITS, **DENSE).fit(inputs(), x)

    def test_per_feature_scaling_must_match_features(self):
        with self.assertRaisesRegex(ValueError, "3 values but the inputs have 2 features"):
            Reservoir(UNITS, **DENSE, input_scaling=[1.0, 2.0, 3.0])(inputs())

    def test_spectral_radius_of_empty_matrix(self):
        with self.assertRaisesRegex(ValueError, "spectral radius 0"):
            rescale(np.triu(np.ones((5, 5)), 1), spectral_radius=1.0)

    @pytest.mark.slow
    def test_usage_errors(self):
        series = sine(steps=101, batch=2)
        esn = ESN(units=UNITS, **DENSE, seed=0)
        with self.assertRaisesRegex(ValueError, "Nothing to continue from"):
            esn.generate(5)
        with self.assertRaisesRegex(ValueError, "3D"):
            esn.fit(series[0], series[0])
        with self.assertRaisesRegex(ValueError, "same batch and time"):
            esn.fit(series[:, :-1], series[:, :-2])
        esn.fit(series[:, :-1], np.concatenate([series[:, 1:]] * 2, axis=-1))
        with self.assertRaisesRegex(ValueError, "as many outputs as input features"):
            esn.generate(5)
        with self.assertRaisesRegex(ValueError, r"\(batch, units\) = \(1, 8\)"):
            esn.predict(series[:1], initial_state="last")
