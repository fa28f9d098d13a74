"""Who writes what when several workers train one model.

Under `MultiWorkerMirroredStrategy` every worker runs the same program.
Files (checkpoints, run folders, reports, exports, the resume backup) are
written once, by the chief (task index 0, or the `chief` task). The other
workers run the same code, so that collective reads stay in step, but
write into a scratch directory of their own that is deleted afterwards
(Keras' multi-worker convention).
"""

import contextlib
import os
import shutil
import tempfile

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


def worker_index(strategy=None):
    """This worker's task index (0 for single-process strategies)."""
    strategy = strategy or tf.distribute.get_strategy()
    resolver = getattr(strategy, "cluster_resolver", None)
    return int(getattr(resolver, "task_id", None) or 0)


@contextlib.contextmanager
def writable_directory(path, strategy=None):
    """Yields `path` on the chief; on other workers a new scratch directory,
    deleted on exit. `None` stays None."""
    if path is None or is_chief(strategy):
        yield path
        return
    scratch = tempfile.mkdtemp(prefix=f"kerasft-worker{worker_index(strategy)}-")
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def scratch_path(path, strategy=None):
    """`path` on the chief; on other workers the same base name inside a new
    scratch directory (the caller deletes it with `remove_scratch`)."""
    if path is None or is_chief(strategy):
        return path
    scratch = tempfile.mkdtemp(prefix=f"kerasft-worker{worker_index(strategy)}-")
    return os.path.join(scratch, os.path.basename(os.path.normpath(path)))


def remove_scratch(path, original, strategy=None):
    """Deletes what `scratch_path(original)` returned, if it was scratch."""
    if path is not None and path != original:
        shutil.rmtree(os.path.dirname(path), ignore_errors=True)


def any_worker(flag, strategy=None):
    """`flag` OR-ed over all workers (a collective under a multi-worker
    strategy: every worker must call it at the same point)."""
    strategy = strategy or tf.distribute.get_strategy()
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return bool(flag)
    value = tf.constant(1.0 if flag else 0.0)
    agreed = strategy.run(lambda: tf.distribute.get_replica_context().all_reduce(
        tf.distribute.ReduceOp.SUM, value))
    return bool(strategy.experimental_local_results(agreed)[0].numpy() > 0)
