"""XLM-RoBERTa (`model_type="xlm-roberta"`): keras-hub's converter on the
kerasft reader, for `XLMRobertaModel` and `roberta.`-prefixed task saves."""

from keras_hub.src.utils.transformers import convert_xlm_roberta as _keras_hub

from kerasft.backbones.converters.conversion import (
    check_activation,
    check_layer_norm_epsilon,
)

backbone_cls = _keras_hub.backbone_cls
PREFIXES = ("roberta.",)
convert_weights = _keras_hub.convert_weights


def convert_backbone_config(config):
    check_activation(config, "hidden_act")
    check_layer_norm_epsilon(config, "layer_norm_eps", 1e-5, default=1e-12)
    return _keras_hub.convert_backbone_config(config)
