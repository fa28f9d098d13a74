"""Self-attention's training pass with fewer passes over the scores.

The attention scores (`[batch, heads, length, length]`: 6.3M numbers per
layer on MiniLM at 32 x 128) are the largest tensors of a BERT training step,
and Keras' attention goes over them several times beyond the softmax:
- the padding mask is applied with `where(mask, scores, -1e9)`, whose
  gradient is another full-size `where` (and a tensor of zeros);
- dropout scales the kept probabilities, forward and backward.

Keras' scores equation puts the key first (`aecd,abcd->acbe`), and TF's
einsum kernel then writes the product key-major and transposes all of the
scores into `[B, N, T, S]` (`bench/training_ops_bench.py` times the two
products both ways). The training pass here moves the heads
forward in the small `[B, T, N, H]` inputs instead and takes both products
as batched matmuls, the key's transpose folded into the matmul. Its
gradient is written out (`attention_training_pass`), in the orientation
the batched matmuls run fastest on these shapes.

`FastMultiHeadAttention` computes the same thing with the mask as an additive bias
built at the mask's own size (`[batch, 1, length, length]`, which broadcasts
and has no gradient to compute) and with dropout's rescaling applied to the
attention output (`[batch, length, heads, head_dim]`: a quarter the size at
128 tokens and 32-wide heads) rather than to the probabilities. Masks, seeds
and the dropout draw (`FastDropout`'s 16-bit numbers, one draw per call from
the dropout layer's seed generator) are the same, so results equal Keras'
within float rounding.

`fast_attentions(model)` switches Keras' `MultiHeadAttention` (keras-hub's
encoders) and keras-hub's `CachedMultiHeadAttention` (its decoders) in
place. Only the training pass on TensorFlow, on the standard layout (one
attention axis, softmax over the keys, no causal flag, no scores returned)
takes the new path; everything else, inference and export included, is
Keras' own call.
"""

import keras
from keras import ops
from keras_hub.src.layers.modeling.cached_multi_head_attention import (
    CachedMultiHeadAttention,
)

from kerasft.layers.dropout import FastDropout, keep_mask
from kerasft.layers.switching import switch_classes


def _large_negative(dtype):
    # Keras' Softmax masks with -1e9, or -3e4 where float16 cannot hold it.
    return -3e4 if keras.backend.standardize_dtype(dtype) == "float16" else -1e9


class FastAttentionMixin:
    """The leaner training pass of `keras.layers.MultiHeadAttention` and its
    subclasses (see the module docstring)."""

    def _takes_fast_path(self, query, training, return_attention_scores, use_causal_mask):
        if not training or return_attention_scores or use_causal_mask or self._flash_attention:
            return False
        if keras.backend.backend() != "tensorflow":
            return False
        if self._dropout > 0 and not isinstance(self._dropout_layer, FastDropout):
            return False
        rank = len(query.shape)
        axis = self._softmax.axis
        axis = tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)
        return (rank == 4 and tuple(self._attention_axes) == (1,)
                and axis in ((rank - 1,), (-1,)))

    def _compute_attention(self, query, key, value, attention_mask=None, training=None,
                           return_attention_scores=False, use_causal_mask=False):
        if not self._takes_fast_path(query, training, return_attention_scores, use_causal_mask):
            return super()._compute_attention(
                query, key, value, attention_mask=attention_mask, training=training,
                return_attention_scores=return_attention_scores,
                use_causal_mask=use_causal_mask)
        bias = None
        if attention_mask is not None:
            mask = attention_mask
            if keras.backend.standardize_dtype(mask.dtype) != "bool":
                mask = ops.greater(mask, 0.5)
            while len(mask.shape) < len(query.shape):
                mask = ops.expand_dims(mask, axis=-3)  # broadcast over heads
            bias = ops.where(mask, ops.zeros((), query.dtype),
                             ops.cast(_large_negative(query.dtype), query.dtype))
        # Keras calls its dropout layer when `_dropout > 0`; the layer's rate rules
        rate = self._dropout_layer.rate if self._dropout > 0 else 0.0
        seed = self._dropout_layer.seed_generator.next() if rate > 0 else None
        output = attention_training_pass(
            query, key, value, bias, rate, seed, self._inverse_sqrt_key_dim)
        # The scores stay inside: this path is never asked to return them
        return output, None


