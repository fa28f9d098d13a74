"""Distribution strategies by name: one machine, several GPUs, several machines."""

import json
import os

import tensorflow as tf

from kerasft.errors import ConfigError

STRATEGIES = ("auto", "default", "mirrored", "multi_worker", "tpu")
# A collective (gradient all-reduce, metric read) waiting longer than this
# for a peer fails instead of hanging: a killed worker stops the others.
COLLECTIVE_TIMEOUT_ENV = "KERASFT_COLLECTIVE_TIMEOUT"
DEFAULT_COLLECTIVE_TIMEOUT = 600.0


def collective_timeout():
    """Seconds a collective may wait for its peers (`KERASFT_COLLECTIVE_TIMEOUT`,
    default 600).

    Raises:
        ConfigError: the variable is not a positive number.
    """
    value = os.environ.get(COLLECTIVE_TIMEOUT_ENV)
    if value is None:
        return DEFAULT_COLLECTIVE_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise ConfigError(
            f"Expected {COLLECTIVE_TIMEOUT_ENV} to be a positive number of seconds. "
            f"Received: {COLLECTIVE_TIMEOUT_ENV}={value!r}."
        )
    return seconds


def _tf_config_tasks():
    """Number of tasks (chief + workers) `TF_CONFIG` describes; 0 if unset."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return 0
    try:
        cluster = json.loads(raw).get("cluster", {})
    except (ValueError, AttributeError) as e:
        raise ConfigError(
            f"Expected TF_CONFIG to be a JSON object with a `cluster`. Received: "
            f"TF_CONFIG={raw!r} ({e})."
        ) from e
    return sum(len(cluster.get(kind, [])) for kind in ("chief", "worker"))


def _slurm_tasks():
    """Number of tasks of the Slurm job step; 0 outside Slurm."""
    for name in ("SLURM_STEP_NUM_TASKS", "SLURM_NTASKS"):
        if os.environ.get(name, "").isdigit() and "SLURM_PROCID" in os.environ:
            return int(os.environ[name])
    return 0


def multi_worker_strategy(cluster_resolver=None):
    """`MultiWorkerMirroredStrategy` with kerasft's collective timeout.

    Args:
        cluster_resolver: None (read `TF_CONFIG`) or a
            `tf.distribute.cluster_resolver.ClusterResolver`.
    """
    options = tf.distribute.experimental.CommunicationOptions(
        timeout_seconds=collective_timeout())
    return tf.distribute.MultiWorkerMirroredStrategy(
        cluster_resolver=cluster_resolver, communication_options=options)


def auto_strategy():
    """The strategy the environment calls for: multi-worker when `TF_CONFIG`
    or a Slurm job step describes several tasks, `MirroredStrategy` over
    all local GPUs when there are several, else the default."""
    if _tf_config_tasks() > 1:
        return multi_worker_strategy()
    if _slurm_tasks() > 1:
        return multi_worker_strategy(tf.distribute.cluster_resolver.SlurmClusterResolver())
    if len(tf.config.list_logical_devices("GPU")) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def get_strategy(strategy=None):
    """Returns a `tf.distribute.Strategy`.

    Args:
        strategy: None or `"default"` (the current strategy: one device),
            `"auto"` (see `auto_strategy`), `"mirrored"` (all local GPUs, or
            the CPU), `"multi_worker"` (`MultiWorkerMirroredStrategy`,
            configured by the `TF_CONFIG` environment variable that
            Kubernetes launchers and Ray Train set; collectives time out
            after `KERASFT_COLLECTIVE_TIMEOUT` seconds), `"tpu"`, or a
            `tf.distribute.Strategy` instance (returned as is).
    """
    if isinstance(strategy, tf.distribute.Strategy):
        return strategy
    if strategy in (None, "default"):
        return tf.distribute.get_strategy()
    if strategy == "auto":
        return auto_strategy()
    if strategy == "mirrored":
        return tf.distribute.MirroredStrategy()
    if strategy == "multi_worker":
        return multi_worker_strategy()
    if strategy == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    raise ConfigError(
        f"Unknown distribution strategy. Received: strategy={strategy!r}. "
        f"Known: {', '.join(STRATEGIES)}, or a tf.distribute.Strategy."
    )
