"""Reservoir computing past the ESN: block-sparse reservoirs (the pattern, the block product
against the dense one and a NumPy loop), next-generation reservoir computing (`NVAR`: the Keras
contract, the features against a NumPy loop, the forecasting result of Gauthier et al.
2021), online readouts (`OnlineReadout`: RLS and LMS against NumPy loops, RLS as the ridge
solution) and the memory diagnostics."""

import itertools

import keras
import numpy as np
import pytest
from keras.src import testing

from seqsuite.shared.data.datasets.chaotic import lorenz
from seqsuite.shared.layers.reservoir import ESN, NVAR, Reservoir, RidgeReadout, random_sparse
from seqsuite.shared.layers.reservoir.cell import block_matmul
from seqsuite.shared.layers.reservoir.layers import nonzero_blocks


def reference(x, delay, order, strides):
    """NVAR features by the definition, one step at a time (zeros before the start)."""
    batch, time, features = x.shape
    out = []
    for t in range(time):
        linear = np.concatenate([x[:, t - j * strides] if t - j * strides >= 0
                                 else np.zeros((batch, features)) for j in range(delay)], -1)
        monomials = [np.prod(linear[:, list(c)], axis=-1) for c in
                     itertools.combinations_with_replacement(range(linear.shape[-1]), order)]
        out.append(np.concatenate([linear, np.stack(monomials, -1)], -1))
    return np.stack(out, 1)


class NVARLayerTest(testing.TestCase):
    def test_layer_contract(self):
        self.run_layer_test(
            NVAR, init_kwargs={"delay": 3, "order": 2, "strides": 2},
            input_shape=(2, 9, 2),
            expected_output_shape=(2, 9, 6 + 21),  # 3 copies of 2 features, C(7, 2)
            expected_num_trainable_weights=0, expected_num_non_trainable_weights=0)

    def test_online_readout_contract(self):
        from seqsuite.shared.layers.reservoir import OnlineReadout

        for method, non_trainable in (("rls", 1), ("lms", 0)):
            self.run_layer_test(
                OnlineReadout, init_kwargs={"units": 3, "method": method, "alpha": 0.1},
                input_shape=(2, 7, 5), expected_output_shape=(2, 7, 3),
                expected_num_trainable_weights=1,
                expected_num_non_trainable_weights=non_trainable)


@pytest.mark.parametrize("delay, order, strides", [(1, 1, 1), (2, 2, 1), (3, 3, 2), (2, 2, 5)])
def test_features_match_the_definition(delay, order, strides):
    x = np.random.default_rng(0).normal(size=(2, 13, 3)).astype("float32")
    got = np.asarray(NVAR(delay, order, strides)(x))
    np.testing.assert_allclose(got, reference(x.astype("float64"), delay, order, strides),
                               rtol=1e-5, atol=1e-5)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="delay"):
        NVAR(delay=0)
    with pytest.raises(ValueError, match="order"):
        NVAR(order=1.5)
    with pytest.raises(ValueError, match="6 steps is too short.*reach 10 steps back"):
        NVAR(delay=6, strides=2)(np.zeros((1, 6, 2), "float32"))
    with pytest.raises(ValueError, match="monomials.*lower the order or the delay"):
        NVAR(delay=10, order=4)(np.zeros((1, 50, 8), "float32"))
    from seqsuite.shared.layers.reservoir import OnlineReadout

    with pytest.raises(ValueError, match=r"forgetting.*\(0, 1\].*Received: forgetting=1.5"):
        OnlineReadout(1, forgetting=1.5)


