"""Data-parallel training with `tf.distribute` (`seqsuite train --strategy ...`).

    mirrored      MirroredStrategy: one host, every local device (CPU alone:
                  one replica), gradients all-reduced each step.
    multi_worker  MultiWorkerMirroredStrategy: one process per host, the
                  cluster read from `TF_CONFIG`, e.g. on worker 0 of two:
                  {"cluster": {"worker": ["h0:12345", "h1:12345"]},
                   "task": {"type": "worker", "index": 0}}

The model is built, adapted and compiled under `strategy.scope()` (so its
variables are mirrored), and a resumed checkpoint is loaded there too. With
`multi_worker` every worker runs the same program, because each step, each
evaluation and each save is a collective operation; as TensorFlow's guide
recommends, only the chief (worker 0, or the task of type "chief") writes the
run directory, and the others write into a temporary directory that is
removed at the end. The input pipeline is the suite's own: TensorFlow shards
its batches across the workers (each sees every N-th batch), so one step
consumes N of the suite's batches and an epoch takes 1/N of the steps.

On resuming, every worker starts from the chief's checkpoint (`resume`), and
the closed-form ridge readout sums its statistics over the replicas with
`sum_over_replicas` (`shared.layers.reservoir.RidgeReadout`).

Only the checks below run before TensorFlow loads; `make_strategy` imports it.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from seqsuite.shared.errors import ConfigError
from seqsuite.shared.layers.replicas import local_replicas, sum_over_replicas

STRATEGIES = ("mirrored", "multi_worker")


def check_strategy(name: str | None) -> str | None:
    """Validate `--strategy` (and TF_CONFIG for multi_worker) without TensorFlow."""
    if name is None:
        return None
    if name not in STRATEGIES:
        raise ConfigError(f"unknown --strategy '{name}'; use mirrored or multi_worker")
    if name == "multi_worker":
        task_type, _ = tf_config_task()
        if task_type is None:
            raise ConfigError("--strategy multi_worker reads the cluster from TF_CONFIG, which "
                              'is not set; e.g. TF_CONFIG=\'{"cluster": {"worker": ["h0:12345", '
                              '"h1:12345"]}, "task": {"type": "worker", "index": 0}}\'')
    return name


def tf_config_task() -> tuple[str | None, int]:
    """(task type, index) from TF_CONFIG; (None, 0) when it is unset."""
    text = os.environ.get("TF_CONFIG", "")
    if not text:
        return None, 0
    try:
        spec = json.loads(text)
        cluster, task = spec["cluster"], spec["task"]
        task_type, index = task["type"], int(task["index"])
        if not isinstance(cluster.get(task_type), list) or not 0 <= index < len(
                cluster[task_type]):
            raise KeyError(task_type)
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise ConfigError(f"TF_CONFIG is not a cluster spec ({err}); it needs "
                          '{"cluster": {"worker": [...]}, "task": {"type": ..., "index": ...}} '
                          "with the task listed in the cluster") from err
    return task_type, index


def is_chief() -> bool:
    """Whether this process writes the run directory (TensorFlow's chief rule)."""
    task_type, index = tf_config_task()
    if task_type is None or task_type == "chief":
        return True
    spec = json.loads(os.environ["TF_CONFIG"])
    return task_type == "worker" and index == 0 and "chief" not in spec["cluster"]


def make_strategy(name: str):
    import tensorflow as tf

    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    return tf.distribute.MultiWorkerMirroredStrategy()


def _several_processes() -> bool:
    ids, total = local_replicas()
    return len(ids) < total


def _from_chief(local):
    """The chief's value of `local` on every process: a collective, chief's value plus zeros."""
    import numpy as np

    return sum_over_replicas(local if is_chief() else np.zeros_like(local))


def _adopt_chief_values(variables) -> None:
    import numpy as np

    # One collective for all of them; float64 holds float32 values and int64
    # step counters (below 2**53) exactly.
    packed = _from_chief(np.concatenate(
        [np.asarray(v.numpy(), "float64").ravel() for v in variables] or [np.zeros(0)]))
    start = 0
    for v in variables:
        size = int(np.prod(v.shape))
        v.assign(packed[start : start + size].reshape(v.shape).astype(v.dtype))
        start += size


def resume(model, state: dict | None, checkpoint: Path):
    """(model to train, checkpoint state) at the start of `shared.run.training.fit`.

    `model` is the freshly built model; `state` this process's checkpoint
    state (None without one) and `checkpoint` its `last.keras`. With one
    process the checkpointed model is loaded and replaces `model`.

    Under `multi_worker` every worker must start at the chief's epoch: a
    worker that started at another would run a different number of
    collective steps and hang. Yet a cluster killed while saving can hold
    checkpoints one epoch apart, and a worker restarted on a fresh host has
    none. Creating variables is itself collective there, so no worker may
    load a model on its own: every worker takes the chief's state, builds
    the optimizer of its fresh model, the chief loads its checkpoint into
    it, and the chief's weights and optimizer state are broadcast (after a
    finished epoch all replicas hold the same values, so this is exact).
    """
    if not _several_processes():
        if state is None:
            return model, None
        import keras

        return keras.saving.load_model(checkpoint), state
    import math
    import tempfile

    import numpy as np

    mine = state or {"epoch": -1, "best": None, "wait": 0}
    best = math.nan if mine["best"] is None else mine["best"]
    chief = _from_chief(np.array([mine["epoch"], best, mine["wait"]], "float64"))
    if chief[0] < 0:  # the chief starts afresh, and so does every worker
        return model, None
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    with tempfile.TemporaryDirectory() as scratch:
        # Keras's saving and loading build reference objects (an optimizer:
        # variables, so collectives here), so every worker saves and loads
        # the same model once: the chief loads its checkpoint (weights and
        # optimizer state, into existing variables), the others their own
        # fresh values, replaced below by the chief's.
        fresh = Path(scratch) / "fresh.weights.h5"
        model.save_weights(fresh)
        model.load_weights(checkpoint if is_chief() else fresh)
    _adopt_chief_values([*model.weights, *model.optimizer.variables])
    return model, {"epoch": int(chief[0]), "best": None if math.isnan(chief[1]) else float(chief[1]),
                   "wait": int(chief[2])}


def finish_as_chief(model) -> None:
    """Under `multi_worker`, give every worker the chief's final weights.

    Each worker restores its own best weights at the end of training; after a
    resume that followed the chief (`resume`), a worker's file may hold
    another epoch's, or be missing; and evaluation, which splits the data
    across the workers, must use one model.
    """
    if _several_processes():
        _adopt_chief_values(model.weights)


def worker_directory(out) -> Path:
    """Where a non-chief worker writes: a marked sibling of `out`, one per task.

    It holds the worker's own checkpoints (every worker saves, as every step
    is collective); on resuming, every worker takes the chief's (`resume`).
    Removed at the end.
    """
    out = Path(out)
    task_type, index = tf_config_task()
    return out.with_name(f".{out.name}.{task_type}{index}")


@contextlib.contextmanager
def distributed(name: str, out: Path):
    """Within this block a model trains under strategy `name`; yields the directory this
    process writes: `out` on the chief, a scratch folder beside it on the other workers,
    removed afterwards (only the chief's run is kept)."""
    import shutil

    strategy = make_strategy(name)
    chief = is_chief()
    target = out if chief else worker_directory(out)
    with strategy.scope(), _local_symbolic_build(name == "multi_worker"):
        yield target
    if not chief:
        shutil.rmtree(target, ignore_errors=True)


@contextlib.contextmanager
def _local_symbolic_build(active: bool):
    """Work around Keras 3's first-batch build under MultiWorkerMirroredStrategy.

    Before the first step Keras builds the model symbolically from one batch,
    which it first averages across replicas with `strategy.reduce(..., axis=None)`
    outside a step; the collective strategy cannot reduce there ("Attempt to
    convert a value (PerReplica ...)"). Only shapes and dtypes matter to that
    build, so this uses the local replica's batch instead.
    """
    if not active:
        yield
        return
    import tensorflow as tf
    from keras.src import tree
    from keras.src.backend.tensorflow.trainer import TensorFlowTrainer

    def build(self, iterator=None, data_batch=None):
        if self._distribute_strategy is None:
            return
        if iterator is not None:
            for _, _, it in iterator:
                data_batch = tree.map_structure(
                    lambda x: (self.distribute_strategy.experimental_local_results(x)[0]
                               if isinstance(x, tf.distribute.DistributedValues) else x),
                    next(it))
                break
        with self.distribute_strategy.scope():
            self._symbolic_build(data_batch=data_batch)

    from keras.src.backend.tensorflow import trainer as tf_trainer

    reduce_original = tf_trainer.reduce_per_replica

    def reduce_per_replica(values, strategy, reduction):
        # Keras averages the step's logs with axis=0, which fails on the
        # scalar losses and metrics; their mean across replicas is axis=None.
        if reduction in ("auto", "mean"):
            return tree.map_structure(
                lambda v: strategy.reduce("MEAN", v, axis=None)
                if isinstance(v, tf.distribute.DistributedValues) else v, values)
        return reduce_original(values, strategy, reduction)

    original = TensorFlowTrainer._maybe_symbolic_build
    TensorFlowTrainer._maybe_symbolic_build = build
    tf_trainer.reduce_per_replica = reduce_per_replica
    try:
        yield
    finally:
        TensorFlowTrainer._maybe_symbolic_build = original
        tf_trainer.reduce_per_replica = reduce_original
