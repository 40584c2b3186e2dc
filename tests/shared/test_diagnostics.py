import csv

import keras
import numpy as np
import pytest
import tensorflow as tf

from seqsuite.shared.evaluation.diagnostics import (
    GradientLogger,
    gradient_flow,
    plot_gradient_flow,
    vanishing_step,
)
from seqsuite.shared.layers.reservoir import Reservoir
from seqsuite.shared.run.config import TrainConfig
from seqsuite.shared.run.training import compile_model, fit

T, UNITS, BATCH = 12, 3, 4


def _linear_rnn(decay=0.5):
    """h_t = x_t · 1 + h_{t-1} (decay · I), y = sum(h_T): every step Jacobian is decay · I."""
    x = keras.Input((T, 1))
    h = keras.layers.SimpleRNN(UNITS, activation="linear", use_bias=False,
                               kernel_initializer="ones",
                               recurrent_initializer=keras.initializers.Identity(decay),
                               name="rnn")(x)
    y = keras.layers.Dense(1, use_bias=False, kernel_initializer="ones", name="head")(h)
    model = keras.Model(x, y)
    model.compile(loss="mse")
    return model


def test_linear_rnn_matches_the_closed_form():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCH, T, 1)).astype("float32")
    y = rng.normal(size=(BATCH, 1)).astype("float32")
    flow = gradient_flow(_linear_rnn(0.5), x, y)
    # NumPy reference: h_T = sum_t 0.5^(T-t) x_t in every unit; L = mean((sum(h_T) - y)^2).
    h_last = (x[:, :, 0] * 0.5 ** np.arange(T - 1, -1, -1)).sum(axis=1)
    d_last = 2 * (UNITS * h_last - y[:, 0]) / BATCH  # dL/dh_T, the same in every unit
    expected = np.sqrt(UNITS * np.sum(d_last**2)) * 0.5 ** np.arange(T - 1, -1, -1)
    np.testing.assert_allclose(flow.grad_norms, expected, rtol=1e-5)
    np.testing.assert_allclose(flow.jacobian_norms, 0.5, rtol=1e-5)
    assert flow.layer == "rnn"
    assert vanishing_step(flow.grad_norms, 100) == T - 7  # 0.5^7 < 1/100 < 0.5^6


def test_last_step_is_the_gradient_at_the_layer_output():
    """With layers before and after the recurrence, dL/dh_T is what the tape gives at
    the recurrent layer's output, and the compiled loss is the model's own."""
    keras.utils.set_random_seed(1)
    x_in = keras.Input((T, 2))
    z = keras.layers.Dense(4, activation="tanh")(x_in)
    rnn = keras.layers.GRU(5, name="gru")
    h = rnn(z)
    out = keras.layers.Dense(3, activation="softmax")(keras.layers.Dense(6)(h))
    model = keras.Model(x_in, out)
    model.compile(loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCH, T, 2)).astype("float32")
    y = rng.integers(0, 3, size=BATCH)
    flow = gradient_flow(model, x, y, jacobian_examples=0)
    head = keras.Model(rnn.output, model.output)
    h_last = keras.Model(model.input, rnn.output)(x)
    with tf.GradientTape() as tape:
        tape.watch(h_last)
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, head(h_last)))
    expected = float(tf.norm(tape.gradient(loss, h_last)))
    assert flow.grad_norms[-1] == pytest.approx(expected, rel=1e-4)
    assert flow.jacobian_norms is None
    assert np.all(np.isfinite(flow.grad_norms)) and flow.grad_norms.shape == (T,)


def test_reservoir_step_jacobian_is_the_leaky_recurrent_matrix():
    """A linear reservoir: h_t = (1 - a) h_{t-1} + a (x_t W_in + h_{t-1} W)."""
    a = 0.3
    x_in = keras.Input((T, 1))
    reservoir = Reservoir(6, spectral_radius=0.8, leak_rate=a, activation="linear", seed=0,
                          return_sequences=False, name="reservoir")
    model = keras.Model(x_in, keras.layers.Dense(1)(reservoir(x_in)))
    model.compile(loss="mse")
    x = np.random.default_rng(0).normal(size=(BATCH, T, 1)).astype("float32")
    y = np.zeros((BATCH, 1), "float32")
    flow = gradient_flow(model, x, y)
    step = (1 - a) * np.eye(6) + a * reservoir.cell.recurrent_kernel.numpy()  # h_t = h_{t-1} M
    np.testing.assert_allclose(flow.jacobian_norms, np.linalg.norm(step, 2), rtol=1e-5)
    assert flow.layer == "reservoir"
    # No weight of a reservoir is trainable; the gradients still flow back through time.
    w_out = model.layers[-1].kernel.numpy()  # (6, 1)
    g = 2 * (model.predict(x, verbose=0) - y) / BATCH @ w_out.T  # dL/dh_T, (batch, 6)
    expected = []
    for _ in range(T):
        expected.append(np.linalg.norm(g))
        g = g @ step.T
    np.testing.assert_allclose(flow.grad_norms, expected[::-1], rtol=1e-4)


