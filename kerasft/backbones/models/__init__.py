"""Backbone classes kerasft defines: keras-hub's, with what they lack.

Each is a registered Keras serializable (`package="kerasft"`), imported
here so that `.keras` files and presets that use them load after
`import kerasft`. Importing this package imports keras-hub (about 1 s).
"""

from kerasft.backbones.models.checkpoint_backbones import (
    AlbertBackbone,
    BertBackbone,
    ElectraBackbone,
    RobertaBackbone,
    XLMRobertaBackbone,
)
from kerasft.backbones.models.t5_encoder_backbone import T5EncoderBackbone
from kerasft.backbones.models.xlnet_backbone import XLNetBackbone

__all__ = [
    "AlbertBackbone",
    "BertBackbone",
    "ElectraBackbone",
    "RobertaBackbone",
    "T5EncoderBackbone",
    "XLMRobertaBackbone",
    "XLNetBackbone",
]
