"""Distribution strategies by name: one machine, several GPUs, several machines."""

import tensorflow as tf

from kerasft.errors import ConfigError

STRATEGIES = ("default", "mirrored", "multi_worker", "tpu")


def get_strategy(strategy=None):
    """Returns a `tf.distribute.Strategy`.

    Args:
        strategy: None or `"default"` (the current strategy: one device),
            `"mirrored"` (all local GPUs, or the CPU), `"multi_worker"`
            (`MultiWorkerMirroredStrategy`, configured by the `TF_CONFIG`
            environment variable that Kubernetes/Slurm launchers set),
            `"tpu"`, or a `tf.distribute.Strategy` instance (returned as is).
    """
    if isinstance(strategy, tf.distribute.Strategy):
        return strategy
    if strategy in (None, "default"):
        return tf.distribute.get_strategy()
    if strategy == "mirrored":
        return tf.distribute.MirroredStrategy()
    if strategy == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if strategy == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    raise ConfigError(
        f"Unknown distribution strategy. Received: strategy={strategy!r}. "
        f"Known: {', '.join(STRATEGIES)}, or a tf.distribute.Strategy."
    )
