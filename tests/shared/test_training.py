import csv

import keras
import numpy as np
import pytest
import tensorflow as tf

from seqsuite.shared.errors import ConfigError, TrainingError
from seqsuite.shared.run.config import TrainConfig
from seqsuite.shared.run.training import (
    LayerRates,
    WarmupSchedule,
    compile_model,
    fit,
    make_optimizer,
)


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], "float32")
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(16)


def _model(config):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    return compile_model(model, config, loss="mse")


@pytest.mark.parametrize("name, cls", [
    ("sgd", keras.optimizers.SGD), ("momentum", keras.optimizers.SGD),
    ("adagrad", keras.optimizers.Adagrad), ("adadelta", keras.optimizers.Adadelta),
    ("rmsprop", keras.optimizers.RMSprop), ("adam", keras.optimizers.Adam),
    ("adamw", keras.optimizers.AdamW),
])
def test_optimizer_by_name(name, cls):
    opt = make_optimizer(TrainConfig(optimizer=name, learning_rate=0.01, clip_norm=1.0,
                                     weight_decay=1e-4))
    assert type(opt) is cls
    assert float(opt.learning_rate) == pytest.approx(0.01)
    assert opt.global_clipnorm == 1.0 and opt.weight_decay == pytest.approx(1e-4)
    if name == "momentum":
        assert opt.momentum == 0.9
    assert make_optimizer(TrainConfig(optimizer=name, clip_value=0.5)).clipvalue == 0.5


class _Interrupt(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt


def test_interrupted_run_resumes_after_last_finished_epoch(tmp_path):
    config = TrainConfig(epochs=4, patience=0, verbose=0, learning_rate=0.05)
    model = _model(config)
    with pytest.raises(KeyboardInterrupt):
        fit(model, _data(), _data(seed=1), config, tmp_path, callbacks=[_Interrupt()])
    saved = keras.saving.load_model(tmp_path / "checkpoint" / "last.keras")
    np.testing.assert_allclose(saved.get_weights()[0], model.get_weights()[0])
    assert saved.optimizer.iterations.numpy() == 2 * 4  # two epochs of 4 batches each

    resumed, best = fit(_model(config), _data(), _data(seed=1),
                        TrainConfig(epochs=4, patience=0, verbose=0, learning_rate=0.05), tmp_path)
    with (tmp_path / "history.csv").open() as f:
        epochs = [int(r["epoch"]) for r in csv.DictReader(f)]
    assert epochs == [0, 1, 2, 3]
    assert resumed.optimizer.iterations.numpy() == 4 * 4


def test_early_stopping_restores_best_weights(tmp_path):
    config = TrainConfig(epochs=30, patience=2, verbose=0, learning_rate=0.5, optimizer="sgd")
    model, reported = fit(_model(config), _data(), _data(seed=1), config, tmp_path)
    with (tmp_path / "history.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) < 30
    best = min(float(r["val_loss"]) for r in rows)
    assert reported == pytest.approx(best, rel=1e-6)
    assert model.evaluate(_data(seed=1), verbose=0) == pytest.approx(best, rel=1e-4)


def test_nan_loss_raises_actionable_error(tmp_path):
    config = TrainConfig(epochs=3, patience=0, verbose=0, optimizer="sgd", learning_rate=1e12)
    with pytest.raises(TrainingError, match=r"NaN at epoch \d+, batch \d+; lower the learning"):
        fit(_model(config), _data(), None, config, tmp_path)


def _hand_schedule(kind, t, total, base, warmup, ratio=32.0):
    t = min(t, total)
    if kind == "cosine":
        warm = int(total * warmup)
        if t < warm:
            return base * t / warm
        return base * 0.5 * (1 + np.cos(np.pi * (t - warm) / (total - warm)))
    share = warmup or 0.1
    cut = int(total * share)
    p = t / cut if t < cut else 1 - (t - cut) / (cut * (1 / share - 1))
    return base * (1 + p * (ratio - 1)) / ratio


@pytest.mark.parametrize("kind, warmup", [("cosine", 0.0), ("cosine", 0.2),
                                          ("slanted_triangular", 0.0),
                                          ("slanted_triangular", 0.25)])
def test_schedules_match_hand_computed_rates(kind, warmup):
    schedule = WarmupSchedule(0.01, 100, kind, warmup)
    for t in (0, 1, 9, 10, 19, 20, 24, 25, 26, 50, 99, 100, 150):
        assert float(schedule(t)) == pytest.approx(
            _hand_schedule(kind, t, 100, 0.01, warmup), rel=1e-5, abs=1e-9), (kind, t)
    assert float(WarmupSchedule(0.01, 100, "slanted_triangular")(10)) == pytest.approx(0.01)
    again = WarmupSchedule.from_config(schedule.get_config())
    assert float(again(37)) == pytest.approx(float(schedule(37)))


def test_fit_follows_the_schedule_over_all_steps(tmp_path):
    config = TrainConfig(epochs=3, patience=0, verbose=0, learning_rate=0.05,
                         schedule="cosine", warmup_fraction=0.25)
    rates = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            rates.append(float(self.model.optimizer.learning_rate))

    fit(_model(config), _data(), _data(seed=1), config, tmp_path, callbacks=[Record()])
    total = 3 * 4  # three epochs of four batches
    np.testing.assert_allclose(rates, [_hand_schedule("cosine", t, total, 0.05, 0.25)
                                       for t in range(total)], rtol=1e-5, atol=1e-9)
    with pytest.raises(ConfigError, match="unknown schedule 'linear'"):
        TrainConfig(schedule="linear")


def test_weight_averaging_keeps_the_exponential_moving_average(tmp_path):
    """With ema=m the saved (best) weights are a_k = m a_(k-1) + (1 - m) w_k over the
    weights w_k after each step, a_1 = w_1: here after one epoch of four steps."""
    config = TrainConfig(epochs=1, patience=0, verbose=0, learning_rate=0.1, ema=0.5,
                         optimizer="sgd")
    raw = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            raw.append([w.copy() for w in self.model.get_weights()])

    model, _ = fit(_model(config), _data(), _data(seed=1), config, tmp_path,
                   callbacks=[Record()])
    average = raw[0]
    for step in raw[1:]:
        average = [0.5 * a + 0.5 * w for a, w in zip(average, step)]
    for got, want, last in zip(model.get_weights(), average, raw[-1]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        assert not np.allclose(got, last)


def _three_layers(config):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, name="bottom"),
                              keras.layers.Dense(4, name="middle"),
                              keras.layers.Dense(1, name="top")])
    return compile_model(model, config, loss="mse")


