"""XLNet (`model_type="xlnet"`): keras-hub has the backbone, not a converter.

Maps `XLNetModel` tensors (and `transformer.`-prefixed task saves) onto
kerasft's `XLNetBackbone` (keras-hub's, with its batch bugs fixed; see
`kerasft/backbones/models/xlnet_backbone.py`). Both store the projections as
`[hidden, heads, head_dim]`, so they copy unchanged; the relative-attention
biases map as `r_w_bias` -> content, `r_r_bias` -> positional,
`r_s_bias` -> segment, `seg_embed` -> segment encoding.
"""

import numpy as np

from kerasft.backbones.converters.conversion import check_settings, layer_norm_epsilon
from kerasft.backbones.models.xlnet_backbone import XLNetBackbone
from kerasft.errors import CheckpointError

backbone_cls = XLNetBackbone
PREFIXES = ("transformer.",)
ACTIVATIONS = {"gelu": "gelu", "relu": "relu", "tanh": "tanh"}
# Options keras-hub's XLNet layers fix: config key -> (value, default).
FIXED = {"attn_type": ("bi", "bi")}


def convert_backbone_config(config):
    activation = config.get("ff_activation", "gelu")
    if activation not in ACTIVATIONS:
        raise CheckpointError(
            f"{config.path} sets an XLNet activation kerasft cannot build. "
            f"Received: ff_activation={activation!r}. Supported: "
            f"{sorted(ACTIVATIONS)}."
        )
    check_settings(config, FIXED)
    return {
        "vocabulary_size": config["vocab_size"],
        "num_layers": config["n_layer"],
        "num_heads": config["n_head"],
        "hidden_dim": config["d_model"],
        "intermediate_dim": config["d_inner"],
        "dropout": config.get("dropout", 0.1),
        "activation": ACTIVATIONS[activation],
        "layer_norm_epsilon": layer_norm_epsilon(config, "layer_norm_eps", 1e-12),
    }


def _transpose(tensor, _):
    return np.transpose(tensor)


def convert_weights(backbone, reader, config):
    embedding = backbone.get_layer("content_query_embedding")
    reader.port_weight(embedding.word_embed.embeddings, "word_embedding.weight")
    reader.port_weight(
        backbone.get_layer("encoder_block_attn_mask_layer").mask_emb, "mask_emb"
    )
    for index, layer in enumerate(backbone.transformer_layers):
        prefix = f"layer.{index}"
        attention = layer.relative_attention
        for variable, name in (
            (attention._query_dense.kernel, "q"),
            (attention._key_dense.kernel, "k"),
            (attention._value_dense.kernel, "v"),
            (attention._output_dense.kernel, "o"),
            (attention._encoding_dense.kernel, "r"),
            (layer.content_attention_bias, "r_w_bias"),
            (layer.positional_attention_bias, "r_r_bias"),
            (layer.segment_attention_bias, "r_s_bias"),
            (layer.segment_encoding, "seg_embed"),
        ):
            reader.port_weight(variable, f"{prefix}.rel_attn.{name}")
        for norm, name in (
            (layer.layer_norm, "rel_attn.layer_norm"),
            (layer.layer_norm_ff, "ff.layer_norm"),
        ):
            reader.port_weight(norm.gamma, f"{prefix}.{name}.weight")
            reader.port_weight(norm.beta, f"{prefix}.{name}.bias")
        for dense, name in (
            (layer.feedforward_intermediate_dense, "ff.layer_1"),
            (layer.feedforward_output_dense, "ff.layer_2"),
        ):
            reader.port_weight(dense.kernel, f"{prefix}.{name}.weight", _transpose)
            reader.port_weight(dense.bias, f"{prefix}.{name}.bias")