def test_a_diverging_deep_reservoir_is_named():
    from seqsuite.shared.layers.reservoir import deep_reservoir

    inputs = keras.Input((None, 1))
    model = keras.Model(inputs, deep_reservoir(inputs, units=[10, 10], activation="linear",
                                               spectral_radius=[0.5, 3.0], seed=0))
    with pytest.raises(ValueError, match="reservoir_1.*diverged.*lower spectral_radius"):
        model(np.ones((1, 2000, 1), "float32"))
    with pytest.raises(ValueError, match=r"`spectral_radius`.*3 layers.*pass 3 values"):
        deep_reservoir(inputs, units=[10, 10, 10], spectral_radius=[0.9, 0.8])
    esn = ESN(units=10, activation="linear", spectral_radius=3.0, connectivity=0.5,
              input_connectivity=1.0, seed=0)
    with pytest.raises(ValueError, match="diverged"):
        esn.fit(np.ones((1, 2000, 1), "float32"), np.ones((1, 2000, 1), "float32"))


def test_lorenz_one_step_as_the_paper():
    """Gauthier et al. 2021's Lorenz forecaster: k = 2 copies, quadratic monomials, a ridge
    readout (2.5e-6) learning the step x_{t+1} - x_t from 400 training steps (dt 0.025).
    One step ahead, the learnt step's error against the true steps' spread is 5.6e-4 here
    (seed 0); the test asks for under 1e-2, where a readout of the linear part alone
    fails."""
    series = lorenz(1400, dt=0.025, seed=0).astype("float32")  # (time, 3)
    features = np.asarray(NVAR(delay=2, order=2)(series[None]))[0]
    change = series[1:] - series[:-1]
    warm, train = 1, 400
    readout = RidgeReadout(3, ridge=2.5e-6).fit_closed_form(features[warm:train],
                                                           change[warm:train])
    predicted = np.asarray(readout(features[train:-1]))
    truth = change[train:]
    nrmse = np.sqrt(np.mean((predicted - truth) ** 2)) / np.std(truth)
    assert nrmse < 1e-2, nrmse
    assert keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(NVAR(3, 2, 2))).get_config()["strides"] == 2


def test_memory_capacity_is_bounded_and_near_it_for_a_linear_reservoir():
    from seqsuite.shared.layers.reservoir import Reservoir
    from seqsuite.shared.layers.reservoir.diagnostics import (
        effective_spectral_radius,
        memory_capacity,
    )

    linear = Reservoir(20, spectral_radius=0.95, connectivity=1.0, input_connectivity=1.0,
                       input_scaling=0.1, activation="linear", seed=0)
    total, per_delay = memory_capacity(linear, max_delay=40, steps=6000)
    assert per_delay.shape == (40,) and np.all((per_delay >= 0) & (per_delay <= 1 + 1e-9))
    # Jaeger 2002: at most the 20 units; a linear reservoir comes close
    assert 15 < total <= 20 + 1e-6, total
    saturated = Reservoir(20, spectral_radius=0.95, connectivity=1.0, input_connectivity=1.0,
                          input_scaling=3.0, seed=0)
    assert memory_capacity(saturated, max_delay=40, steps=6000)[0] < total
    w = np.asarray(linear.cell.recurrent_kernel)
    assert effective_spectral_radius(w, 1.0) == pytest.approx(0.95, rel=1e-3)
    # by hand: eigenvalues 0.5 and -0.5 become 0.7 + 0.3 * (+-0.5) = 0.85 and 0.55
    assert effective_spectral_radius(np.diag([0.5, -0.5]), 0.3) == pytest.approx(0.85)


def _online_reference(x, y, method, alpha, forgetting=1.0):
    rows = np.column_stack([x, np.ones(len(x))])
    w = np.zeros((rows.shape[1], y.shape[1]))
    p = np.eye(rows.shape[1]) / alpha
    for r, target in zip(rows, y):
        error = r @ w - target
        if method == "rls":
            k = p @ r / (forgetting + r @ p @ r)
            w = w - np.outer(k, error)
            p = (p - np.outer(k, r @ p)) / forgetting
        else:
            w = w - alpha * np.outer(r, error)
    return w


