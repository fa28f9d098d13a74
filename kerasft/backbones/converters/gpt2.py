"""GPT-2 (`model_type="gpt2"`): keras-hub's converter on the kerasft reader.

Reads `GPT2Model` saves and `GPT2LMHeadModel` saves (`transformer.`
prefix). keras-hub sizes the MLP as `4 * n_embd`; checkpoints that set
`n_inner` get that size instead.
"""

from keras_hub.src.utils.transformers import convert_gpt2 as _keras_hub

from kerasft.backbones.converters.conversion import (
    check_activation,
    check_settings,
    require_layer_norm_epsilon,
)

backbone_cls = _keras_hub.backbone_cls
PREFIXES = ("transformer.",)
convert_weights = _keras_hub.convert_weights
# Attention options keras-hub's GPT2Backbone fixes: config key -> (value, default).
ATTENTION = {"scale_attn_weights": (True, True),
             "scale_attn_by_inverse_layer_idx": (False, False)}


def convert_backbone_config(config):
    check_activation(config, "activation_function", default="gelu_new")
    require_layer_norm_epsilon(config, "layer_norm_epsilon", 1e-5, default=1e-5)
    check_settings(config, ATTENTION)
    arguments = _keras_hub.convert_backbone_config(config)
    if config.get("n_inner") is not None:
        arguments["intermediate_dim"] = config["n_inner"]
    return arguments
