"""Which code builds a Keras backbone for each Hugging Face `model_type`.

An architecture is a function `(directory, **overrides) -> keras_hub Backbone`.
keras-hub's own converter is used where it works on base-model checkpoints;
kerasft's converters (`kerasft.backbones.converters`) fill the gaps. New
architectures register here with `register_architecture`; nothing else in
kerasft has to change.
"""

from kerasft.errors import CheckpointError

_ARCHITECTURES = {}


def register_architecture(model_type, loader):
    """Registers `loader(directory, **overrides)` for a `model_type`."""
    _ARCHITECTURES[model_type] = loader


def supported_model_types():
    return sorted(_ARCHITECTURES)


def get_architecture(model_type, source):
    if model_type not in _ARCHITECTURES:
        raise CheckpointError(
            f"The checkpoint at {source} has an architecture kerasft cannot "
            f"load yet. Received: model_type={model_type!r}. Supported "
            f"model types: {', '.join(supported_model_types())}."
        )
    return _ARCHITECTURES[model_type]


def keras_hub_loader(directory, **overrides):
    """Loads with keras-hub's own Hugging Face converter."""
    import keras_hub

    return keras_hub.models.Backbone.from_preset(directory, **overrides)


for _model_type in ("bert",):
    register_architecture(_model_type, keras_hub_loader)

# kerasft's converters register themselves (and replace the loaders above).
import kerasft.backbones.converters  # noqa: E402, F401
