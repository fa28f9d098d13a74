"""The training step: not retraced per bucket shape, no XLA by default."""

import keras
import numpy as np
import tensorflow as tf

import kerasft

WORDS = ["good", "bad", "film", "great", "movie", "not", "news", "market"]


def _varied_texts(n=48, seed=0):
    rng = np.random.RandomState(seed)
    texts = [" ".join(rng.choice(WORDS, size=rng.randint(1, 60))) for _ in range(n)]
    return texts, ["pos" if "good" in t else "neg" for t in texts]


def test_no_retrace_per_bucket_shape():
    keras.utils.set_random_seed(0)
    model = kerasft.TextClassifier.from_pretrained(
        "tiny-bert", labels=["neg", "pos"], sequence_length=64)
    texts, labels = _varied_texts()
    ds, _ = model.make_dataset(texts, labels, batch_size=8)
    shapes = {tuple(x["token_ids"].shape) for x, _ in ds}
    traces = []
    original = model.train_step

    def counting_step(data):  # Python runs only while TensorFlow traces
        traces.append(tf.nest.map_structure(lambda t: (t.shape, t.dtype), data))
        return original(data)

    model.train_step = counting_step
    model.compile()
    history = model.fit(texts, labels, epochs=2, batch_size=8, seed=0, verbose=0)
    assert len(history.history["loss"]) == 2
    assert model.jit_compile is False
    # One trace for all shapes (inputs are [None, None]), and not a second one
    # for optimizer variables created inside the first (compile builds them).
    assert len(shapes) >= 5 and len(traces) == 1, (
        f"{len(traces)} traces for {len(shapes)} batch shapes: {traces}")
    assert all(t[0]["token_ids"][0].as_list() == [None, None] for t in traces)


def _op_types(graph_def):
    ops = {node.op for node in graph_def.node}
    for function in graph_def.library.function:
        ops |= {node.op for node in function.node_def}
    return ops


def test_training_step_has_gpu_kernels_for_every_op():
    """No CPU-only op in the step (checked against TensorFlow's kernel
    registry; no GPU here to run it), in float32 and mixed_float16."""
    from tensorflow.python.framework import kernels

    for precision in ("float32", "mixed_float16"):
        model = kerasft.TextClassifier.from_pretrained(
            "tiny-bert", labels=["neg", "pos"], sequence_length=16, precision=precision)
        model.compile()
        ds, _ = model.make_dataset(*_varied_texts(8), batch_size=4)
        step = tf.function(model.train_step).get_concrete_function(ds.element_spec)
        ops = _op_types(step.graph.as_graph_def())
        assert {"MatMul", "BatchMatMulV2"} & ops and len(ops) > 30
        # DEFAULT kernels (shape bookkeeping, placeholders) run on any device
        no_gpu = sorted(op for op in ops if not {"GPU", "DEFAULT"} & {
            k.device_type for k in kernels.get_registered_kernels_for_op(op).kernel})
        assert no_gpu == [], f"{precision}: ops without a GPU kernel: {no_gpu}"
