"""Builds a keras-hub backbone from a Hugging Face directory with a converter.

A converter is a module with the interface of keras-hub's
`keras_hub/src/utils/transformers/convert_*.py` modules:

- `backbone_cls`: the keras-hub `Backbone` class to build;
- `convert_backbone_config(config) -> dict`: its constructor arguments;
- `convert_weights(backbone, reader, config)`: fills the weights;

plus `PREFIXES`, the tensor-name prefixes task-model saves add, and
optionally `OPTIONAL`, tensors some saves lack (see `SafetensorsReader`).
keras-hub's
own modules fit this interface, so kerasft reuses them where only the
tensor lookup or the config reading was wrong.
"""

import inspect
import warnings

from kerasft.backbones.converters.safetensors_reader import (
    SafetensorsReader,
    read_config,
)
from kerasft.errors import CheckpointError

GELU_VARIANTS = ("gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "gelu_python")


def _constructor_arguments(cls):
    """Argument names of a backbone class and of the keras-hub classes it
    extends (kerasft subclasses pass `*args, **kwargs` through)."""
    from keras_hub.models import Backbone

    names = {"dtype", "name", "trainable"}
    for klass in cls.__mro__:
        if "__init__" not in vars(klass) or not issubclass(klass, Backbone):
            continue
        if klass is Backbone:
            break
        for p in inspect.signature(klass.__init__).parameters.values():
            if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and p.name != "self":
                names.add(p.name)
    return names


def load_converted(directory, converter, overrides):
    """Builds `converter.backbone_cls` with the checkpoint's config, replaced
    by `overrides`, and loads the weights (only the first `num_layers` when
    that is overridden)."""
    config = read_config(directory)
    arguments = converter.convert_backbone_config(config)
    valid = _constructor_arguments(converter.backbone_cls)
    unknown = sorted(set(overrides) - valid)
    if unknown:
        raise CheckpointError(
            f"Unknown {converter.backbone_cls.__name__} option(s) "
            f"{unknown}. Received: overrides={overrides}. Valid options: "
            f"{sorted(valid)}."
        )
    backbone = converter.backbone_cls(**{**arguments, **overrides})
    optional = getattr(converter, "OPTIONAL", ())
    with SafetensorsReader(directory, converter.PREFIXES, optional) as reader:
        converter.convert_weights(backbone, reader, config)
    if reader.skipped:
        warnings.warn(
            f"The checkpoint in {directory} has no {reader.skipped} (task "
            "models and some architectures save none); those weights keep "
            "their random initial values. Fine-tune before using outputs "
            "that depend on them, such as `pooled_output`.",
            stacklevel=2,
        )
    return backbone


def check_activation(config, key, supported=GELU_VARIANTS, default="gelu"):
    """Raises if the checkpoint's activation is one the backbone lacks.

    keras-hub backbones fix their activation (a GELU for the BERT family);
    GELU's exact and tanh forms differ by < 1e-3, anything else would give
    silently wrong outputs.
    """
    value = config.get(key, default)
    if value not in supported:
        raise CheckpointError(
            f"{config.path} sets `{key}`={value!r}; kerasft builds this "
            f"architecture with one of {list(supported)}. Received: "
            f"{key}={value!r}. This checkpoint cannot be loaded faithfully."
        )
    return value


def check_layer_norm_epsilon(config, key, expected, default):
    """Warns when the checkpoint's LayerNorm epsilon differs from the one the
    keras-hub backbone hard-codes (outputs then differ slightly)."""
    value = config.get(key, default)
    if value is not None and not (expected / 10 <= value <= expected * 10):
        warnings.warn(
            f"{config.path} sets `{key}`={value}; the keras-hub backbone uses "
            f"{expected}. Hidden states will differ slightly (about 1e-4) "
            "from the original model.",
            stacklevel=3,
        )

