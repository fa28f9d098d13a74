"""Converters from Hugging Face checkpoint directories to keras-hub backbones.

Importing this package registers one loader per Hugging Face `model_type`
with `kerasft.backbones.architectures`; a converter module is imported only
when a checkpoint of its type is loaded. Each converter
follows the interface of keras-hub's `convert_*` modules (see
`conversion.py`); where keras-hub's converter is right except for the
tensor lookup or the config keys, kerasft reuses its `convert_weights` on
the prefix-tolerant `SafetensorsReader`.
"""

import importlib

from kerasft.backbones.architectures import register_architecture

# Backbone classes kerasft defines (registered Keras serializables): imported
# here so that `.keras` files and presets that use them load after
# `import kerasft`. This imports keras-hub (about 1 s).
from kerasft.backbones.converters.gelu_backbones import (  # noqa: F401
    AlbertBackbone,
    BertBackbone,
    ElectraBackbone,
)
from kerasft.backbones.converters.xlnet_backbone import XLNetBackbone  # noqa: F401

# Hugging Face `model_type` -> converter module in this package.
CONVERTERS = {
    "albert": "albert",
    "bart": "bart",
    "bert": "bert",
    "deberta-v2": "deberta_v2",
    "distilbert": "distilbert",
    "electra": "electra",
    "gpt2": "gpt2",
    "roberta": "roberta",
    "t5": "t5",
    "xlm-roberta": "xlm_roberta",
    "xlnet": "xlnet",
}


def converter_module(model_type):
    """Imports the converter module of a `model_type`."""
    return importlib.import_module(f"{__name__}.{CONVERTERS[model_type]}")


def _lazy_loader(model_type):
    def load(directory, **overrides):
        from kerasft.backbones.converters.conversion import load_converted

        return load_converted(directory, converter_module(model_type), overrides)

    load.__doc__ = f"Loads a Hugging Face `{model_type}` checkpoint directory."
    return load


for _model_type in CONVERTERS:
    register_architecture(_model_type, _lazy_loader(_model_type))
