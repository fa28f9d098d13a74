"""`FastMultiHeadAttention`: the attention's training pass with an additive mask and
dropout's rescaling on the output."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras_hub.src.layers.modeling.cached_multi_head_attention import (
    CachedMultiHeadAttention,
)

import kerasft
from kerasft.layers import attention as attention_module
from kerasft.layers.attention import (
    FastCachedMultiHeadAttention,
    FastMultiHeadAttention,
    fast_attentions,
)
from kerasft.layers.dropout import FastDropout


def _pair(dropout, cls=CachedMultiHeadAttention, memory=None, **kwargs):
    """A Keras attention layer (with `FastDropout`, as tasks have it) and its
    fast version with the same weights and the same dropout seed, built on
    `x` attending to itself (or to `memory`)."""
    x = tf.random.stateless_normal([3, 10, 16], [0, 1])
    layers = []
    for _ in range(2):
        layer = cls(num_heads=4, key_dim=4, dropout=dropout, seed=7, **kwargs)
        layer(x, x if memory is None else memory)
        layer._dropout_layer.__class__ = FastDropout
        layers.append(layer)
    layers[1].set_weights(layers[0].get_weights())
    assert fast_attentions(layers[1]) == 1
    return x, layers


@pytest.fixture
def fast_calls(monkeypatch):
    """Counts the calls of the fast training pass, so a test that compares
    with Keras also proves the fast path ran."""
    calls = []
    real = attention_module.attention_training_pass
    monkeypatch.setattr(attention_module, "attention_training_pass",
                        lambda *a: calls.append(a) or real(*a))
    return calls


def _padding_and_causal_mask():
    lengths = np.array([10, 6, 3])
    padding = np.arange(10)[None, :] < lengths[:, None]
    return tf.constant(padding[:, None, :] & np.tril(np.ones((10, 10), bool))[None])


@pytest.mark.parametrize("cls", [keras.layers.MultiHeadAttention, CachedMultiHeadAttention])
@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_training_pass_matches_keras_with_masks_and_dropout(dropout, cls, fast_calls):
    x, (keras_layer, layer) = _pair(dropout, cls)
    assert type(layer) is {keras.layers.MultiHeadAttention: FastMultiHeadAttention,
                           CachedMultiHeadAttention: FastCachedMultiHeadAttention}[cls]
    mask = _padding_and_causal_mask()
    for _ in range(2):  # the two layers' seed generators stay in step
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            expected = keras_layer(x, x, attention_mask=mask, training=True)
            got = layer(x, x, attention_mask=mask, training=True)
        np.testing.assert_allclose(got, expected, atol=2e-6)
        np.testing.assert_allclose(tape.gradient(got, x), tape.gradient(expected, x), atol=1e-5)
        for a, b in zip(tape.gradient(got, layer.trainable_weights),
                        tape.gradient(expected, keras_layer.trainable_weights)):
            np.testing.assert_allclose(a, b, atol=1e-5)
    assert len(fast_calls) == 2  # one fast training pass per round; Keras' layer took its own
    if dropout:  # the dropout is real: two training passes differ
        assert not np.allclose(layer(x, x, training=True), layer(x, x, training=True))


def test_cross_attention_with_other_lengths_and_value_width_matches_keras(fast_calls):
    # A decoder's cross-attention: 10 queries over 7 keys, values 6 wide
    memory = tf.random.stateless_normal([3, 7, 16], [0, 2])
    x, (keras_layer, layer) = _pair(0.3, memory=memory, value_dim=6)
    mask = tf.constant(np.arange(7)[None, None, :] < np.array([7, 5, 2])[:, None, None])
    mask = tf.broadcast_to(mask, [3, 10, 7])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, memory])
        expected = keras_layer(x, memory, attention_mask=mask, training=True)
        got = layer(x, memory, attention_mask=mask, training=True)
    assert got.shape == (3, 10, 16) and len(fast_calls) == 1
    np.testing.assert_allclose(got, expected, atol=2e-6)
    for a, b in zip(tape.gradient(got, [x, memory]), tape.gradient(expected, [x, memory])):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_masked_keys_get_no_weight_and_no_gradient():
    x, (_, layer) = _pair(0.0)
    mask = tf.constant(np.arange(10)[None, None, :] < np.array([10, 6, 3])[:, None, None])
    mask = tf.broadcast_to(mask, [3, 10, 10])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x, x, attention_mask=mask, training=True)
        third = y[2, :3]  # its real tokens
    y_cut = layer(x[2:, :3], x[2:, :3], training=True)  # the third text alone
    np.testing.assert_allclose(y[2, :3], y_cut[0], atol=1e-6)
    grad = tape.gradient(third, x).numpy()
    assert np.all(grad[2, 3:] == 0)  # padding feeds nothing back


def test_other_calls_are_keras_own():
    x, (keras_layer, layer) = _pair(0.3)
    mask = _padding_and_causal_mask()
    np.testing.assert_array_equal(layer(x, x, attention_mask=mask, training=False),
                                  keras_layer(x, x, attention_mask=mask, training=False))
    _, scores = layer(x, x, attention_mask=mask, training=True, return_attention_scores=True)
    assert scores.shape == (3, 4, 10, 10)
    assert not layer._takes_fast_path(x[:, :, None, :], True, True, False)
    assert layer._takes_fast_path(x[:, :, None, :], True, False, False)


def test_tasks_switch_every_attention_and_save_load(tmp_path):
    keras.utils.set_random_seed(0)
    model = kerasft.TextClassifier.from_pretrained("tiny-bert", labels=["a", "b"],
                                                   sequence_length=16)
    switched = [la for la in model.backbone._flatten_layers(include_self=False, recursive=True)
                if isinstance(la, keras.layers.MultiHeadAttention)]
    assert len(switched) == model.backbone.num_layers
    assert all(type(la) is FastMultiHeadAttention for la in switched)
    assert fast_attentions(model.backbone) == 0
    model.save(str(tmp_path / "model"))
    loaded = kerasft.load(str(tmp_path / "model"))
    layers = loaded.backbone._flatten_layers()
    assert sum(type(la) is FastMultiHeadAttention for la in layers) == len(switched)
    texts = ["a good film", "not a good film"]
    np.testing.assert_allclose(loaded.predict(texts), model.predict(texts), atol=1e-6)
