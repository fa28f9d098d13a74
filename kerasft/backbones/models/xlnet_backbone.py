"""keras-hub's `XLNetBackbone`, correct for batches larger than one.

keras-hub 0.32's XLNet reshapes where it must transpose: the relative
position encoding (`[L, B, H]` -> `[B, L, H]`) and the padding mask
(`[B, L]` -> `[L, B]`). With one sequence a reshape and a transpose agree;
with several, positions and masks get mixed across the batch (max |Δ| 1e-2
against transformers' `XLNetModel` on a 3-sequence batch of a tiny model,
5e-7 with one sequence). kerasft's subclass swaps in the two layers with a
transpose and keeps everything else, weights and config included. It also
takes the checkpoint's `layer_norm_epsilon` (keras-hub fixes 1e-12).
"""

import keras
from keras import ops
from keras_hub.models import Backbone
from keras_hub.models import XLNetBackbone as KerasHubXLNetBackbone
from keras_hub.src.models.xlnet.xlnet_content_and_query_embedding import (
    ContentAndQueryEmbedding,
)
from keras_hub.src.models.xlnet.xlnet_encoder import (
    XLNetAttentionMaskLayer,
    XLNetEncoder,
    XLNetSegmentMatrixLayer,
)


class _ContentAndQueryEmbedding(ContentAndQueryEmbedding):
    """Word embeddings and the relative position encoding, `[B, 2L, H]`."""

    def call(self, token_id_input):
        batch, length = ops.shape(token_id_input)[0], ops.shape(token_id_input)[1]
        word_emb = self.dropout_layer(self.word_embed(token_id_input))
        pos_emb = self.relative_positional_encoding(length, length, bsz=batch)
        pos_emb = self.dropout_layer(pos_emb)
        return word_emb, ops.transpose(pos_emb, (1, 0, 2))


class _AttentionMaskLayer(XLNetAttentionMaskLayer):
    """Content and query attention masks `[B, L, L]` (1 = may attend)."""

    def call(self, padding_mask):
        length = ops.shape(padding_mask)[1]
        # Padding keys are masked; the content stream still sees itself.
        padding = ops.cast(1 - padding_mask, "float32")[:, None, :]  # [B, 1, L]
        query_blocked = ops.broadcast_to(padding, (ops.shape(padding)[0], length, length))
        diagonal = ops.eye(length, dtype="float32")[None]
        content_blocked = ops.cast((query_blocked - diagonal) > 0, "float32")
        return 1.0 - content_blocked, 1.0 - query_blocked


@keras.saving.register_keras_serializable(package="kerasft")
class XLNetBackbone(KerasHubXLNetBackbone):
    """keras-hub's `XLNetBackbone` with batch-safe position and mask layers.

    Args: those of `keras_hub.models.XLNetBackbone`, and
        layer_norm_epsilon: float. The epsilon of every LayerNorm. Defaults
            to 1e-12, keras-hub's (and transformers').
    """

    def __init__(
        self,
        vocabulary_size,
        num_layers,
        num_heads,
        hidden_dim,
        intermediate_dim,
        dropout=0.0,
        activation="gelu",
        kernel_initializer_range=0.02,
        bias_initializer="zeros",
        layer_norm_epsilon=1e-12,
        dtype=None,
        **kwargs,
    ):
        # === Layers ===
        self.content_query_embedding = _ContentAndQueryEmbedding(
            vocabulary_size=vocabulary_size, hidden_dim=hidden_dim,
            dropout=dropout, dtype=dtype, name="content_query_embedding",
        )
        self.attn_mask_layer = _AttentionMaskLayer(
            hidden_dim=hidden_dim, kernel_initializer_range=kernel_initializer_range,
            dtype=dtype, name="encoder_block_attn_mask_layer",
        )
        self.seg_mat_layer = XLNetSegmentMatrixLayer(
            dtype=dtype, name="encoder_block_seg_mat_layer"
        )
        self.transformer_layers = [
            XLNetEncoder(
                num_heads=num_heads, hidden_dim=hidden_dim,
                head_dim=hidden_dim // num_heads, intermediate_dim=intermediate_dim,
                dropout=dropout, activation=activation, layer_norm_epsilon=layer_norm_epsilon,
                kernel_initializer_range=kernel_initializer_range,
                bias_initializer=bias_initializer, dtype=dtype,
                name=f"xlnet_encoder_{i}",
            )
            for i in range(num_layers)
        ]
        self.dropout = keras.layers.Dropout(dropout, dtype=dtype, name="dropout")

        # === Functional Model ===
        token_id_input = keras.Input(shape=(None,), dtype="int32", name="token_ids")
        padding_mask_input = keras.Input(
            shape=(None,), dtype="int32", name="padding_mask"
        )
        segment_id_input = keras.Input(
            shape=(None,), dtype="int32", name="segment_ids"
        )
        word_emb, pos_emb = self.content_query_embedding(token_id_input)
        attn_mask_content, attn_mask_query = self.attn_mask_layer(padding_mask_input)
        seg_mat = self.seg_mat_layer(segment_id_input)
        output_content = word_emb
        for transformer_layer in self.transformer_layers:
            output_content, _ = transformer_layer(
                output_content=output_content,
                attn_mask_content=attn_mask_content,
                attn_mask_query=attn_mask_query,
                pos_emb=pos_emb,
                seg_mat=seg_mat,
            )
        output = self.dropout(output_content)
        Backbone.__init__(
            self,
            inputs={
                "token_ids": token_id_input,
                "padding_mask": padding_mask_input,
                "segment_ids": segment_id_input,
            },
            outputs=output,
            dtype=dtype,
            **kwargs,
        )

        # === Config ===
        self.vocabulary_size = vocabulary_size
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.hidden_dim = hidden_dim
        self.intermediate_dim = intermediate_dim
        self.dropout = dropout
        self.activation = activation
        self.kernel_initializer_range = kernel_initializer_range
        self.bias_initializer = bias_initializer
        self.layer_norm_epsilon = layer_norm_epsilon

    def get_config(self):
        return {**super().get_config(), "layer_norm_epsilon": self.layer_norm_epsilon}
