"""The encoder half of T5, for encoder-only saves (`T5EncoderModel`).

Sentence encoders built on T5 (sentence-T5, GTR, instructor models) ship
only the `encoder.*` tensors. keras-hub's `T5Backbone` always builds the
decoder too; `T5EncoderBackbone` builds the encoder stack with keras-hub's
own T5 layers and has the inputs and output of the other encoders
(`token_ids`, `padding_mask` -> `sequence_output`), so kerasft's encoder
tasks (TextClassifier, TokenClassifier, ...) run on it.
"""

import keras
from keras_hub.models import Backbone
from keras_hub.src.models.t5.t5_layer_norm import T5LayerNorm
from keras_hub.src.models.t5.t5_transformer_layer import T5TransformerLayer
from keras_hub.src.utils.keras_utils import gelu_approximate

from kerasft.errors import ConfigError

# Activation name (kept in the config) -> the function the layers use.
ACTIVATIONS = {"relu": "relu", "gelu": "gelu", "gelu_approximate": gelu_approximate,
               "silu": "silu"}


@keras.saving.register_keras_serializable(package="kerasft")
class T5EncoderBackbone(Backbone):
    """T5's encoder: token embedding, relative-attention layers, final RMS norm.

    Args:
        vocabulary_size: int. Size of the token vocabulary.
        num_layers: int. Number of transformer layers.
        num_heads: int. Attention heads per layer.
        hidden_dim: int. Size of the hidden states (`d_model`).
        intermediate_dim: int. Size of the feed-forward layer (`d_ff`).
        key_value_dim: int or None. Size of each head (`d_kv`). Defaults to
            `hidden_dim // num_heads`.
        dropout: float. Dropout rate. Defaults to 0.1.
        activation: str. One of `"relu"`, `"gelu"`, `"gelu_approximate"`,
            `"silu"`. Defaults to `"relu"` (T5 v1.0).
        use_gated_activation: bool. Gated feed-forward (T5 v1.1, FLAN-T5).
            Defaults to False.
        layer_norm_epsilon: float. Epsilon of the RMS norms. Defaults to 1e-6.
        dtype: dtype policy of the layers. Defaults to None.

    Raises:
        ConfigError: an unknown `activation`.
    """

    def __init__(self, vocabulary_size, num_layers, num_heads, hidden_dim, intermediate_dim,
                 key_value_dim=None, dropout=0.1, activation="relu",
                 use_gated_activation=False, layer_norm_epsilon=1e-6, dtype=None, **kwargs):
        if activation not in ACTIVATIONS:
            raise ConfigError(
                f"Unknown T5EncoderBackbone activation. Received: activation={activation!r}. "
                f"Valid: {sorted(ACTIVATIONS)}."
            )
        # === Layers ===
        self.token_embedding = keras.layers.Embedding(
            vocabulary_size, hidden_dim, dtype=dtype, name="token_embedding")
        self.embedding_dropout = keras.layers.Dropout(
            dropout, dtype=dtype, name="encoder_embedding_dropout")
        self.transformer_layers = [
            T5TransformerLayer(
                is_decoder=False, hidden_dim=hidden_dim, intermediate_dim=intermediate_dim,
                key_value_dim=key_value_dim or hidden_dim // num_heads, dropout=dropout,
                activation=ACTIVATIONS[activation], layer_norm_epsilon=layer_norm_epsilon,
                num_heads=num_heads, use_gated_activation=use_gated_activation,
                use_relative_attention_bias=i == 0, dtype=dtype,
                name=f"transformer_encoder_layer_{i}",
            )
            for i in range(num_layers)
        ]
        self.output_layer_norm = T5LayerNorm(
            epsilon=layer_norm_epsilon, dtype=dtype, name="encoder_output_layer_norm")
        self.output_dropout = keras.layers.Dropout(
            dropout, dtype=dtype, name="encoder_output_dropout")

        # === Functional Model ===
        token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
        padding_mask = keras.Input(shape=(None,), dtype="int32", name="padding_mask")
        x = self.embedding_dropout(self.token_embedding(token_ids))
        position_bias = None
        for layer in self.transformer_layers:
            x, position_bias = layer(x, attention_mask=padding_mask[:, None, :],
                                     position_bias=position_bias, use_causal_mask=False)
        x = self.output_dropout(self.output_layer_norm(x))
        super().__init__(
            inputs={"token_ids": token_ids, "padding_mask": padding_mask},
            outputs={"sequence_output": x}, dtype=dtype, **kwargs,
        )

        # === Config ===
        self.vocabulary_size = vocabulary_size
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.hidden_dim = hidden_dim
        self.intermediate_dim = intermediate_dim
        self.key_value_dim = key_value_dim
        self.dropout = dropout
        self.activation = activation
        self.use_gated_activation = use_gated_activation
        self.layer_norm_epsilon = layer_norm_epsilon

    def get_config(self):
        return {
            **super().get_config(),
            "vocabulary_size": self.vocabulary_size,
            "num_layers": self.num_layers,
            "num_heads": self.num_heads,
            "hidden_dim": self.hidden_dim,
            "intermediate_dim": self.intermediate_dim,
            "key_value_dim": self.key_value_dim,
            "dropout": self.dropout,
            "activation": self.activation,
            "use_gated_activation": self.use_gated_activation,
            "layer_norm_epsilon": self.layer_norm_epsilon,
        }
