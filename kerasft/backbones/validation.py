"""`validate_checkpoint`: check a Hugging Face checkpoint before building it.

A config.json with `"hidden_size": 1000000000` would make the loader
allocate a tensor of that size before any weight is read. These checks read
config.json and the safetensors headers only (no tensor data), so a broken
or hostile checkpoint fails in milliseconds with an error that names the
file, the key and the fix.
"""

import math
import os

from kerasft.backbones.converters.safetensors_reader import (
    CONFIG_FILE,
    read_config,
    read_headers,
)
from kerasft.errors import CheckpointError

# Config keys that hold sizes, across the architectures kerasft converts.
SIZE_KEYS = (
    "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
    "intermediate_size", "max_position_embeddings", "embedding_size",
    "num_hidden_groups", "n_embd", "n_layer", "n_head", "n_positions", "n_inner",
    "d_model", "d_ff", "d_kv", "d_inner", "num_layers", "num_heads",
    "num_decoder_layers", "dim", "n_layers", "n_heads", "hidden_dim",
    "encoder_layers", "decoder_layers", "encoder_attention_heads",
    "decoder_attention_heads", "encoder_ffn_dim", "decoder_ffn_dim",
)
# Size keys that may be 0 (no segment embedding).
ZERO_ALLOWED = ("type_vocab_size",)
# (hidden key, heads key): heads must divide the hidden size.
HEAD_PAIRS = (
    ("hidden_size", "num_attention_heads"), ("n_embd", "n_head"), ("dim", "n_heads"),
    ("d_model", "n_head"), ("d_model", "encoder_attention_heads"),
    ("d_model", "decoder_attention_heads"),
)
# The first key present gives the hidden size, the layers with own weights,
# the feed-forward size.
HIDDEN = ("hidden_size", "n_embd", "d_model", "dim")
LAYERS = ("num_hidden_groups", "num_hidden_layers", "n_layer", "n_layers", "num_layers",
          "encoder_layers")
FEED_FORWARD = ("intermediate_size", "n_inner", "d_inner", "hidden_dim", "d_ff",
                "encoder_ffn_dim")
# Tensor names (suffixes) of the token embedding: [vocab_size, embedding].
EMBEDDINGS = ("word_embeddings.weight", "word_embedding.weight", "wte.weight",
              "shared.weight", "embed_tokens.weight")


def _first(config, keys):
    for key in keys:
        if config.get(key) is not None:
            return key, config[key]
    return None, None


def _check_sizes(config):
    for key in SIZE_KEYS + ZERO_ALLOWED:
        value = config.get(key)
        if value is None:
            continue
        minimum = 0 if key in ZERO_ALLOWED else 1
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise CheckpointError(
                f"{config.path}: `{key}` must be an integer >= {minimum}. Received: "
                f"{key}={value!r}. Restore config.json from the original checkpoint."
            )
    for hidden_key, heads_key in HEAD_PAIRS:
        hidden, heads = config.get(hidden_key), config.get(heads_key)
        if hidden is not None and heads is not None and hidden % heads:
            raise CheckpointError(
                f"{config.path}: `{heads_key}` must divide `{hidden_key}`. Received: "
                f"{hidden_key}={hidden}, {heads_key}={heads}. Restore config.json from "
                "the original checkpoint."
            )


def _check_embedding(config, headers):
    name = next((n for n in headers if n.endswith(EMBEDDINGS)), None)
    if name is None or config.get("vocab_size") is None:
        return
    shape = list(headers[name]["shape"])
    _, hidden = _first(config, ("embedding_size",) + HIDDEN)
    expected = [config["vocab_size"], hidden if hidden is not None else shape[-1]]
    if shape != expected:
        raise CheckpointError(
            f"{config.path} does not match the weights: the token embedding "
            f"`{name}` should have shape [vocab_size, hidden size] = {expected}. "
            f"Received: vocab_size={config['vocab_size']}, hidden size={expected[1]}, "
            f"tensor shape={shape}. Restore config.json (or the weights) from the "
            "original checkpoint."
        )


def _check_parameter_count(config, headers):
    """The feed-forward weights the config implies (2 x hidden x ffn per
    layer with own weights) must fit in what the files hold."""
    hidden_key, hidden = _first(config, HIDDEN)
    layers_key, layers = _first(config, LAYERS)
    ffn_key, ffn = _first(config, FEED_FORWARD)
    if hidden is None or layers is None:
        return
    ffn = ffn if ffn is not None else 4 * hidden
    implied = 2 * layers * hidden * ffn
    held = sum(math.prod(info["shape"]) for info in headers.values())
    if implied > held:
        raise CheckpointError(
            f"{config.path} describes a model larger than its weights: "
            f"{layers} layers of hidden size {hidden} and feed-forward size {ffn} "
            f"need at least {implied:,} parameters, the safetensors files hold "
            f"{held:,}. Received: {hidden_key}={hidden}, {layers_key}={layers}, "
            f"{ffn_key or 'feed-forward size'}={ffn}. Restore config.json from the "
            "original checkpoint."
        )


def validate_checkpoint(directory):
    """Checks a Hugging Face checkpoint's config.json against itself and the
    safetensors headers, reading no tensor data.

    Checks that every size is a positive integer, that attention heads divide
    the hidden size, that `vocab_size` and the hidden size match the token
    embedding's shape in the header, and that the parameters the config
    implies fit in the weights file. Directories without a `model_type`
    (keras-hub presets) pass unchecked.

    Args:
        directory: str or path. A local checkpoint directory.

    Raises:
        CheckpointError: naming the file, the key and the value, and how to
            fix it.

    Example:
    >>> validate_checkpoint(directory)  # doctest: +SKIP
    """
    directory = os.fspath(directory)
    if not os.path.isfile(os.path.join(directory, CONFIG_FILE)):
        raise CheckpointError(
            f"No {CONFIG_FILE} in {directory}. A checkpoint directory holds "
            "config.json, the weights (model.safetensors) and tokenizer files."
        )
    config = read_config(directory)
    if not isinstance(config.get("model_type"), str):
        return
    _check_sizes(config)
    headers = read_headers(directory)
    _check_embedding(config, headers)
    _check_parameter_count(config, headers)
