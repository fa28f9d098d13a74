"""Self-attention's training pass with fewer passes over the scores.

The attention scores (`[batch, heads, length, length]`: 6.3M numbers per
layer on MiniLM at 32 x 128) are the largest tensors of a BERT training step,
and Keras' attention goes over them several times beyond the softmax:
- the padding mask is applied with `where(mask, scores, -1e9)`, whose
  gradient is another full-size `where` (and a tensor of zeros);
- dropout scales the kept probabilities, forward and backward.

Keras' scores equation puts the key first (`aecd,abcd->acbe`), and TF's
einsum kernel then writes the product key-major and transposes all of the
scores into `[B, N, T, S]`: 16 ms against 6 ms for the query-first product
at 32 x 128 (a scratch measurement). The training pass here moves the heads
forward in the small `[B, T, N, H]` inputs instead and takes both products
as batched matmuls, the key's transpose folded into the matmul.

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
        import tensorflow as tf

        def heads_first(x):  # [B, T, N, H] -> [B, N, T, H]
            return tf.transpose(x, [0, 2, 1, 3])

        query = ops.multiply(query, ops.cast(self._inverse_sqrt_key_dim, query.dtype))
        query, key, value = heads_first(query), heads_first(key), heads_first(value)
        scores = tf.matmul(query, key, transpose_b=True)  # [B, N, T, S]
        if attention_mask is not None:
            mask = attention_mask
            if keras.backend.standardize_dtype(mask.dtype) != "bool":
                mask = ops.greater(mask, 0.5)
            while len(mask.shape) < len(scores.shape):
                mask = ops.expand_dims(mask, axis=-3)  # broadcast over heads
            bias = ops.where(mask, ops.zeros((), scores.dtype),
                             ops.cast(_large_negative(scores.dtype), scores.dtype))
            scores = ops.add(scores, bias)
        probabilities = ops.softmax(scores, axis=-1)
        # Keras calls its dropout layer when `_dropout > 0`; the layer's rate rules
        rate = self._dropout_layer.rate if self._dropout > 0 else 0.0
        if rate <= 0:
            return heads_first(tf.matmul(probabilities, value)), probabilities
        keep, scale = keep_mask(
            tf.shape(probabilities), rate, self._dropout_layer.seed_generator.next())
        dropped = tf.where(keep, probabilities, tf.zeros_like(probabilities))
        output = heads_first(tf.matmul(dropped, value))  # [B, T, N, H] again
        return ops.multiply(output, ops.cast(scale, output.dtype)), probabilities


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
