"""kerasft's AdamW: Keras' AdamW arithmetic, one fused kernel per variable."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerasft.training.optimizers import AdamW, default_optimizer


def _train(optimizer_cls, gradients, dense_slices=False, steps=4, clipnorm=1.0):
    kernel = keras.Variable(np.linspace(-2, 2, 24, dtype="float32").reshape(6, 4),
                            name="kernel")
    bias = keras.Variable(np.full(4, 0.5, "float32"), name="bias")
    table = keras.Variable(np.ones((10, 3), "float32"), name="embeddings")
    optimizer = optimizer_cls(learning_rate=1e-2, weight_decay=0.1, clipnorm=clipnorm)
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    variables = [kernel, bias, table]
    optimizer.build(variables)
    apply = tf.function(lambda grads: optimizer.apply(grads, variables))
    for step in range(steps):
        grads = gradients(step)
        if dense_slices:
            grads = [tf.convert_to_tensor(g) for g in grads]
        apply(grads)
    return [v.numpy() for v in variables]


def _gradients(indices):
    def make(step):
        rng = np.random.default_rng(step)
        values = tf.constant(rng.standard_normal((len(indices), 3)), "float32")
        return [tf.constant(rng.standard_normal((6, 4)), "float32"),
                tf.constant(rng.standard_normal(4), "float32"),
                tf.IndexedSlices(values, tf.constant(indices), tf.constant([10, 3]))]
    return make


def test_same_weights_as_keras_adamw():
    # Distinct rows: Keras' sparse update and the dense one agree.
    ours = _train(AdamW, _gradients([1, 4, 7]))
    theirs = _train(keras.optimizers.AdamW, _gradients([1, 4, 7]))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert not np.allclose(ours[0], np.linspace(-2, 2, 24).reshape(6, 4))


def test_repeated_rows_are_summed_before_the_second_moment():
    # A token seen twice: (g1 + g2)^2, as Keras computes for the dense sum.
    # (No clipping: the norm of repeated slices is not the dense norm either.)
    ours = _train(AdamW, _gradients([2, 5, 2]), clipnorm=None)
    dense = _train(keras.optimizers.AdamW, _gradients([2, 5, 2]), dense_slices=True,
                   clipnorm=None)
    keras_sparse = _train(keras.optimizers.AdamW, _gradients([2, 5, 2]), clipnorm=None)
    for a, b in zip(ours, dense):
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert np.abs(ours[2] - keras_sparse[2]).max() > 1e-4


def test_one_fused_update_per_variable():
    assert isinstance(default_optimizer(10), AdamW)
    optimizer = AdamW(learning_rate=1e-3, weight_decay=0.01)
    variables = [keras.Variable(np.ones((3, 2), "float32"), name=f"w{i}") for i in range(3)]
    optimizer.build(variables)
    graph = tf.function(lambda grads: optimizer.apply(grads, variables)).get_concrete_function(
        [tf.TensorSpec((3, 2))] * 3).graph
    ops = [op.type for op in graph.get_operations()]
    assert ops.count("ResourceApplyAdam") == 3
    assert "Sqrt" not in ops  # Keras' unfused update takes sqrt(v) per variable


def test_clipnorm_scales_each_gradient_as_keras_does_in_two_passes():
    optimizer = AdamW(learning_rate=1e-3, clipnorm=1.0)
    rng = np.random.default_rng(0)
    big = tf.constant(rng.standard_normal((40, 30)) * 3, "float32")  # norm about 104
    small = tf.constant(rng.standard_normal(5) * 0.01, "float32")  # under the limit
    slices = tf.IndexedSlices(tf.constant(rng.standard_normal((3, 4)) * 2, "float32"),
                              tf.constant([1, 7, 1]), tf.constant([10, 4]))
    keras_clip = keras.optimizers.AdamW(learning_rate=1e-3, clipnorm=1.0)
    for g in (big, small, tf.zeros((3, 3))):
        got = optimizer._clip_by_norm(g)
        np.testing.assert_allclose(got, keras_clip._clip_by_norm(g), rtol=1e-6, atol=1e-9)
    assert np.linalg.norm(optimizer._clip_by_norm(big)) == pytest.approx(1.0, rel=1e-6)
    np.testing.assert_array_equal(optimizer._clip_by_norm(small), small)  # factor exactly 1
    got, want = optimizer._clip_by_norm(slices), keras_clip._clip_by_norm(slices)
    np.testing.assert_array_equal(got.indices, slices.indices)
    np.testing.assert_allclose(got.values, want.values, rtol=1e-6)
    poisoned = tf.constant([1.0, float("nan"), 2.0])
    assert np.isnan(optimizer._clip_by_norm(poisoned)).all()
    assert np.isnan(keras_clip._clip_by_norm(poisoned)).all()
    infinite = tf.constant([1.0, float("inf"), 2.0])
    np.testing.assert_array_equal(optimizer._clip_by_norm(infinite),
                                  keras_clip._clip_by_norm(infinite))  # [0, nan, 0]
    graph = tf.function(optimizer._clip_by_norm).get_concrete_function(
        tf.TensorSpec((40, 30))).graph
    full_size = [op.type for op in graph.get_operations()
                 if op.type not in ("Placeholder", "Identity") and op.outputs and op.outputs[0].shape == (40, 30)]
    assert full_size == ["Mul"]  # Keras': Square, Mul and RealDiv
    assert "L2Loss" in [op.type for op in graph.get_operations()]
