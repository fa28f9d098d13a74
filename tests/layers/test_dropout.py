"""`FastDropout`: Keras' dropout drawing 16 random bits per element."""

import keras
import numpy as np
import tensorflow as tf

import kerasft
from kerasft.layers.dropout import RANGE, FastDropout, fast_dropouts


def test_drops_at_the_rate_and_keeps_the_expectation():
    layer = FastDropout(0.1, seed=3)
    y = layer(tf.ones([1000, 1000]), training=True).numpy()
    threshold = round(0.1 * RANGE)
    assert abs((y == 0).mean() - threshold / RANGE) < 0.002  # 1e6 draws: std 3e-4
    kept = y[y != 0]
    np.testing.assert_allclose(kept, RANGE / (RANGE - threshold), rtol=1e-6)
    assert abs(y.mean() - 1.0) < 0.004
    # the mask is not periodic: both 16-bit halves of a 32-bit draw are used
    rows = (y == 0).reshape(1000, 1000)
    assert not np.array_equal(rows[:, 0::2], rows[:, 1::2])


def test_inference_rate_zero_and_new_masks_per_call():
    x = tf.reshape(tf.range(1, 10001, dtype="float32"), [100, 100])
    layer = FastDropout(0.5, seed=1)
    np.testing.assert_array_equal(layer(x, training=False), x)
    np.testing.assert_array_equal(FastDropout(0.0)(x, training=True), x)
    first, second = layer(x, training=True), layer(x, training=True)
    assert not np.array_equal(first, second)
    # the same seed gives the same masks, call after call
    again = FastDropout(0.5, seed=1)
    np.testing.assert_array_equal(again(x, training=True), first)
    np.testing.assert_array_equal(again(x, training=True), second)


def test_gradient_is_the_mask_times_the_scale():
    x = tf.random.normal([64, 33])  # odd size: the last 32-bit draw is half used
    layer = FastDropout(0.25, seed=0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x, training=True)
    grad = tape.gradient(y, x).numpy()
    scale = RANGE / (RANGE - 0.25 * RANGE)
    np.testing.assert_allclose(grad, np.where(y.numpy() != 0, scale, 0.0), rtol=1e-6)


def test_bfloat16_stays_bfloat16():
    layer = FastDropout(0.1, seed=0, dtype="mixed_bfloat16")
    y = layer(tf.ones([8, 8], "bfloat16"), training=True)
    assert y.dtype == tf.bfloat16


def test_noise_shape_takes_keras_path():
    layer = FastDropout(0.5, noise_shape=(1, 50), seed=0)
    y = layer(tf.ones([40, 50]), training=True).numpy()
    assert (y == y[0]).all()  # one mask broadcast over the rows


def test_tasks_switch_every_backbone_dropout_and_save_load(tmp_path):
    keras.utils.set_random_seed(0)
    model = kerasft.TextClassifier.from_pretrained("tiny-bert", labels=["a", "b"],
                                                   sequence_length=16)

    def dropouts(m):
        return [la for la in m.backbone._flatten_layers(include_self=False, recursive=True)
                if isinstance(la, keras.layers.Dropout)]
    # embeddings, and per layer: attention probabilities, attention output, feed-forward
    assert len(dropouts(model)) == 1 + 2 * 3
    assert all(type(la) is FastDropout for la in dropouts(model))
    assert fast_dropouts(model.backbone) == 0  # already switched
    model.save(str(tmp_path / "model"))
    loaded = kerasft.load(str(tmp_path / "model"))
    assert all(type(la) is FastDropout for la in dropouts(loaded))
    texts = ["a good film", "not a good film"]
    np.testing.assert_allclose(loaded.predict(texts), model.predict(texts), atol=1e-6)


def test_the_backbone_drops_in_training_passes_only():
    """With the head's dropout off, only the backbone's `FastDropout` layers
    can make two training passes over the same batch differ."""
    keras.utils.set_random_seed(0)
    tiny = kerasft.TextClassifier.from_pretrained("tiny-bert", labels=["a", "b"],
                                                  sequence_length=16)
    config = tiny.backbone.get_config()  # tiny-bert's checkpoint has dropout 0
    backbone = type(tiny.backbone).from_config({**config, "dropout": 0.3})
    model = kerasft.TextClassifier(backbone, tiny.preprocessor, labels=["a", "b"], dropout=0.0)
    dropouts = [la for la in backbone._flatten_layers(include_self=False, recursive=True)
                if isinstance(la, keras.layers.Dropout)]
    assert len(dropouts) == 7 and all(type(la) is FastDropout for la in dropouts)
    x = model.preprocessor.encode(["a good film", "not good"], None, progress=False)
    x = {k: tf.constant(np.stack([np.pad(r, (0, 8 - len(r))) for r in v]))
         for k, v in x.items()}
    assert not np.allclose(model(x, training=True), model(x, training=True))
    np.testing.assert_array_equal(model(x, training=False), model(x, training=False))
    for layer in dropouts:
        layer.rate = 0.0  # the backbone's dropouts off: training passes agree
    np.testing.assert_allclose(model(x, training=True), model(x, training=True), atol=1e-6)
