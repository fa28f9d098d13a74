"""Backbones: a name, a Hugging Face directory or a keras-hub preset ->
keras-hub backbone + tokenizer.

- `loader.py`: `from_pretrained` and the source resolution;
- `architectures.py`: the registry, `model_type` -> loader;
- `converters/`: one converter per `model_type`, the safetensors reader;
- `models/`: the backbone classes kerasft defines (registered serializables);
- `traits.py`: architecture facts tasks and tokenizers key on;
- `validation.py`: `validate_checkpoint`, config vs weights headers, before
  anything is allocated;
- `presets.py`, `tiny.py`: known checkpoints, tiny random backbones.
"""

from kerasft.backbones.architectures import register_architecture, supported_model_types
from kerasft.backbones.loader import from_pretrained, max_sequence_length
from kerasft.backbones import models
from kerasft.backbones.models import *  # noqa: F401,F403  (re-exports models.__all__)
from kerasft.backbones.tiny import tiny_backbone
from kerasft.backbones.traits import BackboneTraits, traits
from kerasft.backbones.validation import validate_checkpoint

__all__ = [
    *models.__all__,
    "BackboneTraits",
    "from_pretrained",
    "max_sequence_length",
    "register_architecture",
    "supported_model_types",
    "tiny_backbone",
    "traits",
    "validate_checkpoint",
]
