from kerasft.backbones.architectures import register_architecture, supported_model_types
from kerasft.backbones.loader import from_pretrained, max_sequence_length
from kerasft.backbones.tiny import tiny_backbone

__all__ = [
    "from_pretrained",
    "max_sequence_length",
    "register_architecture",
    "supported_model_types",
    "tiny_backbone",
]
