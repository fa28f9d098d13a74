"""The one registry: which code builds a Keras backbone for each Hugging Face
`model_type`.

An architecture is a function `(directory, **overrides) -> keras_hub Backbone`.
Every built-in one runs a converter module of `kerasft.backbones.converters`
(imported only when a checkpoint of its type is loaded; see
`converters/conversion.py` for the interface). New architectures register
here with `register_architecture`; nothing else in kerasft has to change.
This module imports no other kerasft backbone module at import time.
"""

import importlib

from kerasft.errors import CheckpointError

CONVERTER_PACKAGE = "kerasft.backbones.converters"
# Hugging Face `model_type` -> converter module in `CONVERTER_PACKAGE`.
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

_ARCHITECTURES = {}


def register_architecture(model_type, loader):
    """Registers `loader(directory, **overrides)` for a `model_type`
    (replacing the built-in one, if any)."""
    _ARCHITECTURES[model_type] = loader


def supported_model_types():
    return sorted(_ARCHITECTURES)


def get_architecture(model_type, source):
    """The loader registered for `model_type`.

    Raises:
        CheckpointError: no loader is registered for it.
    """
    if model_type not in _ARCHITECTURES:
        raise CheckpointError(
            f"The checkpoint at {source} has an architecture kerasft cannot "
            f"load yet. Received: model_type={model_type!r}. Supported "
            f"model types: {', '.join(supported_model_types())}."
        )
    return _ARCHITECTURES[model_type]


def converter_module(model_type):
    """Imports the converter module of a built-in `model_type`."""
    return importlib.import_module(f"{CONVERTER_PACKAGE}.{CONVERTERS[model_type]}")


def _converter_loader(model_type):
    def load(directory, **overrides):
        from kerasft.backbones.converters.conversion import load_converted

        return load_converted(directory, converter_module(model_type), overrides)

    load.__doc__ = f"Loads a Hugging Face `{model_type}` checkpoint directory."
    return load


for _model_type in CONVERTERS:
    register_architecture(_model_type, _converter_loader(_model_type))
