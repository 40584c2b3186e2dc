"""The training loop every suite shares: optimizer by name, clipping, weight
decay, learning-rate schedules (`schedule=cosine|slanted_triangular` with `warmup_fraction=`,
`WarmupSchedule`), discriminative learning rates and gradual unfreezing (`layer_decay=`,
`unfreeze_every=`, `LayerRates`), an exponential moving average of the weights (`ema=`),
early stopping, a checkpoint every epoch with resume, a NaN guard, and
(`log_gradients=true`) gradient norms and clipping per epoch and per step
(`shared.evaluation.diagnostics.GradientLogger`).

A run directory holds, while training, `checkpoint/last.keras` (model and
optimizer state after the last finished epoch), `checkpoint/best.weights.h5`
and `checkpoint/state.json` (epoch, early-stopping state). Re-running the same
command on the same directory resumes after the last finished epoch, so an
interrupted run loses at most the epoch that was in progress.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import keras

from seqsuite.shared.errors import TrainingError
from seqsuite.shared.run.config import TrainConfig
from seqsuite.shared.run.files import write_text_atomic
from seqsuite.shared.run.strategy import finish_as_chief, resume


@keras.saving.register_keras_serializable(package="seqsuite")
class WarmupSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """The learning rate at step t of T training steps, base rate `r`, warm-up share `w`.

    `cosine`:  r * t / W  for t < W = floor(w T), then  r * (1 + cos(pi (t - W) / (T - W))) / 2
    `slanted_triangular` (Howard and Ruder 2018, ULMFiT), cut = floor(T * c), c = w or 0.1:
        p = t / cut  for t < cut,  else  1 - (t - cut) / (cut (1 / c - 1))
        rate = r * (1 + p (ratio - 1)) / ratio          ratio = 32
    `constant`: r. Past T the rate stays at its value at T.
    """

    def __init__(self, base, total_steps, kind="cosine", warmup=0.0, ratio=32.0):
        self.base, self.total_steps, self.kind = float(base), int(total_steps), kind
        self.warmup, self.ratio = float(warmup), float(ratio)

    def __call__(self, step):
        from keras import ops

        t = ops.minimum(ops.cast(step, "float32"), float(self.total_steps))
        total = float(max(self.total_steps, 1))
        if self.kind == "slanted_triangular":
            share = self.warmup or 0.1
            cut = max(float(int(total * share)), 1.0)
            p = ops.where(t < cut, t / cut, 1.0 - (t - cut) / (cut * (1.0 / share - 1.0)))
            return self.base * (1.0 + ops.maximum(p, 0.0) * (self.ratio - 1.0)) / self.ratio
        if self.kind == "cosine":
            warm = float(int(total * self.warmup))
            rising = self.base * t / max(warm, 1.0)
            decay = 0.5 * self.base * (1.0 + ops.cos(math.pi * (t - warm) / max(total - warm, 1.0)))
            return ops.where(t < warm, rising, decay)
        return ops.convert_to_tensor(self.base, "float32")

    def get_config(self):
        return {"base": self.base, "total_steps": self.total_steps, "kind": self.kind,
                "warmup": self.warmup, "ratio": self.ratio}


def layer_groups(model: keras.Model) -> list[list]:
    """The model's trainable variables grouped by the layer that owns them, bottom (input)
    first, as `model.layers` orders them; a variable shared by two layers belongs to the
    first."""
    groups, seen = [], set()
    for layer in model.layers:
        variables = [v for v in layer.trainable_weights if v.path not in seen]
        if variables:
            groups.append(variables)
            seen.update(v.path for v in variables)
    return groups


class LayerRates(keras.callbacks.Callback):
    """Discriminative learning rates and gradual unfreezing (Howard and Ruder 2018).

    With G layer groups (`layer_groups`), group g (0 the bottom, G - 1 the top) steps with

        rate_g = learning_rate / decay^(G - 1 - g)        while g >= G - 1 - floor(epoch / every)

    and not at all below that (every = 0: all groups from the first epoch). The optimizer
    keeps its class: its `update_step` is wrapped on the instance, so checkpoints load as
    the plain optimizer and `fit` wraps it again on resume.
    """

    def __init__(self, model: keras.Model, decay: float = 1.0, every: int = 0):
        super().__init__()
        self.groups = layer_groups(model)
        top = len(self.groups) - 1
        self.every = every
        # The optimizer may hand over the Keras variable or the backend's own (TensorFlow's
        # ResourceVariable, which has no `path`): both are keys.
        self.index = {}
        for g, group in enumerate(self.groups):
            for v in group:
                self.index[v.path] = g
                self.index[id(getattr(v, "value", v))] = g
        self.factors = keras.Variable([float(decay) ** -(top - g) for g in range(top + 1)],
                                      trainable=False, name="layer_rates")
        self.lowest = keras.Variable(top if every else 0, trainable=False, dtype="int32",
                                     name="lowest_trained_group")
        optimizer = model.optimizer
        step = optimizer.update_step

        def update_step(gradient, variable, learning_rate):
            group = self.index.get(getattr(variable, "path", None),
                                   self.index.get(id(variable)))
            if group is None:
                return step(gradient, variable, learning_rate)
            scale = self.factors[group] * keras.ops.cast(
                keras.ops.greater_equal(group, self.lowest), self.factors.dtype)
            return step(gradient, variable, learning_rate * keras.ops.cast(scale,
                                                                         learning_rate.dtype))

        optimizer.update_step = update_step

    def on_epoch_begin(self, epoch, logs=None):
        if self.every:
            top = len(self.groups) - 1
            self.lowest.assign(max(0, top - epoch // self.every))


class ScheduledRate(keras.callbacks.Callback):
    """Sets the optimizer's learning rate from `schedule` at every batch, by the
    optimizer's step count. The rate stays the optimizer's own variable: putting a schedule
    object in its place untracks that variable, and the model no longer exports."""

    def __init__(self, schedule):
        super().__init__()
        self.schedule = schedule

    def on_train_batch_begin(self, batch, logs=None):
        optimizer = self.model.optimizer
        optimizer.learning_rate = float(self.schedule(int(optimizer.iterations.numpy())))


def steps_per_epoch(dataset) -> int:
    """Batches in one pass of `dataset` (counted when tf.data does not know it)."""
    import tensorflow as tf

    known = int(dataset.cardinality())
    if known >= 0:
        return known
    return int(dataset.reduce(tf.constant(0, tf.int64), lambda n, _: n + 1))


def make_optimizer(config: TrainConfig) -> keras.optimizers.Optimizer:
    """Build the optimizer named by `config.optimizer`.

    `momentum` is SGD with Nesterov-free momentum 0.9. Weight decay is the
    decoupled form (applied to the weights, not added to the loss), which Keras
    supports on every optimizer; clipping acts on the global norm so one
    exploding recurrent matrix cannot dominate the update direction.
    """
    kwargs = {"learning_rate": config.learning_rate}
    if getattr(config, "ema", 0.0):
        kwargs.update(use_ema=True, ema_momentum=config.ema)
    if config.weight_decay:
        kwargs["weight_decay"] = config.weight_decay
    if config.clip_norm is not None:
        kwargs["global_clipnorm"] = config.clip_norm
    if config.clip_value is not None:
        kwargs["clipvalue"] = config.clip_value
    name = config.optimizer
    if name == "sgd":
        return keras.optimizers.SGD(**kwargs)
    if name == "momentum":
        return keras.optimizers.SGD(momentum=0.9, **kwargs)
    cls = {
        "adagrad": keras.optimizers.Adagrad,
        "adadelta": keras.optimizers.Adadelta,
        "rmsprop": keras.optimizers.RMSprop,
        "adam": keras.optimizers.Adam,
        "adamw": keras.optimizers.AdamW,
    }[name]
    return cls(**kwargs)


def compile_model(model: keras.Model, config: TrainConfig, loss, metrics=None) -> keras.Model:
    model.compile(optimizer=make_optimizer(config), loss=loss, metrics=metrics or [])
    return model


class RunCheckpoint(keras.callbacks.Callback):
    """Checkpoint after every epoch, early-stop on `monitor`, restore the best weights.

    Files are written to a temporary name and renamed, so a run killed while
    saving still has the previous epoch's complete checkpoint. An epoch whose
    loss is not finite is never saved: resuming must not start from NaNs.
    """

    def __init__(self, directory: Path, patience: int, monitor: str = "val_loss", state=None):
        super().__init__()
        self.directory = Path(directory)
        self.patience = patience
        self.monitor = monitor
        self.state = dict(state or {"epoch": -1, "best": None, "wait": 0})

    @property
    def best_path(self) -> Path:
        return self.directory / "best.weights.h5"

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        loss = logs.get("loss")
        if loss is None or not math.isfinite(float(loss)):
            return
        value = logs.get(self.monitor, loss)
        value = float(value)
        best = self.state["best"]
        if best is None or value < best:
            self.state.update(best=value, wait=0)
            tmp = self.directory / "best-tmp.weights.h5"
            self.model.save_weights(tmp)
            os.replace(tmp, self.best_path)
        else:
            self.state["wait"] += 1
        self.state["epoch"] = epoch
        tmp = self.directory / "last-tmp.keras"
        self.model.save(tmp)
        os.replace(tmp, self.directory / "last.keras")
        write_text_atomic(self.directory / "state.json", json.dumps(self.state, indent=2))
        if self.patience and self.state["wait"] >= self.patience:
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.best_path.exists():
            self.model.load_weights(self.best_path)


class EpochSeconds(keras.callbacks.Callback):
    """Adds `seconds`, the epoch's wall time with its validation, to the epoch's logs (so
    `history.csv` has it): what "time to reach a validation loss" is read from."""

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["seconds"] = time.perf_counter() - self.started


class NanGuard(keras.callbacks.Callback):
    """Stop at the first non-finite batch loss and remember where it happened."""

    def __init__(self):
        super().__init__()
        self.epoch = 0
        self.where = None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.where = (self.epoch + 1, batch + 1)
            self.model.stop_training = True


def fit(model: keras.Model, train, val, config: TrainConfig, run_dir: Path, callbacks=()):
    """Train `model` (compiled); return the trained model (best weights restored)
    and the best value of the monitored loss (`val_loss`, or `loss` without validation).

    If `run_dir/checkpoint` holds a finished epoch, the checkpointed model
    (weights and optimizer state) replaces `model` and training continues with
    the next epoch (under `multi_worker`, the chief's epoch, see
    `shared.run.strategy.resume`). Raises TrainingError when the loss
    becomes NaN.
    """
    run_dir = Path(run_dir)
    ckpt_dir = run_dir / "checkpoint"
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    state_path = ckpt_dir / "state.json"
    state = None
    if state_path.exists() and (ckpt_dir / "last.keras").exists():
        state = json.loads(state_path.read_text())
    # Loads the checkpoint; under --strategy multi_worker, the chief's for every worker.
    model, state = resume(model, state, ckpt_dir / "last.keras")
    initial_epoch = state["epoch"] + 1 if state else 0
    if state and (state["wait"] >= config.patience > 0 or initial_epoch >= config.epochs):
        if (ckpt_dir / "best.weights.h5").exists():  # a worker on a fresh host has none
            model.load_weights(ckpt_dir / "best.weights.h5")
        finish_as_chief(model)
        return model, state["best"]
    scheduled = []
    if getattr(config, "schedule", "constant") != "constant":
        # Built here, where the steps are known; a resumed optimizer keeps its step count.
        scheduled = [ScheduledRate(WarmupSchedule(
            config.learning_rate, config.epochs * steps_per_epoch(train), config.schedule,
            config.warmup_fraction))]
    rates = []
    if getattr(config, "layer_decay", 1.0) != 1.0 or getattr(config, "unfreeze_every", 0):
        rates = [LayerRates(model, config.layer_decay, config.unfreeze_every)]
    averaged = []
    if getattr(config, "ema", 0.0):
        # Validation and the checkpoints see the averaged weights (swapped in at each
        # epoch's end, back at the next epoch's start).
        averaged = [keras.callbacks.SwapEMAWeights(swap_on_epoch=True)]
    guard = NanGuard()
    checkpoint = RunCheckpoint(ckpt_dir, config.patience,
                               "val_loss" if val is not None else "loss", state)
    gradients = []
    if config.log_gradients:
        from seqsuite.shared.evaluation.diagnostics import GradientLogger

        # First, so that the CSV and TensorBoard loggers see its epoch logs.
        gradients = [GradientLogger(run_dir, append=initial_epoch > 0)]
    all_callbacks = [
        EpochSeconds(),
        *scheduled,
        *rates,
        *gradients,
        guard,
        *averaged,
        checkpoint,
        keras.callbacks.CSVLogger(str(run_dir / "history.csv"), append=initial_epoch > 0),
        keras.callbacks.TensorBoard(log_dir=str(run_dir / "logs"), profile_batch=0),
        *callbacks,
    ]
    model.fit(
        train,
        validation_data=val,
        epochs=config.epochs,
        initial_epoch=initial_epoch,
        callbacks=all_callbacks,
        verbose=config.verbose,
        shuffle=False,  # the suite's tf.data pipeline shuffles, seeded
    )
    if guard.where is not None:
        epoch, batch = guard.where
        raise TrainingError(
            f"training diverged: the loss became NaN at epoch {epoch}, batch {batch}; "
            f"lower the learning rate (now {config.learning_rate}) or clip gradients "
            "(--set clip_norm=1.0) and start again with --overwrite"
        )
    finish_as_chief(model)
    return model, checkpoint.state["best"]