@pytest.mark.parametrize("method, alpha, forgetting", [("rls", 1e-2, 1.0), ("rls", 1.0, 0.99),
                                                       ("lms", 0.05, 1.0)])
def test_online_readout_matches_a_numpy_loop(method, alpha, forgetting):
    from seqsuite.shared.layers.reservoir import OnlineReadout

    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 5))
    y = x @ rng.normal(size=(5, 2)) + 0.3 + 0.01 * rng.normal(size=(300, 2))
    readout = OnlineReadout(2, method=method, alpha=alpha, forgetting=forgetting,
                            dtype="float64")
    errors = np.asarray(readout.update(x, y))
    expected = _online_reference(x, y, method, alpha, forgetting)
    np.testing.assert_allclose(np.asarray(readout.weights_with_bias), expected, rtol=1e-6,
                               atol=1e-8)
    assert errors.shape == (300, 2)
    # learning: the last errors are small against the first (the targets' spread is ~2)
    assert np.abs(errors[-50:]).mean() < 0.1 * np.abs(errors[:10]).mean()


def test_recursive_least_squares_is_the_ridge_solution_in_one_pass():
    from seqsuite.shared.layers.reservoir import OnlineReadout, RidgeReadout

    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 6)).astype("float32")
    y = (x @ rng.normal(size=(6, 3)) + 1.0).astype("float32")
    online = OnlineReadout(3, alpha=1e-6)
    online.update(x, y)
    ridge = RidgeReadout(3, ridge=1e-6).fit_closed_form(x, y)
    np.testing.assert_allclose(np.asarray(online(x)), np.asarray(ridge(x)), atol=1e-3)
    # and it saves and resumes: P and W are weights
    again = keras.layers.deserialize(keras.layers.serialize(online))
    again.set_weights(online.get_weights())
    np.testing.assert_allclose(np.asarray(again(x)), np.asarray(online(x)))


def test_online_readout_adapts_inside_a_saved_model(tmp_path):
    """A SavedModel with an `update` signature learns while serving, as the layer does."""
    import subprocess
    import sys
    import textwrap

    import tensorflow as tf

    from seqsuite.shared.layers.reservoir import OnlineReadout

    rng = np.random.default_rng(2)
    x = rng.normal(size=(200, 4)).astype("float32")
    y = (x @ rng.normal(size=(4, 1)) - 0.5).astype("float32")
    readout = OnlineReadout(1, alpha=1e-3)
    readout.build(x.shape)
    served = tf.Module()
    served.readout = readout
    spec = tf.TensorSpec((None, 4), tf.float32)
    served.predict = tf.function(lambda rows: {"y": readout(rows)}, input_signature=[spec])
    served.update = tf.function(
        lambda rows, targets: {"error": readout.update(rows, targets)},
        input_signature=[spec, tf.TensorSpec((None, 1), tf.float32)])
    tf.saved_model.save(served, str(tmp_path / "online"), signatures={
        "serving_default": served.predict, "update": served.update})
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    script = textwrap.dedent(f"""
        import numpy as np, tensorflow as tf
        model = tf.saved_model.load({str(tmp_path / "online")!r})
        x, y = np.load({str(tmp_path / "x.npy")!r}), np.load({str(tmp_path / "y.npy")!r})
        model.signatures["update"](rows=x[:100], targets=y[:100])
        model.signatures["update"](rows=x[100:], targets=y[100:])
        np.save({str(tmp_path / "out.npy")!r}, model.signatures["serving_default"](rows=x)["y"])
    """)
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True)
    readout.update(x, y)  # the same steps in the layer
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), np.asarray(readout(x)),
                               rtol=1e-4, atol=1e-4)
    assert np.abs(np.load(tmp_path / "out.npy") - y).max() < 1e-2


