"""BERT (`model_type="bert"`): keras-hub's converter on the kerasft reader.

keras-hub's `from_preset` already loads base and `bert.`-prefixed saves; the
kerasft reader adds checkpoint errors that name file and tensor, and loads
`BertForMaskedLM` saves, which have no pooler.
"""

from keras_hub.src.utils.transformers import convert_bert as _keras_hub

from kerasft.backbones.converters.conversion import check_activation

backbone_cls = _keras_hub.backbone_cls
PREFIXES = ("bert.",)
OPTIONAL = ("pooler.",)
convert_weights = _keras_hub.convert_weights


def convert_backbone_config(config):
    check_activation(config, "hidden_act")
    return _keras_hub.convert_backbone_config(config)
