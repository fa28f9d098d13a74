"""Builds a keras-hub backbone from a Hugging Face directory with a converter.

A converter is a module with the interface of keras-hub's
`keras_hub/src/utils/transformers/convert_*.py` modules:

- `backbone_cls`: the keras-hub `Backbone` class to build;
- `convert_backbone_config(config) -> dict`: its constructor arguments;
- `convert_weights(backbone, reader, config)`: fills the weights;

plus `PREFIXES`, the tensor-name prefixes task-model saves add, and
optionally `OPTIONAL`, tensors some saves lack (see `SafetensorsReader`), and
`choose_backbone(config, reader) -> (backbone class, arguments)`, for
architectures whose saves come in shapes that need different classes (T5
with or without its decoder). keras-hub's
own modules fit this interface, so kerasft reuses them where only the
tensor lookup or the config reading was wrong.
"""

import inspect
import math
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
    """Builds the converter's backbone class with the checkpoint's config,
    replaced by `overrides`, and loads the weights (only the first
    `num_layers` when that is overridden)."""
    config = read_config(directory)
    optional = getattr(converter, "OPTIONAL", ())
    with SafetensorsReader(directory, converter.PREFIXES, optional) as reader:
        if hasattr(converter, "choose_backbone"):
            backbone_cls, arguments = converter.choose_backbone(config, reader)
        else:
            backbone_cls = converter.backbone_cls
            arguments = converter.convert_backbone_config(config)
        valid = _constructor_arguments(backbone_cls)
        unknown = sorted(set(overrides) - valid)
        if unknown:
            raise CheckpointError(
                f"Unknown {backbone_cls.__name__} option(s) {unknown}. "
                f"Received: overrides={overrides}. Valid options: {sorted(valid)}."
            )
        backbone = backbone_cls(**{**arguments, **overrides})
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


def layer_norm_epsilon(config, key, default):
    """The checkpoint's LayerNorm epsilon (`config[key]`, else `default`),
    for backbones that take it (`kerasft.backbones.models`).

    Raises:
        CheckpointError: the value is not a positive number.
    """
    value = config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise CheckpointError(
            f"{config.path} sets `{key}` to something other than a positive "
            f"number. Received: {key}={value!r}. Restore config.json from the "
            "original checkpoint."
        )
    return float(value)


def require_layer_norm_epsilon(config, key, expected, default):
    """Raises unless the checkpoint's LayerNorm epsilon is the one the
    keras-hub backbone hard-codes (other values change the outputs).

    Raises:
        CheckpointError: naming the file, the key and the value.
    """
    value = layer_norm_epsilon(config, key, default)
    if not math.isclose(value, expected, rel_tol=1e-6):
        raise CheckpointError(
            f"{config.path}: kerasft builds this architecture with keras-hub's "
            f"LayerNorm epsilon {expected}, and another value would change the "
            f"model's outputs. Received: {key}={value}. This checkpoint cannot "
            "be loaded faithfully; use one trained with the standard epsilon."
        )


def check_settings(config, required):
    """Raises if the checkpoint sets an option the backbone cannot build.

    Args:
        config: `CheckpointConfig`.
        required: dict. config key -> (value the backbone implements,
            transformers' default when the key is absent).

    Raises:
        CheckpointError: naming the file and every key with another value.
    """
    wrong = {key: config.get(key, default) for key, (value, default) in required.items()
             if config.get(key, default) != value}
    if wrong:
        expected = {key: value for key, (value, _) in required.items()}
        raise CheckpointError(
            f"{config.path} sets options that change the model's outputs and "
            f"that kerasft's backbone does not implement (it needs {expected}). "
            f"Received: {wrong}. This checkpoint cannot be loaded faithfully."
        )