def test_memory_plot(tmp_path):
    from seqsuite.shared.evaluation.plots import plot_memory
    from seqsuite.shared.layers.reservoir.diagnostics import (
        effective_spectral_radius,
        memory_capacity,
    )

    reservoir = Reservoir(10, spectral_radius=0.9, leak_rate=0.5, seed=0)
    total, curve = memory_capacity(reservoir, max_delay=20, steps=1000)
    radius = effective_spectral_radius(keras.ops.convert_to_numpy(
        reservoir.cell.recurrent_kernel), 0.5)
    assert 0 < total <= 10 and 0 < radius < 1
    path = plot_memory({"tanh": curve}, tmp_path / "memory.png", units=10,
                       radii={"tanh": radius})
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000


def test_deep_reservoir_stacks_and_streams():
    from seqsuite.shared.layers.reservoir import Reservoir, deep_reservoir
    from seqsuite.shared.layers.streaming import Streaming

    x = keras.Input((None, 2))
    states = deep_reservoir(x, [15, 10], seed=4, leak_rate=[0.5, 0.2], connectivity=0.5)
    model = keras.Model(x, states)
    data = np.random.default_rng(0).normal(size=(2, 20, 2)).astype("float32")
    out = np.asarray(model(data))
    assert out.shape == (2, 20, 25)
    # by hand: the second layer reads the first's states
    first = Reservoir(15, seed=4, leak_rate=0.5, connectivity=0.5)
    second = Reservoir(10, seed=5, leak_rate=0.2, connectivity=0.5)
    low = np.asarray(first(data))
    np.testing.assert_allclose(out, np.concatenate([low, np.asarray(second(low))], -1),
                               atol=1e-6)
    stream = Streaming(model)
    state = stream.initial_state(2)
    a, state = stream(data[:, :7], state)
    b, _ = stream(data[:, 7:], state)
    np.testing.assert_allclose(np.concatenate([a, b], 1), out, atol=1e-5)


def test_block_sparse_pattern():
    matrix = random_sparse((40, 40), 3, "normal", connectivity=0.25, block_size=5)
    blocks = (matrix.reshape(8, 5, 8, 5) != 0).transpose(0, 2, 1, 3)  # (row, column, 5, 5)
    full, empty = blocks.all(axis=(2, 3)), ~blocks.any(axis=(2, 3))
    assert np.all(full | empty)  # whole blocks, dense inside
    assert np.all(full.sum(axis=0) == 2)  # round(0.25 * 8) row blocks per column of blocks
    assert len({tuple(np.flatnonzero(c)) for c in full.T}) > 1  # drawn, not one pattern
    reached = np.eye(8, dtype=bool)[0]
    for _ in range(8):  # the block graph is strongly connected: all blocks reach block 0
        reached = reached | (full.astype(int) @ reached.astype(int) > 0)
    assert reached.all()
    np.testing.assert_array_equal(
        matrix, random_sparse((40, 40), 3, "normal", connectivity=0.25, block_size=5))


def test_block_product_is_exact_for_any_matrix():
    rng = np.random.default_rng(0)
    h = rng.normal(size=(3, 12)).astype("float32")
    sparse = random_sparse((12, 12), 1, connectivity=0.5, block_size=3).astype("float32")
    dense = rng.normal(size=(12, 12)).astype("float32")  # every block non-zero: k = 4
    for matrix, kept in ((sparse, 2), (dense, 4)):
        sources, blocks = nonzero_blocks(matrix, 3)
        assert tuple(blocks.shape) == (4, kept, 3, 3)
        np.testing.assert_allclose(block_matmul(h, sources, blocks), h @ matrix, atol=1e-5)


