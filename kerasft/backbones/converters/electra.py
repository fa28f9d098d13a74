"""ELECTRA (`model_type="electra"`): keras-hub has the backbone, not a
converter. kerasft builds its `ElectraBackbone` (keras-hub's, with the
checkpoint's GELU and LayerNorm epsilon; see
`kerasft/backbones/models/checkpoint_backbones.py`).

`keras_hub.models.ElectraBackbone` names its layers like `BertBackbone`
(`token_embedding`, `segment_embedding`, `transformer_layer_{i}`, ...) and
ELECTRA checkpoints store BERT's tensor names, so keras-hub's BERT
`convert_weights` fills it; kerasft adds the `embeddings_project` dense that
maps a smaller embedding size to the hidden size. Discriminators and
generators load alike, with or without the `electra.` prefix.

ELECTRA has no pooler: the backbone's `pooled_output` starts random (as in
transformers' `ElectraForSequenceClassification`, whose head is new too).
"""

import numpy as np
from keras_hub.src.utils.transformers import convert_bert

from kerasft.backbones.converters.bert import POSITIONS
from kerasft.backbones.converters.conversion import (
    check_activation,
    check_settings,
    layer_norm_epsilon,
)
from kerasft.backbones.models.checkpoint_backbones import FROM_TRANSFORMERS, ElectraBackbone

backbone_cls = ElectraBackbone
PREFIXES = ("electra.",)
OPTIONAL = ("pooler.",)


def convert_backbone_config(config):
    activation = check_activation(config, "hidden_act", supported=tuple(FROM_TRANSFORMERS))
    check_settings(config, POSITIONS)
    hidden = config["hidden_size"]
    return {
        "vocab_size": config["vocab_size"],
        "num_layers": config["num_hidden_layers"],
        "num_heads": config["num_attention_heads"],
        "hidden_dim": hidden,
        "embedding_dim": config.get("embedding_size", hidden),
        "intermediate_dim": config["intermediate_size"],
        "dropout": config.get("hidden_dropout_prob", 0.1),
        "max_sequence_length": config["max_position_embeddings"],
        "num_segments": config.get("type_vocab_size", 2),
        "activation": FROM_TRANSFORMERS[activation],
        "layer_norm_epsilon": layer_norm_epsilon(config, "layer_norm_eps", 1e-12),
    }


def convert_weights(backbone, reader, config):
    convert_bert.convert_weights(backbone, reader, config)
    if backbone.hidden_dim != backbone.embedding_dim:
        projection = backbone.get_layer("embeddings_projection")
        reader.port_weight(
            projection.kernel, "embeddings_project.weight", lambda x, _: np.transpose(x)
        )
        reader.port_weight(projection.bias, "embeddings_project.bias")
