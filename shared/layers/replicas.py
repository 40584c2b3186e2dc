"""Cross-replica sums for layers fitted in closed form under `tf.distribute`.

A ridge readout accumulates XᵀX and XᵀY over its data; under a strategy each
process sees only its replicas' shares, so the statistics are summed across
replicas before the solve. Outside any strategy scope these are the identity.
"""

from __future__ import annotations


def local_replicas() -> tuple[list[int], int]:
    """(ids of the replicas this process holds, replicas in sync) of the current strategy.

    Ids are global (`replica_id_in_sync_group`): under `multi_worker` each
    worker holds its own; outside any strategy scope this is `([0], 1)`.
    """
    import tensorflow as tf

    strategy = tf.distribute.get_strategy()
    ids = strategy.experimental_local_results(strategy.experimental_distribute_values_from_function(
        lambda context: tf.constant(context.replica_id_in_sync_group)))
    return sorted(int(i) for i in ids), strategy.num_replicas_in_sync


def sum_over_replicas(local):
    """A NumPy array summed over every process with the current strategy's all-reduce.

    `local` is this process's sum over the shares of all its replicas, so it
    goes in as its first replica's value and zeros as its other replicas'
    (each row is counted once). Under `multi_worker` this is a collective:
    every worker must call it, with arrays of one shape and dtype. Outside
    any strategy scope it returns `local` unchanged (a sum over one replica).
    """
    import numpy as np
    import tensorflow as tf

    strategy = tf.distribute.get_strategy()
    ids, _ = local_replicas()
    zeros = np.zeros_like(local)
    value = strategy.experimental_distribute_values_from_function(
        lambda context: tf.constant(local if context.replica_id_in_sync_group == ids[0] else zeros))
    return np.asarray(strategy.reduce(tf.distribute.ReduceOp.SUM, value, axis=None))