def test_block_reservoir_matches_numpy_and_the_dense_product():
    layer = Reservoir(40, spectral_radius=1.1, leak_rate=0.4, bias_scaling=0.3,
                      connectivity=0.2, block_size=4, seed=2, return_state=True)
    x = np.random.default_rng(1).uniform(-1, 1, (2, 30, 3)).astype("float32")
    states, last = layer(x)
    cell = layer.cell
    kernel, recurrent, bias = (keras.ops.convert_to_numpy(w).astype("float64")
                               for w in (cell.kernel, cell.recurrent_kernel, cell.bias))
    assert np.mean(recurrent != 0) == 0.2
    h, expected = np.zeros((2, 40)), []
    for t in range(30):
        h = 0.6 * h + 0.4 * np.tanh(x[:, t] @ kernel + h @ recurrent + bias)
        expected.append(h)
    np.testing.assert_allclose(states, np.stack(expected, 1), atol=1e-5)
    np.testing.assert_allclose(last, h, atol=1e-5)
    # The same loop with the matrix passed densely.
    dense, _ = layer.run(cell.input_drive(x), recurrent_kernel=cell.recurrent_kernel.value)
    np.testing.assert_allclose(states, dense, atol=1e-5)


class BlockReservoirLayerTest(testing.TestCase):
    def test_layer_contract(self):
        self.run_layer_test(
            Reservoir, init_kwargs={"units": 12, "block_size": 3, "connectivity": 0.5,
                                    "seed": 0},
            input_shape=(2, 5, 2), expected_output_shape=(2, 5, 12),
            expected_num_trainable_weights=0, expected_num_non_trainable_weights=2)


def test_block_esn_predicts_in_the_loop_as_its_call():
    t = np.arange(801)
    series = np.sin(0.1 * t)[None, :, None].astype("float32")
    esn = ESN(units=60, block_size=6, spectral_radius=0.9, leak_rate=0.5, ridge=1e-8,
              seed=0).fit(series[:, :-1], series[:, 1:], warmup=100)
    predicted = esn.predict(series[:, :-1])  # the readout applied inside the loop
    np.testing.assert_allclose(predicted, keras.ops.convert_to_numpy(esn(series[:, :-1])),
                               atol=1e-5)
    assert np.sqrt(np.mean((predicted[:, 100:] - series[:, 101:]) ** 2)) < 1e-3
    assert ESN.from_config(esn.get_config()).get_config()["block_size"] == 6


def test_bad_block_size_is_named():
    with pytest.raises(ValueError, match=r"block_size.*divisor of 10.*Received: block_size=3"):
        Reservoir(10, block_size=3)
    with pytest.raises(ValueError, match="block_size"):
        ESN(units=10, block_size=0)
    with pytest.raises(ValueError, match="square"):
        random_sparse((4, 6), 0, block_size=2)


def plasticity_reference(drive, recurrent, leak, mu, sigma, eta, epochs, warmup):
    """Schrauwen et al.'s rule for tanh units, one step at a time, in float64."""
    gain, bias = np.ones(recurrent.shape[0]), np.zeros(recurrent.shape[0])
    variance = sigma**2
    for _ in range(epochs):
        h = np.zeros(drive.shape[::2])
        for t in range(drive.shape[1]):
            u = drive[:, t] + h @ recurrent
            y = np.tanh(gain * u + bias)
            delta_bias = -eta * (-mu / variance + y / variance * (2 * variance + 1 - y**2 + mu * y))
            delta_gain = eta / gain + delta_bias * u
            if t >= warmup:
                gain, bias = gain + delta_gain.mean(0), bias + delta_bias.mean(0)
            h = (1 - leak) * h + leak * y
    return gain, bias


