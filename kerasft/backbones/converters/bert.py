"""BERT (`model_type="bert"`): keras-hub's weight mapping on the kerasft
reader, onto kerasft's `BertBackbone` (keras-hub's, with the checkpoint's
GELU and LayerNorm epsilon; see
`kerasft/backbones/models/checkpoint_backbones.py`).

keras-hub's `from_preset` already loads base and `bert.`-prefixed saves; the
kerasft reader adds errors that name file and tensor, and loads
`BertForMaskedLM` saves, which have no pooler.
"""

from keras_hub.src.utils.transformers import convert_bert as _keras_hub

from kerasft.backbones.converters.conversion import (
    check_activation,
    check_settings,
    layer_norm_epsilon,
)
from kerasft.backbones.models.checkpoint_backbones import FROM_TRANSFORMERS, BertBackbone

backbone_cls = BertBackbone
PREFIXES = ("bert.",)
OPTIONAL = ("pooler.",)
convert_weights = _keras_hub.convert_weights
POSITIONS = {"position_embedding_type": ("absolute", "absolute")}


def convert_backbone_config(config):
    activation = check_activation(config, "hidden_act", supported=tuple(FROM_TRANSFORMERS))
    check_settings(config, POSITIONS)
    return {
        **_keras_hub.convert_backbone_config(config),
        "activation": FROM_TRANSFORMERS[activation],
        "layer_norm_epsilon": layer_norm_epsilon(config, "layer_norm_eps", 1e-12),
    }
