"""DistilBERT (`model_type="distilbert"`) with keras-hub's weight layout.

keras-hub's converter looks tensors up as `distilbert.<name>`
(`DistilBertForMaskedLM` saves); base-model saves store `<name>`. The
kerasft reader finds both, so keras-hub's `convert_weights` is reused.
"""

from keras_hub.src.utils.transformers import convert_distilbert as _keras_hub

from kerasft.backbones.converters.conversion import check_activation

backbone_cls = _keras_hub.backbone_cls
PREFIXES = ("distilbert.",)
convert_weights = _keras_hub.convert_weights


def convert_backbone_config(config):
    check_activation(config, "activation")
    return _keras_hub.convert_backbone_config(config)
