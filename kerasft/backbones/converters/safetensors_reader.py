"""Reads a Hugging Face checkpoint's config and tensors, without torch.

Hugging Face saves the same network under different tensor names: a base
model (`RobertaModel`, `XLNetModel`, sentence-transformers) writes
`encoder.layer.0...`, a task model (`RobertaForMaskedLM`,
`...ForSequenceClassification`) writes `roberta.encoder.layer.0...`.
`SafetensorsReader` finds a tensor under either name, so one converter serves
both. It has the `get_tensor` / `port_weight` interface of keras-hub's
`SafetensorLoader`, so keras-hub's own `convert_weights` functions run on it.
"""

import contextlib
import json
import os
import struct

import numpy as np

from kerasft.errors import CheckpointError

CONFIG_FILE = "config.json"
SAFETENSORS_FILE = "model.safetensors"
SAFETENSORS_INDEX_FILE = "model.safetensors.index.json"


class CheckpointConfig(dict):
    """`config.json` as a dict; a missing key raises `CheckpointError`.

    keras-hub's converters index the config with `config[key]`; through this
    class a missing key names the file and the key instead of a bare
    `KeyError`.
    """

    def __init__(self, values, path):
        super().__init__(values)
        self.path = path

    def __missing__(self, key):
        raise CheckpointError(
            f"{self.path} has no `{key}`, which this architecture needs. "
            f"Received keys: {sorted(self)}. Restore config.json from the "
            "original checkpoint."
        )


def read_config(directory):
    """Reads `directory/config.json` into a `CheckpointConfig`."""
    path = os.path.join(directory, CONFIG_FILE)
    try:
        with open(path, encoding="utf-8") as f:
            values = json.load(f)
    except (OSError, ValueError) as e:
        raise CheckpointError(
            f"Could not read the checkpoint config {path}: {e}. Restore the "
            "file from the original checkpoint."
        ) from e
    return CheckpointConfig(values, path)


def _weight_files(directory):
    """Maps each tensor name to the safetensors file that holds it."""
    index_path = os.path.join(directory, SAFETENSORS_INDEX_FILE)
    if os.path.isfile(index_path):
        try:
            with open(index_path, encoding="utf-8") as f:
                weight_map = json.load(f)["weight_map"]
        except (OSError, ValueError, KeyError) as e:
            raise CheckpointError(
                f"Could not read the shard index {index_path}: {e}. Restore "
                "it from the original checkpoint."
            ) from e
        return {k: os.path.join(directory, v) for k, v in weight_map.items()}
    files = sorted(f for f in os.listdir(directory) if f.endswith(".safetensors"))
    if SAFETENSORS_FILE in files:
        files = [SAFETENSORS_FILE]
    if len(files) != 1:
        received = sorted(os.listdir(directory))
        hint = (
            " Only PyTorch `.bin` weights are there: re-save them as "
            "safetensors with `model.save_pretrained(directory)` "
            "(transformers, safe_serialization defaults to True)."
            if any(f.endswith(".bin") for f in received)
            else ""
        )
        raise CheckpointError(
            f"Expected one `{SAFETENSORS_FILE}` (or sharded files with "
            f"`{SAFETENSORS_INDEX_FILE}`) in {directory}. Received files: "
            f"{received}.{hint}"
        )
    path = os.path.join(directory, files[0])
    return {key: path for key in _header(path)}


def _header(path):
    """The safetensors JSON header: tensor name -> dtype, shape, offsets."""
    try:
        with open(path, "rb") as f:
            (length,) = struct.unpack("<Q", f.read(8))
            if length > os.path.getsize(path) - 8:
                raise ValueError(f"header length {length} exceeds the file size")
            header = json.loads(f.read(length))
        if not isinstance(header, dict):
            raise ValueError("the header is not a JSON object")
    except (OSError, ValueError, struct.error) as e:
        raise CheckpointError(
            f"Could not read the safetensors file {path}: {e}. The file is "
            "truncated or not safetensors; restore it from the original "
            "checkpoint."
        ) from e
    header.pop("__metadata__", None)
    return header


