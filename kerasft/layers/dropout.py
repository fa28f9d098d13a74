"""Dropout with half the random bits.

Keras' dropout on TensorFlow (`tf.nn.experimental.stateless_dropout`) draws
one 32-bit Philox number per element, converts it to a float in [0, 1) and
compares it with the rate. On the MiniLM training step at 32 x 128 tokens
(attention probabilities `[32, 12, 128, 128]` and two hidden-state dropouts
per layer: 57M elements) dropout took about a tenth of the step, most of it
in the random numbers. A 16-bit number per element decides as well: each
32-bit Philox output is split into two. An element is dropped when its
number is below `T = round(rate * 65536)`, so the drop probability is
`T / 65536` (0.1000061 for a rate of 0.1), and kept elements are scaled by
`65536 / (65536 - T)`, which keeps every element's expectation exact.

`fast_dropouts(model)` switches every `keras.layers.Dropout` of `model` to
`FastDropout` in place. Rates, seeds and configs are unchanged; inference
and other backends take Keras' own call.
"""

import keras

from kerasft.layers.switching import switch_classes

RANGE = 65536  # 16-bit random numbers


@keras.saving.register_keras_serializable(package="kerasft")
class FastDropout(keras.layers.Dropout):
    """`keras.layers.Dropout` drawing 16 random bits per element (see the
    module docstring)."""

    def call(self, inputs, training=False):
        if (not training or self.rate <= 0 or self.noise_shape is not None
                or keras.backend.backend() != "tensorflow"):
            return super().call(inputs, training=training)
        return dropout_16bit(inputs, self.rate, self.seed_generator.next())


def dropout_16bit(x, rate, seed):
    """`x` with each element zeroed with probability `round(rate * 65536) /
    65536` and the others scaled to keep the expectation (TensorFlow)."""
    import tensorflow as tf

    keep, scale = keep_mask(tf.shape(x), rate, seed)
    return tf.where(keep, x * tf.cast(scale, x.dtype), tf.zeros_like(x))


def keep_mask(shape, rate, seed):
    """`(keep, scale)`: a boolean tensor of `shape`, False with probability
    `round(rate * 65536) / 65536`, and the Python float that rescales the
    kept elements (TensorFlow)."""
    import tensorflow as tf

    threshold = min(max(int(round(rate * RANGE)), 0), RANGE - 1)
    n = tf.reduce_prod(shape)
    bits = tf.random.stateless_uniform(
        [(n + 1) // 2], tf.cast(seed, "int32"), minval=None, maxval=None, dtype=tf.uint32)
    numbers = tf.reshape(tf.bitcast(bits, tf.uint16), [-1])[:n]
    keep = tf.reshape(numbers >= threshold, shape)
    return keep, RANGE / (RANGE - threshold)


def fast_dropouts(model):
    """Switches `model`'s `keras.layers.Dropout` layers to `FastDropout` (in
    place); returns how many were switched."""
    return switch_classes(
        model, lambda layer: FastDropout if type(layer) is keras.layers.Dropout else None)
