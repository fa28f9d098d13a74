"""`GeluDense`: the GELU's training pass as one XLA-fused pass each way."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras_hub.src.utils.keras_utils import gelu_approximate

import kerasft
from kerasft.layers import gelu as gelu_module
from kerasft.layers.gelu import GeluDense, fast_gelus, fused_gelu


@pytest.fixture
def always_fused(monkeypatch):
    monkeypatch.setattr(gelu_module, "FUSED_MIN_ELEMENTS", 0)


@pytest.mark.parametrize("approximate", [False, True])
def test_values_and_gradients_match_keras(approximate, always_fused):
    x = tf.constant(np.concatenate([np.linspace(-12, 12, 4001), [0.0, -1e-6, 30.0, -30.0]]),
                    "float32")
    dy = tf.random.stateless_normal(x.shape, [1, 2])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        expected = keras.activations.gelu(x, approximate=approximate)
        got = fused_gelu(x, approximate)
    np.testing.assert_allclose(got, expected, atol=2e-6, rtol=1e-6)
    # atol 1e-5: near x = -5 TensorFlow's float32 tanh rounds to -1 (a zero
    # gradient) where XLA's keeps a few 1e-6
    np.testing.assert_allclose(tape.gradient(got, x, dy), tape.gradient(expected, x, dy),
                               atol=1e-5, rtol=1e-5)


def test_bfloat16_in_bfloat16_out(always_fused):
    x = tf.cast(tf.linspace(-4.0, 4.0, 101), "bfloat16")
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fused_gelu(x)
    grad = tape.gradient(y, x)
    assert y.dtype == tf.bfloat16 and grad.dtype == tf.bfloat16
    x32 = tf.cast(x, "float32")
    np.testing.assert_allclose(tf.cast(y, "float32"), keras.activations.gelu(x32),
                               atol=0.02, rtol=0.01)  # one bfloat16 rounding


def _dense(activation):
    layer = keras.layers.Dense(6, activation=activation)
    layer.build((None, 5))
    layer.set_weights([np.random.RandomState(0).normal(size=(5, 6)).astype("float32"),
                       np.linspace(-1, 1, 6).astype("float32")])
    return layer


@pytest.mark.parametrize("activation", ["gelu", gelu_approximate])
def test_dense_training_pass_matches_and_inference_is_keras(activation, monkeypatch,
                                                          always_fused):
    x = tf.random.stateless_normal([2, 3, 5], [0, 1])
    keras_layer, layer = _dense(activation), _dense(activation)
    assert fast_gelus(layer) == 1 and type(layer) is GeluDense
    calls = []
    real = gelu_module.fused_gelu
    monkeypatch.setattr(gelu_module, "fused_gelu", lambda *a: calls.append(a) or real(*a))
    with tf.GradientTape(persistent=True) as tape:
        expected, got = keras_layer(x, training=True), layer(x, training=True)
    assert len(calls) == 1  # the training pass took the fused path
    np.testing.assert_allclose(got, expected, atol=1e-6)
    for a, b in zip(tape.gradient(got, layer.trainable_weights),
                    tape.gradient(expected, keras_layer.trainable_weights)):
        np.testing.assert_allclose(a, b, atol=1e-5)
    np.testing.assert_array_equal(layer(x, training=False), keras_layer(x, training=False))
    assert len(calls) == 1  # inference is Keras' own call


def test_small_tensors_take_keras_ops_static_or_dynamic(monkeypatch):
    """The fused pass (a stand-in returning 7 here) runs from
    `FUSED_MIN_ELEMENTS` elements on, whether the size is known when traced
    or only when run."""
    monkeypatch.setattr(gelu_module, "FUSED_MIN_ELEMENTS", 100)
    stand_in = (lambda x: tf.fill(tf.shape(x), tf.constant(7.0, x.dtype)), lambda x, dy: dy)
    monkeypatch.setattr(gelu_module, "_gelu_functions", lambda approximate: stand_in)
    small, large = tf.ones([3, 33]), tf.ones([4, 25])
    assert float(fused_gelu(small)[0, 0]) == pytest.approx(0.8413447)  # gelu(1)
    assert float(fused_gelu(large)[0, 0]) == 7.0
    dynamic = tf.function(fused_gelu, input_signature=[tf.TensorSpec([None, None])])
    assert float(dynamic(small)[0, 0]) == pytest.approx(0.8413447)
    assert float(dynamic(large)[0, 0]) == 7.0


def test_a_step_compiled_by_xla_takes_keras_ops(monkeypatch, always_fused):
    stand_in = (lambda x: tf.fill(tf.shape(x), tf.constant(7.0, x.dtype)), lambda x, dy: dy)
    monkeypatch.setattr(gelu_module, "_gelu_functions", lambda approximate: stand_in)
    x = tf.ones([4, 25])
    assert float(tf.function(fused_gelu)(x)[0, 0]) == 7.0
    xla = tf.function(fused_gelu, jit_compile=True)
    assert float(xla(x)[0, 0]) == pytest.approx(0.8413447)


def test_only_gelu_dense_layers_switch():
    layers = [_dense("relu"), _dense(None), _dense("gelu"), keras.layers.Dense(3)]
    assert sum(fast_gelus(la) for la in layers) == 1
    assert [type(la).__name__ for la in layers] == ["Dense", "Dense", "GeluDense", "Dense"]


def test_tasks_switch_the_feedforward_and_save_load(tmp_path):
    keras.utils.set_random_seed(0)
    model = kerasft.TextClassifier.from_pretrained("tiny-bert", labels=["a", "b"],
                                                   sequence_length=16)
    switched = [la for la in model.backbone._flatten_layers(include_self=False, recursive=True)
                if type(la) is GeluDense]
    assert len(switched) == model.backbone.num_layers  # one feed-forward per layer
    model.save(str(tmp_path / "model"))
    loaded = kerasft.load(str(tmp_path / "model"))
    assert sum(type(la) is GeluDense for la in loaded.backbone._flatten_layers()) == len(switched)
    texts = ["a good film", "not a good film"]
    np.testing.assert_allclose(loaded.predict(texts), model.predict(texts), atol=1e-6)