def heads_first(x):
    """`[B, T, N, H]` -> `[B, N, T, H]` and back (TensorFlow)."""
    import tensorflow as tf

    return tf.transpose(x, [0, 2, 1, 3])


def attention_training_pass(query, key, value, bias, rate, seed, inverse_sqrt_key_dim):
    """`softmax(query key^T / sqrt(H) + bias)`, dropped out at `rate` with
    `keep_mask(seed)` and rescaled, times `value`: `[B, T, N, H]` query,
    `[B, S, N, H]` key and value, `bias` broadcastable to `[B, 1, T, S]`
    (or None). Returns the `[B, T, N, H]` output.

    Both products are batched matmuls on heads-first `[B, N, T, H]` inputs
    (see the module docstring). The gradient is written out: TF's own would
    compute the key's and the value's gradients as `[B, N, S, T] x [B, N, T,
    H]` products, where the transposed `[B, N, H, T] x [B, N, T, S]` ones
    run faster on these shapes, and one transpose then takes them straight
    back to `[B, S, N, H]`; the dropout's gradient is a `where` against a
    scalar rather than a tensor of zeros."""
    import tensorflow as tf

    def heads_last(x):  # [B, N, H, S] -> [B, S, N, H]
        return tf.transpose(x, [0, 3, 1, 2])

    dtype = query.dtype
    inverse_sqrt = tf.cast(inverse_sqrt_key_dim, dtype)
    zero = tf.zeros((), dtype)

    @tf.custom_gradient
    def attend(query, key, value):
        q = heads_first(query * inverse_sqrt)
        k, v = heads_first(key), heads_first(value)
        scores = tf.matmul(q, k, transpose_b=True)  # [B, N, T, S]
        if bias is not None:
            scores = scores + bias
        probabilities = tf.nn.softmax(scores, axis=-1)
        dropped, scale = probabilities, None
        if rate > 0:
            keep, scale = keep_mask(tf.shape(probabilities), rate, seed)
            scale = tf.cast(scale, dtype)
            dropped = tf.where(keep, probabilities, zero)
        output = heads_first(tf.matmul(dropped, v))  # [B, T, N, H] again
        if scale is not None:
            output = output * scale

        def gradient(d_output):
            if scale is not None:
                d_output = d_output * scale
            d_output = heads_first(d_output)  # [B, N, T, H]
            d_value = heads_last(tf.matmul(d_output, dropped, transpose_a=True))
            d_dropped = tf.matmul(d_output, v, transpose_b=True)  # [B, N, T, S]
            if scale is not None:
                d_dropped = tf.where(keep, d_dropped, zero)
            d_scores = (d_dropped - tf.reduce_sum(
                d_dropped * probabilities, axis=-1, keepdims=True)) * probabilities
            d_query = heads_first(tf.matmul(d_scores, k)) * inverse_sqrt
            d_key = heads_last(tf.matmul(q, d_scores, transpose_a=True))
            return d_query, d_key, d_value

        return output, gradient

    return attend(query, key, value)


@keras.saving.register_keras_serializable(package="kerasft")
class FastMultiHeadAttention(FastAttentionMixin, keras.layers.MultiHeadAttention):
    """`keras.layers.MultiHeadAttention` (keras-hub's encoders) with a leaner
    training pass."""


@keras.saving.register_keras_serializable(package="kerasft")
class FastCachedMultiHeadAttention(FastAttentionMixin, CachedMultiHeadAttention):
    """keras-hub's `CachedMultiHeadAttention` (its decoders) with a leaner
    training pass."""


SWITCHES = {keras.layers.MultiHeadAttention: FastMultiHeadAttention,
            CachedMultiHeadAttention: FastCachedMultiHeadAttention}


def fast_attentions(model):
    """Switches `model`'s `keras.layers.MultiHeadAttention` and keras-hub
    `CachedMultiHeadAttention` layers (exactly those classes, not other
    subclasses) to their `FastAttentionMixin` versions, in place; returns how
    many were switched."""
    return switch_classes(model, lambda layer: SWITCHES.get(type(layer)))