@pytest.mark.parametrize("block_size", [None, 4])
def test_intrinsic_plasticity_matches_the_rule_and_folds_into_the_weights(block_size):
    from seqsuite.shared.layers.reservoir import intrinsic_plasticity

    layer = Reservoir(20, spectral_radius=0.9, leak_rate=0.5, input_scaling=2.0,
                      bias_scaling=0.2, connectivity=0.4, block_size=block_size, seed=1)
    x = np.random.default_rng(2).uniform(-1, 1, (2, 60, 1)).astype("float32")
    layer.build(x.shape)
    cell = layer.cell
    before = [keras.ops.convert_to_numpy(w).astype("float64")
              for w in (cell.kernel, cell.recurrent_kernel, cell.bias)]
    drive = x.astype("float64") @ before[0] + before[2]
    expected = plasticity_reference(drive, before[1], 0.5, 0.1, 0.3, 1e-2, 2, 5)
    gain, bias = intrinsic_plasticity(layer, x, epochs=2, mu=0.1, sigma=0.3,
                                      learning_rate=1e-2, warmup=5)
    np.testing.assert_allclose(gain, expected[0], rtol=1e-4)
    np.testing.assert_allclose(bias, expected[1], atol=1e-5)
    assert np.abs(gain - 1).max() > 1e-3  # it moved
    after = [keras.ops.convert_to_numpy(w) for w in (cell.kernel, cell.recurrent_kernel,
                                                      cell.bias)]
    np.testing.assert_allclose(after[0], before[0] * gain, rtol=1e-5)
    np.testing.assert_allclose(after[1], before[1] * gain, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(after[2], before[2] * gain + bias, rtol=1e-5, atol=1e-6)


def test_intrinsic_plasticity_spreads_a_saturated_reservoir():
    from seqsuite.shared.layers.reservoir import intrinsic_plasticity

    layer = Reservoir(100, spectral_radius=0.9, input_scaling=4.0, input_connectivity=1.0,
                      bias_scaling=0.5, seed=0)
    u = np.random.default_rng(0).uniform(-1, 1, (1, 3000, 1)).astype("float32")
    saturated = np.mean(np.abs(layer(u)) > 0.95)
    before = [w.numpy() for w in layer.weights]
    with pytest.raises(ValueError, match="diverged.*lower the learning_rate"):
        intrinsic_plasticity(layer, u, sigma=0.2, learning_rate=5e-3)
    for weight, value in zip(layer.weights, before):  # untouched by the failed call
        np.testing.assert_array_equal(weight.numpy(), value)
    intrinsic_plasticity(layer, u, sigma=0.2, learning_rate=5e-4)
    states = keras.ops.convert_to_numpy(layer(u))
    assert saturated > 0.5 and np.mean(np.abs(states) > 0.95) < 0.01
    assert abs(states.std() - 0.2) < 0.05


def test_intrinsic_plasticity_bad_input_is_named():
    from seqsuite.shared.layers.reservoir import intrinsic_plasticity

    x = np.zeros((1, 20, 1), "float32")
    with pytest.raises(ValueError, match="tanh.*activation='relu'"):
        intrinsic_plasticity(Reservoir(10, activation="relu", bias_scaling=0.1), x)
    with pytest.raises(ValueError, match="bias_scaling > 0.*Received: bias_scaling=0"):
        intrinsic_plasticity(Reservoir(10), x)
    with pytest.raises(ValueError, match="Received: sigma=0"):
        intrinsic_plasticity(Reservoir(10, bias_scaling=0.1), x, sigma=0)
    with pytest.raises(ValueError, match="longer than the warmup"):
        intrinsic_plasticity(Reservoir(10, bias_scaling=0.1), x, warmup=20)


def test_block_reservoir_streams_chunk_by_chunk():
    from seqsuite.shared.layers.streaming import Streaming

    inputs = keras.Input((None, 1))
    model = keras.Model(inputs, Reservoir(20, block_size=4, connectivity=0.5, leak_rate=0.5,
                                          seed=0)(inputs))
    x = np.random.default_rng(0).uniform(-1, 1, (2, 12, 1)).astype("float32")
    stream = Streaming(model)
    state, outputs = stream.initial_state(2), []
    for chunk in (x[:, :5], x[:, 5:6], x[:, 6:]):
        out, state = stream(chunk, state)
        outputs.append(np.asarray(out))
    np.testing.assert_allclose(np.concatenate(outputs, 1), np.asarray(model(x)), atol=1e-6)
