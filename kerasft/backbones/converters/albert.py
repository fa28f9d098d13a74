"""ALBERT (`model_type="albert"`) with keras-hub's weight layout.

keras-hub's converter looks tensors up as `albert.<name>`
(`AlbertForMaskedLM` saves); base-model saves store `<name>`, and
`*ForMaskedLM` saves have no pooler. The kerasft reader handles both.
"""

from keras_hub.src.utils.transformers import convert_albert as _keras_hub

from kerasft.backbones.converters.conversion import check_activation

backbone_cls = _keras_hub.backbone_cls
PREFIXES = ("albert.",)
OPTIONAL = ("pooler.",)
convert_weights = _keras_hub.convert_weights


def convert_backbone_config(config):
    check_activation(config, "hidden_act", default="gelu_new")
    return _keras_hub.convert_backbone_config(config)