def test_unsupported_models_get_a_clear_error():
    x = keras.Input((T, 1))
    bi = keras.Model(x, keras.layers.Dense(1)(keras.layers.Bidirectional(
        keras.layers.SimpleRNN(2))(x)))
    with pytest.raises(ValueError, match="unidirectional"):
        gradient_flow(bi, np.zeros((1, T, 1)), np.zeros((1, 1)), loss="mse")
    dense = keras.Model(x, keras.layers.Dense(1)(x))
    with pytest.raises(ValueError, match="found no recurrent layer"):
        gradient_flow(dense, np.zeros((1, T, 1)), np.zeros((1, T, 1)), loss="mse")


def test_vanishing_step():
    growing = 10.0 ** np.arange(10)  # the last step is 1e9; 1e6 is three decades back
    assert vanishing_step(growing) == 7
    assert vanishing_step(growing[::-1]) is None  # larger further back: exploding
    assert vanishing_step(np.ones(5)) is None


def test_plot_gradient_flow_writes_a_png(tmp_path):
    norms = 10.0 ** -np.arange(5.0)
    path = plot_gradient_flow({"a": norms, "b": norms * 2}, tmp_path / "flow.png",
                              jacobians={"a": np.full(5, 0.9), "b": np.full(5, 1.1)})
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _logged_fit(tmp_path, **settings):
    """Two epochs of one batch each on a two-layer model; the learning rate is so small
    that the weights, and so the gradients, stay put."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], "float32")
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    config = TrainConfig(epochs=2, patience=0, verbose=0, optimizer="sgd", learning_rate=1e-12,
                         log_gradients=True, **settings)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, name="first"),
                              keras.layers.Dense(1, name="second")])
    compile_model(model, config, loss="mse")
    with tf.GradientTape() as tape:
        loss = model.compute_loss(x=x, y=y, y_pred=model(x))
    grads = tape.gradient(loss, model.trainable_weights)
    model, _ = fit(model, data, data, config, tmp_path)
    with (tmp_path / "history.csv").open() as f:
        history = list(csv.DictReader(f))
    with (tmp_path / "gradients.csv").open() as f:
        steps = list(csv.DictReader(f))
    return model, grads, history, steps


def test_logger_writes_norms_and_clipping_to_history_and_tensorboard(tmp_path):
    model, grads, history, steps = _logged_fit(tmp_path, clip_norm=1e-3)
    norm = float(tf.linalg.global_norm(grads))
    first, second = (float(tf.linalg.global_norm(grads[i:i + 2])) for i in (0, 2))
    assert len(history) == 2 and len(steps) == 2
    for row in history:
        assert float(row["grad_norm"]) == pytest.approx(norm, rel=1e-4)
        assert float(row["grad_norm_max"]) == pytest.approx(norm, rel=1e-4)
        assert float(row["grad_norm/first"]) == pytest.approx(first, rel=1e-4)
        assert float(row["grad_norm/second"]) == pytest.approx(second, rel=1e-4)
        assert float(row["grad_clip_fraction"]) == 1.0
    assert [int(s["step"]) for s in steps] == [1, 2] and {s["clipped"] for s in steps} == {"1"}
    tags = {value.tag for event_file in (tmp_path / "logs" / "train").glob("events*")
            for event in tf.compat.v1.train.summary_iterator(str(event_file))
            for value in event.summary.value}
    assert {"epoch_grad_norm", "epoch_grad_clip_fraction", "epoch_grad_norm/first"} <= tags
    assert "apply" not in vars(model.optimizer), "the optimizer is left as it was"


@pytest.mark.parametrize("settings, fraction", [
    ({}, 0.0), ({"clip_norm": 1e6}, 0.0), ({"clip_value": 1e-6}, 1.0), ({"clip_value": 1e6}, 0.0),
])
def test_clip_fraction_counts_only_steps_where_clipping_acted(tmp_path, settings, fraction):
    _, _, history, _ = _logged_fit(tmp_path, **settings)
    assert [float(r["grad_clip_fraction"]) for r in history] == [fraction, fraction]


def test_logger_is_off_unless_asked(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 3)).astype("float32")
    data = tf.data.Dataset.from_tensor_slices((x, x[:, :1])).batch(8)
    config = TrainConfig(epochs=1, patience=0, verbose=0)
    model = compile_model(keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)]), config,
                          loss="mse")
    fit(model, data, None, config, tmp_path)
    assert "grad_norm" not in (tmp_path / "history.csv").read_text()
    assert not (tmp_path / "gradients.csv").exists()


@pytest.mark.slow
def test_logger_appends_to_a_resumed_runs_step_file(tmp_path):
    (tmp_path / "gradients.csv").write_text("step,epoch,grad_norm,clipped\n1,0,2.0,0\n")
    logger = GradientLogger(tmp_path, append=True)
    model = compile_model(keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]),
                          TrainConfig(), loss="mse")
    model.fit(np.ones((4, 2), "float32"), np.ones((4, 1), "float32"), batch_size=4,
              callbacks=[logger], verbose=0)
    lines = (tmp_path / "gradients.csv").read_text().splitlines()
    assert lines[:2] == ["step,epoch,grad_norm,clipped", "1,0,2.0,0"] and len(lines) == 3
