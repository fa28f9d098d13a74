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

import importlib as _importlib

from kerasft.backbones.architectures import (  # noqa: F401  (public, in __all__)
    register_architecture, supported_model_types)
from kerasft.backbones.traits import BackboneTraits, traits  # noqa: F401
from kerasft.backbones.validation import validate_checkpoint  # noqa: F401

# What imports TensorFlow is loaded on first use (PEP 562), so that the
# command line checks a checkpoint (`validation`, `presets`) before
# TensorFlow is imported. `loader` imports `models` (registers the classes).
_LAZY = {
    "from_pretrained": "loader", "max_sequence_length": "loader",
    "AlbertBackbone": "models", "BertBackbone": "models", "ElectraBackbone": "models",
    "RobertaBackbone": "models", "T5EncoderBackbone": "models",
    "XLMRobertaBackbone": "models", "XLNetBackbone": "models",
    "tiny_backbone": "tiny",
}


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'kerasft.backbones' has no attribute {name!r}")
    value = getattr(_importlib.import_module(f"kerasft.backbones.{_LAZY[name]}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = sorted([
    *_LAZY,
    "BackboneTraits",
    "register_architecture",
    "supported_model_types",
    "traits",
    "validate_checkpoint",
])
