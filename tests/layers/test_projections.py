"""`ProjectionDense`: the same projection as `EinsumDense`, as one matmul."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import kerasft
from kerasft.layers.projections import ProjectionDense, flatten_projections, projection_plan


@pytest.mark.parametrize("equation, plan", [
    ("abc,cde->abde", (2, 1)),   # query / key / value
    ("abcd,cde->abe", (2, 2)),   # attention output
    ("ab,bc->ac", (1, 1)),
    ("abc,cd->abd", (2, 1)),
    ("aecd,abcd->acbe", None),   # attention scores: no kernel-like operand
    ("abc,dce->abde", None),     # contracted axis not leading in the kernel
    ("abc,cde->adbe", None),     # output not batch + free
    ("...b,bc->...c", None),
    ("abc,cde", None),
])
def test_projection_plan(equation, plan):
    assert projection_plan(equation) == plan


def _grads(layer, x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x, training=True)
        loss = tf.reduce_sum(tf.sin(y))
    return y, tape.gradient(loss, [x] + layer.trainable_variables)


@pytest.mark.parametrize("equation, input_shape, output_shape, bias_axes", [
    ("abc,cde->abde", (3, 5, 8), (None, 2, 4), "de"),
    ("abcd,cde->abe", (3, 5, 2, 4), (None, 6), "e"),
])
def test_same_outputs_and_gradients_as_einsum_dense(equation, input_shape, output_shape,
                                                    bias_axes):
    keras.utils.set_random_seed(0)
    reference = keras.layers.EinsumDense(equation, output_shape, bias_axes=bias_axes,
                                         activation="gelu")
    x = tf.constant(np.random.default_rng(0).standard_normal(input_shape), "float32")
    reference.build(input_shape)
    fast = ProjectionDense(equation, output_shape, bias_axes=bias_axes, activation="gelu")
    fast.build(input_shape)
    fast.set_weights(reference.get_weights())
    y_ref, g_ref = _grads(reference, x)
    y, g = _grads(fast, x)
    np.testing.assert_allclose(y, y_ref, atol=1e-5)
    for a, b in zip(g, g_ref):
        np.testing.assert_allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("cls, fast", [(ProjectionDense, True),
                                       (keras.layers.EinsumDense, False)])
def test_kernel_gradient_is_one_matmul_not_a_batched_product_and_a_sum(cls, fast):
    """At a fixed sequence length Keras' einsum is a matmul broadcast over
    the batch, whose kernel gradient ends in a sum over the batch."""
    layer = cls("abc,cde->abde", (None, 2, 4))
    layer.build((None, 16, 8))

    @tf.function
    def grads(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(x, training=True))
        return tape.gradient(loss, layer.kernel)

    graph = grads.get_concrete_function(tf.TensorSpec([None, 16, 8])).graph
    ops = [op.type for op in graph.get_operations()]
    # One `Sum` is the loss's.
    assert ("BatchMatMulV2" not in ops and ops.count("Sum") == 1) == fast, sorted(ops)


def test_inference_traces_keras_einsum():
    layer = ProjectionDense("abc,cde->abde", (None, 2, 4))
    layer.build((None, 16, 8))
    x = tf.TensorSpec([None, 16, 8])
    ops = {op.type for op in tf.function(lambda x: layer(x)).get_concrete_function(
        x).graph.get_operations()}
    reference = keras.layers.EinsumDense("abc,cde->abde", (None, 2, 4))
    reference.build((None, 16, 8))
    assert ops == {op.type for op in tf.function(lambda x: reference(x)).get_concrete_function(
        x).graph.get_operations()}


def test_tasks_switch_the_backbone_projections_and_keep_their_outputs():
    keras.utils.set_random_seed(0)
    model = kerasft.TextClassifier.from_pretrained("tiny-bert", labels=["a", "b"],
                                                   sequence_length=16)
    layers = model.backbone._flatten_layers(include_self=False, recursive=True)
    einsums = [la for la in layers if isinstance(la, keras.layers.EinsumDense)]
    assert einsums and all(type(la) is ProjectionDense for la in einsums)
    texts = ["a good film", "not a good film at all, no"]
    before = model.predict(texts)
    for layer in einsums:  # back to Keras' einsum: the same probabilities
        layer.__class__ = keras.layers.EinsumDense
    np.testing.assert_allclose(model.predict(texts), before, atol=1e-6)
    assert flatten_projections(model.backbone) == len(einsums)
