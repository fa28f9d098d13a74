"""XLM-RoBERTa (`model_type="xlm-roberta"`): keras-hub's converter on the
kerasft reader, for `XLMRobertaModel` and `roberta.`-prefixed task saves, onto
kerasft's `XLMRobertaBackbone` (keras-hub's with the checkpoint's LayerNorm
epsilon: keras-hub fixes 1e-5, transformers defaults to 1e-12)."""

from keras_hub.src.utils.transformers import convert_xlm_roberta as _keras_hub

from kerasft.backbones.converters.bert import POSITIONS
from kerasft.backbones.converters.conversion import (
    check_activation,
    check_settings,
    layer_norm_epsilon,
)
from kerasft.backbones.models.checkpoint_backbones import XLMRobertaBackbone

backbone_cls = XLMRobertaBackbone
PREFIXES = ("roberta.",)
convert_weights = _keras_hub.convert_weights


def convert_backbone_config(config):
    check_activation(config, "hidden_act")
    check_settings(config, POSITIONS)
    return {
        **_keras_hub.convert_backbone_config(config),
        "layer_norm_epsilon": layer_norm_epsilon(config, "layer_norm_eps", 1e-12),
    }
