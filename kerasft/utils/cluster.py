"""The worker's place in a multi-worker cluster, read from `TF_CONFIG`
without importing TensorFlow (the CLI decides what to write before)."""

import json
import os


def is_chief_process():
    """False only for a non-chief task of a cluster `TF_CONFIG` describes:
    the chief is the `chief` task, or worker 0 when there is none."""
    try:
        tf_config = json.loads(os.environ.get("TF_CONFIG") or "{}")
        cluster, task = tf_config.get("cluster", {}), tf_config.get("task", {})
    except (ValueError, AttributeError):
        return True  # unreadable: the strategy says why when it is built
    if not task:
        return True
    if task.get("type") == "chief":
        return True
    return task.get("type") == "worker" and int(task.get("index", 0)) == 0 and (
        "chief" not in cluster)