def read_headers(directory):
    """Tensor name -> {dtype, shape, data_offsets} over every safetensors
    file of a checkpoint, from the headers only (no tensor data is read)."""
    paths = sorted(set(_weight_files(directory).values()))
    headers = {}
    for path in paths:
        headers.update(_header(path))
    return headers


def _read_bfloat16(path, name):
    """numpy has no bfloat16: widen the raw bits to float32."""
    info = _header(path)[name]
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        start, end = info["data_offsets"]
        f.seek(8 + length + start)
        raw = np.frombuffer(f.read(end - start), dtype="<u2")
    return (raw.astype("<u4") << 16).view("<f4").reshape(info["shape"])


class SafetensorsReader(contextlib.ExitStack):
    """Tensors of a Hugging Face checkpoint directory, found with or
    without the task model's name prefix.

    Args:
        directory: str. Holds `model.safetensors` (or shards with
            `model.safetensors.index.json`).
        prefixes: tuple of str. The name prefixes task models put before
            the base model's tensor names, for example `("roberta.",)`.
            `get_tensor("roberta.x")` and `get_tensor("x")` both find `x` or
            `roberta.x`, whichever the file holds.
        optional: tuple of str. Name starts (after the prefix) of tensors
            some saves leave out, such as `"pooler."` in `*ForMaskedLM`
            saves. `port_weight` skips them when absent, keeps the
            variable's initial value and lists them in `skipped`, as
            transformers does when it builds a head-less model's pooler.

    Example:

    ```python
    with SafetensorsReader(directory, prefixes=("roberta.",)) as reader:
        reader.port_weight(variable, "embeddings.word_embeddings.weight")
    ```
    """

    def __init__(self, directory, prefixes=(), optional=()):
        super().__init__()
        self.directory = directory
        self.prefixes = tuple(prefixes)
        self.optional = tuple(optional)
        self.skipped = []
        self._files = _weight_files(directory)
        self._handles = {}

    def keys(self):
        return self._files.keys()

    def _describe(self):
        names = sorted({os.path.basename(p) for p in self._files.values()})
        return os.path.join(self.directory, names[0] if len(names) == 1 else "*.safetensors")

    def _bare(self, key):
        for prefix in self.prefixes:
            if key.startswith(prefix):
                return key[len(prefix):]
        return key

    def resolve(self, key):
        """The name under which the file stores `key` (or None)."""
        bare = self._bare(key)
        for candidate in (key, bare) + tuple(p + bare for p in self.prefixes):
            if candidate in self._files:
                return candidate
        return None

    def has(self, key):
        return self.resolve(key) is not None

    def get_tensor(self, key):
        """The tensor `key` as a numpy array.

        Raises:
            CheckpointError: the file holds no such tensor.
        """
        name = self.resolve(key)
        if name is None:
            raise CheckpointError(
                f"{self._describe()} has no tensor `{key}` (also looked for it "
                f"with and without the prefixes {list(self.prefixes)}). The "
                "weights do not match config.json, or the checkpoint is of "
                "another architecture; restore the original files."
            )
        path = self._files[name]
        if path not in self._handles:
            import safetensors

            self._handles[path] = self.enter_context(
                safetensors.safe_open(path, framework="np")
            )
        try:
            return self._handles[path].get_tensor(name)
        except TypeError:  # bfloat16, which numpy lacks
            return _read_bfloat16(path, name)

    def port_weight(self, keras_variable, hf_weight_key, hook_fn=None):
        """Assigns the tensor `hf_weight_key` (through `hook_fn(tensor,
        shape)` when given) to `keras_variable`."""
        if self.optional and not self.has(hf_weight_key):
            if self._bare(hf_weight_key).startswith(self.optional):
                self.skipped.append(hf_weight_key)
                return
        tensor = self.get_tensor(hf_weight_key)
        shape = list(keras_variable.shape)
        if hook_fn is not None:
            tensor = hook_fn(tensor, shape)
        if list(np.shape(tensor)) != shape:
            raise CheckpointError(
                f"Tensor `{hf_weight_key}` in {self._describe()} has shape "
                f"{list(np.shape(tensor))} but the backbone variable "
                f"`{keras_variable.path}` has shape {shape}. Config overrides "
                "may only change `num_layers`, `dropout` and `dtype`-like "
                "options, not sizes the weights fix."
            )
        keras_variable.assign(tensor)
