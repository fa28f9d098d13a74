"""`from_pretrained`: a name, a directory or a hub handle -> backbone + tokenizer."""

import os

import kerasft.backbones.models  # noqa: F401  (registers the backbone classes)
from kerasft.backbones.architectures import get_architecture
from kerasft.backbones.converters.safetensors_reader import read_config
from kerasft.backbones.presets import KNOWN_PRESETS, preset_directory, resolve_preset_name
from kerasft.backbones.validation import validate_checkpoint
from kerasft.errors import CheckpointError
from kerasft.tokenizers import Tokenizer

TINY_PREFIX = "tiny-"


def _download(handle):
    """Fetches a hub handle to a local directory (needs a network)."""
    if handle.startswith("hf://"):
        from huggingface_hub import snapshot_download

        return snapshot_download(handle[len("hf://"):])
    import kagglehub

    return kagglehub.model_download(handle[len("kaggle://"):])


def resolve_source(source):
    """Maps a user's `source` to a local checkpoint directory."""
    source = os.fspath(source)
    if source.startswith(("hf://", "kaggle://")):
        try:
            return _download(source)
        except Exception as e:  # network errors come in many types
            raise CheckpointError(
                f"Could not download {source}: {e}. Hub handles need a "
                "network; offline, pass a local checkpoint directory instead."
            ) from e
    name = resolve_preset_name(source)
    if name is not None:
        return preset_directory(name)
    if os.path.isdir(source):
        return source
    known = ", ".join(sorted(KNOWN_PRESETS)) + ", tiny-bert"
    raise CheckpointError(
        f"Unknown backbone. Received: source={source!r}. Pass a known name "
        f"({known}), a local Hugging Face checkpoint directory (config.json + "
        "model.safetensors + tokenizer files), a local keras-hub preset "
        "directory, or an `hf://` / `kaggle://` handle."
    )


def load_backbone(directory, **overrides):
    """Builds the Keras backbone stored in a local directory."""
    config_path = os.path.join(directory, "config.json")
    if not os.path.isfile(config_path):
        raise CheckpointError(
            f"No config.json in {directory}. A checkpoint directory holds "
            "config.json, the weights (model.safetensors) and tokenizer files."
        )
    config = read_config(directory)
    try:
        if "model_type" in config:  # Hugging Face layout
            loader = get_architecture(config["model_type"], directory)
            if not any(f.endswith((".safetensors", ".bin")) for f in os.listdir(directory)):
                raise CheckpointError(
                    f"No weights in {directory}. Expected model.safetensors "
                    f"next to config.json. Received files: {sorted(os.listdir(directory))}."
                )
            validate_checkpoint(directory)
            return loader(directory, **overrides)
        if "registered_name" in config or "class_name" in config:  # keras-hub preset
            import keras_hub

            return keras_hub.models.Backbone.from_preset(directory, **overrides)
    except CheckpointError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise CheckpointError(
            f"Could not load the checkpoint in {directory}: "
            f"{type(e).__name__}: {e}. The weights are unreadable or do not "
            "match config.json; restore the files from the original checkpoint."
        ) from e
    raise CheckpointError(
        f"{config_path} is neither a Hugging Face config (no `model_type`) "
        "nor a keras-hub preset config (no `registered_name`)."
    )


def from_pretrained(source, **overrides):
    """Loads a pretrained backbone and its matching tokenizer.

    Args:
        source: str or path. One of: a known short name (`"minilm-l6"`); a
            local Hugging Face checkpoint directory (config.json +
            model.safetensors + tokenizer.json or vocab.txt); a local
            keras-hub preset directory; an `hf://owner/name` or
            `kaggle://owner/model/keras/variant` handle (needs a network);
            `"tiny-bert"`, a tiny random backbone for tests.
        **overrides: backbone config values to override, for example
            `num_layers=2` keeps only the first two layers.

    Returns:
        `(backbone, tokenizer)`: a keras-hub `Backbone` and a
        `kerasft.tokenizers.Tokenizer`.

    Raises:
        CheckpointError: unknown name, missing or unreadable files, or an
            unsupported architecture.
        ImportError: a known checkpoint's package is not installed.

    Example:
    >>> backbone, tokenizer = from_pretrained("tiny-bert")
    >>> backbone.num_layers
    2
    """
    if isinstance(source, str) and source.startswith(TINY_PREFIX):
        from kerasft.backbones.tiny import tiny_backbone

        return tiny_backbone(source[len(TINY_PREFIX):], **overrides)
    directory = resolve_source(source)
    backbone = load_backbone(directory, **overrides)
    tokenizer = Tokenizer.from_directory(directory)
    return backbone, tokenizer


def max_sequence_length(backbone):
    """The longest input the backbone's position embeddings allow (or None)."""
    for name in ("max_sequence_length", "max_position_embeddings"):
        value = getattr(backbone, name, None)
        if value:
            return int(value)
    return None
