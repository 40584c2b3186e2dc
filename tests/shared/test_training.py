import csv

import keras
import numpy as np
import pytest
import tensorflow as tf

from seqsuite.shared.errors import TrainingError
from seqsuite.shared.run.config import TrainConfig
from seqsuite.shared.run.training import compile_model, fit, make_optimizer


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
