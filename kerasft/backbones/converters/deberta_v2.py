"""DeBERTa-v2/v3 (`model_type="deberta-v2"`): keras-hub has the backbone
(`DebertaV3Backbone`), not a converter.

keras-hub builds the DeBERTa-v3 variant: relative attention with log
buckets, c2p + p2c terms with shared keys, LayerNorm on the relative
embeddings, no absolute positions, no token types, no convolution. Every
DeBERTa-v3 checkpoint (xsmall to large, mDeBERTa) is of that kind;
checkpoints with other settings (DeBERTa-v2 xlarge's convolution layer)
raise a `CheckpointError` naming the setting instead of loading wrongly.
"""

import numpy as np
from keras_hub.models import DebertaV3Backbone

from kerasft.backbones.converters.conversion import (
    check_activation,
    require_layer_norm_epsilon,
)
from kerasft.errors import CheckpointError

backbone_cls = DebertaV3Backbone
PREFIXES = ("deberta.",)

# config key -> (value keras-hub's backbone implements, transformers default)
REQUIRED_SETTINGS = {
    "relative_attention": (True, False),
    "position_biased_input": (False, True),
    "share_att_key": (True, True),
    "norm_rel_ebd": ("layer_norm", "none"),
    "type_vocab_size": (0, 0),
    "conv_kernel_size": (0, 0),
}


def _check_settings(config):
    received = {k: config.get(k, default) for k, (_, default) in REQUIRED_SETTINGS.items()}
    received["pos_att_type"] = sorted(config.get("pos_att_type") or [])
    received["embedding_size"] = config.get("embedding_size", config["hidden_size"])
    expected = {k: value for k, (value, _) in REQUIRED_SETTINGS.items()}
    expected["pos_att_type"] = ["c2p", "p2c"]
    expected["embedding_size"] = config["hidden_size"]
    wrong = {k: v for k, v in received.items() if v != expected[k]}
    if config.get("position_buckets", -1) <= 0:
        wrong["position_buckets"] = config.get("position_buckets", -1)
    if wrong:
        raise CheckpointError(
            f"{config.path} describes a DeBERTa variant kerasft cannot build "
            f"(it builds DeBERTa-v3 with {expected} and position_buckets > 0). "
            f"Received: {wrong}."
        )


def convert_backbone_config(config):
    _check_settings(config)
    check_activation(config, "hidden_act", supported=("gelu",))
    require_layer_norm_epsilon(config, "layer_norm_eps", 1e-7, default=1e-7)
    max_relative = config.get("max_relative_positions", -1)
    return {
        "vocabulary_size": config["vocab_size"],
        "num_layers": config["num_hidden_layers"],
        "num_heads": config["num_attention_heads"],
        "hidden_dim": config["hidden_size"],
        "intermediate_dim": config["intermediate_size"],
        "dropout": config.get("hidden_dropout_prob", 0.1),
        # The log-bucket formula's `max_position` (transformers falls back to
        # max_position_embeddings when max_relative_positions < 1).
        "max_sequence_length": (
            max_relative if max_relative > 0 else config["max_position_embeddings"]
        ),
        "bucket_size": config["position_buckets"],
    }


def _kernel(tensor, shape):
    return np.reshape(np.transpose(tensor), shape)


def _reshape(tensor, shape):
    return np.reshape(tensor, shape)


def _port_norm(reader, norm, name):
    reader.port_weight(norm.gamma, f"{name}.weight")
    reader.port_weight(norm.beta, f"{name}.bias")


def convert_weights(backbone, reader, config):
    reader.port_weight(
        backbone.token_embedding.embeddings, "embeddings.word_embeddings.weight"
    )
    _port_norm(reader, backbone.embeddings_layer_norm, "embeddings.LayerNorm")
    relative = backbone.get_layer("rel_embedding")
    reader.port_weight(relative.rel_embeddings, "encoder.rel_embeddings.weight")
    _port_norm(reader, relative.layer_norm, "encoder.LayerNorm")
    for index, layer in enumerate(backbone.transformer_layers):
        prefix = f"encoder.layer.{index}"
        attention = layer._self_attention_layer
        for dense, name in (
            (attention._query_dense, "query_proj"),
            (attention._key_dense, "key_proj"),
            (attention._value_dense, "value_proj"),
        ):
            reader.port_weight(dense.kernel, f"{prefix}.attention.self.{name}.weight", _kernel)
            reader.port_weight(dense.bias, f"{prefix}.attention.self.{name}.bias", _reshape)
        for dense, name in (
            (attention._output_dense, "attention.output.dense"),
            (layer._feedforward_intermediate_dense, "intermediate.dense"),
            (layer._feedforward_output_dense, "output.dense"),
        ):
            reader.port_weight(dense.kernel, f"{prefix}.{name}.weight", _kernel)
            reader.port_weight(dense.bias, f"{prefix}.{name}.bias")
        _port_norm(reader, layer._self_attention_layer_norm, f"{prefix}.attention.output.LayerNorm")
        _port_norm(reader, layer._feedforward_layer_norm, f"{prefix}.output.LayerNorm")
