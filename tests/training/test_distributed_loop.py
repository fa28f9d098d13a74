"""kerasft's own loop on two replicas: what crosses between replicas, and
how often a step is traced."""

import json
import os
import subprocess
import sys
import textwrap

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

COUNTING = textwrap.dedent("""
    import json, sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    sys.path.insert(0, sys.argv[1])
    from helpers import toy_sentiment
    import kerasft as kft
    from kerasft.training.distributed_loop import DistributedLoop

    calls = []  # per all-reduce: how many dense gradients / slices it sums
    original_all_reduce = tf.distribute.ReplicaContext.all_reduce

    def counting_all_reduce(self, reduce_op, value, options=None):
        flat = tf.nest.flatten(value)
        calls.append({  # scalars are batch sizes and norms
            "dense": sum(1 for t in flat if not isinstance(t, tf.IndexedSlices)
                         and t.shape.rank),
            "slices": sum(1 for t in flat if isinstance(t, tf.IndexedSlices))})
        return original_all_reduce(self, reduce_op, value, options)

    tf.distribute.ReplicaContext.all_reduce = counting_all_reduce
    traces = {"train": 0, "test": 0}
    original_step = DistributedLoop._replica_step

    def counting_step(self, data, training):
        traces["train" if training else "test"] += 1
        return original_step(self, data, training)

    DistributedLoop._replica_step = counting_step
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    texts, labels = toy_sentiment()
    model = kft.TextClassifier.from_pretrained(
        "tiny-bert", labels=["neg", "pos"], sequence_length=32, strategy=strategy)
    model.compile(learning_rate=3e-3)
    history = model.fit(texts, labels, epochs=3, batch_size=8, seed=0, verbose=0,
                        padding="max_length", validation_data=(texts[:12], labels[:12]),
                        training_loop="kerasft")
    print(json.dumps({"calls": calls, "traces": traces,
                      "variables": len(model.trainable_variables),
                      "loss": history.history["loss"]}))
""")


def test_dense_gradients_cross_once_and_steps_trace_once():
    result = subprocess.run([sys.executable, "-c", COUNTING, TESTS_DIR],
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    # One train step and one test step traced on each replica, though
    # validation runs every epoch.
    assert out["traces"] == {"train": 2, "test": 2}
    # Each replica's traced train step sums its dense gradients in one
    # all-reduce (the loop's, before clipping), not again in the optimizer,
    # which sums only the embeddings' IndexedSlices.
    dense_calls = [c for c in out["calls"] if c["dense"]]
    assert len(dense_calls) == 2, out["calls"]
    slices = sum(c["slices"] for c in out["calls"])
    assert 0 < dense_calls[0]["dense"] + slices // 2 <= out["variables"]
    assert all(c["slices"] == 0 for c in dense_calls)
    assert out["loss"][-1] < out["loss"][0]