def test_discriminative_rates_divide_the_step_of_each_lower_layer():
    """Plain SGD, one batch: each layer's step equals the gradient times
    learning_rate / decay^(layers above it)."""
    x, y = np.ones((4, 3), "float32"), np.zeros((4, 1), "float32")
    config = TrainConfig(optimizer="sgd", learning_rate=0.1, layer_decay=2.0)
    model = _three_layers(config)
    before = [np.asarray(w) for w in model.trainable_weights]
    with tf.GradientTape() as tape:
        loss = keras.losses.MeanSquaredError()(y, model(x))
    grads = [np.asarray(g) for g in tape.gradient(loss, model.trainable_weights)]
    rates = LayerRates(model, decay=2.0)
    model.train_on_batch(x, y)
    assert [len(g) for g in rates.groups] == [2, 2, 2]
    for i, (w0, g, w1) in enumerate(zip(before, grads, model.trainable_weights)):
        factor = 2.0 ** -(2 - i // 2)  # kernel and bias of one layer share a rate
        np.testing.assert_allclose(np.asarray(w1), w0 - 0.1 * factor * g, rtol=1e-5, atol=1e-7)


def test_gradual_unfreezing_trains_the_top_layer_first(tmp_path):
    config = TrainConfig(epochs=2, patience=0, verbose=0, learning_rate=0.05,
                         unfreeze_every=1)
    model = _three_layers(config)
    start = [np.asarray(w).copy() for w in model.trainable_weights]
    seen = []

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append([np.asarray(w).copy() for w in self.model.trainable_weights])

    fit(model, _data(), _data(seed=1), config, tmp_path, callbacks=[Record()])
    moved = [[not np.allclose(a, b) for a, b in zip(start, epoch)] for epoch in seen]
    assert moved[0] == [False, False, False, False, True, True]  # epoch 1: the top alone
    assert moved[1] == [False, False, True, True, True, True]  # epoch 2: and the middle
    with pytest.raises(ConfigError, match="layer_decay must be"):
        TrainConfig(layer_decay=0.5)


def test_a_model_trained_with_a_schedule_layer_rates_and_averaging_still_exports(tmp_path):
    """A schedule object put in the optimizer's place untracked its learning-rate variable,
    and the SavedModel export then failed; the rate is now set batch by batch."""
    from seqsuite.shared.run.export import export_saved_model
    from seqsuite.shared.run.suite import Serving

    config = TrainConfig(epochs=2, patience=0, verbose=0, schedule="slanted_triangular",
                         layer_decay=2.6, unfreeze_every=1, ema=0.9)
    model, _ = fit(_three_layers(config), _data(), _data(seed=1), config, tmp_path / "run")
    serving = Serving(lambda x: {"y": model(x)}, [tf.TensorSpec([None, 3], tf.float32)])
    export_saved_model(model, tmp_path / "export", serving)
    loaded = tf.saved_model.load(str(tmp_path / "export"))
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(loaded.serve(x)["y"], model(x), atol=1e-6)


def test_history_records_each_epochs_seconds(tmp_path):
    config = TrainConfig(epochs=2, patience=0, verbose=0)
    fit(_model(config), _data(), _data(seed=1), config, tmp_path)
    with (tmp_path / "history.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [0, 1]
    assert all(0 < float(r["seconds"]) < 60 for r in rows)
