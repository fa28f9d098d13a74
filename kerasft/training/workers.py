"""Who writes what when several workers train one model.

Under `MultiWorkerMirroredStrategy` every worker runs the same program.
Files (checkpoints, run folders, reports, exports, the resume backup) are
written once, by the chief (task index 0, or the `chief` task). The other
workers run the same code, so that collective reads stay in step, but
write into a scratch directory of their own that is deleted afterwards
(Keras' multi-worker convention).
"""

import tensorflow as tf


def is_chief(strategy=None):
    """Whether this process writes the run's files.

    Args:
        strategy: a `tf.distribute.Strategy` or None (the current one).

    Returns:
        bool. True for single-process strategies; under a multi-worker
        strategy, True on the chief only.
    """
    strategy = strategy or tf.distribute.get_strategy()
    return bool(getattr(strategy.extended, "should_checkpoint", True))


def agree(flag, seconds, strategy=None):
    """`flag` OR-ed and `seconds` averaged over all workers, in one
    collective under a multi-worker strategy (every worker must call it
    at the same point); as given otherwise.

    Returns:
        (bool, float): the same on every worker.
    """
    strategy = strategy or tf.distribute.get_strategy()
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return bool(flag), float(seconds)
    value = tf.constant([1.0 if flag else 0.0, float(seconds)])
    summed = strategy.run(lambda: tf.distribute.get_replica_context().all_reduce(
        tf.distribute.ReduceOp.SUM, value))
    summed = strategy.experimental_local_results(summed)[0].numpy()
    return bool(summed[0] > 0), float(summed[1]) / strategy.num_replicas_in_sync


def is_multi_worker(strategy):
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
