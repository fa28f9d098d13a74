"""`SafetensorsReader`: names with and without prefixes, shards, bfloat16,
and errors that name the file and the tensor."""

import json

import numpy as np
import pytest

from kerasft.backbones.converters.safetensors_reader import (
    SafetensorsReader,
    read_config,
)
from kerasft.errors import CheckpointError


@pytest.fixture()
def weights(tmp_path):
    from safetensors.numpy import save_file

    save_file(
        {"roberta.embeddings.weight": np.arange(6, dtype="float32").reshape(2, 3),
         "classifier.bias": np.ones(2, "float32")},
        str(tmp_path / "model.safetensors"),
    )
    return tmp_path


@pytest.mark.parametrize("key", ["embeddings.weight", "roberta.embeddings.weight"])
def test_finds_tensor_with_or_without_prefix(weights, key):
    with SafetensorsReader(weights, prefixes=("roberta.",)) as reader:
        np.testing.assert_array_equal(reader.get_tensor(key), np.arange(6).reshape(2, 3))


def test_finds_prefixed_name_in_base_model_save(tmp_path):
    from safetensors.numpy import save_file

    save_file({"embeddings.weight": np.zeros(3, "float32")}, str(tmp_path / "model.safetensors"))
    with SafetensorsReader(tmp_path, prefixes=("roberta.",)) as reader:
        assert reader.resolve("roberta.embeddings.weight") == "embeddings.weight"


def test_missing_tensor_names_file_and_key(weights):
    with SafetensorsReader(weights, prefixes=("roberta.",)) as reader:
        with pytest.raises(CheckpointError, match=r"model\.safetensors has no tensor `pooler\.weight`"):
            reader.get_tensor("pooler.weight")


def test_optional_tensor_is_skipped_and_recorded(weights):
    import keras

    variable = keras.Variable(np.zeros(3, "float32"))
    with SafetensorsReader(weights, prefixes=("roberta.",), optional=("pooler.",)) as reader:
        reader.port_weight(variable, "roberta.pooler.bias")
    assert reader.skipped == ["roberta.pooler.bias"]
    np.testing.assert_array_equal(variable.numpy(), np.zeros(3))


def test_shape_mismatch_names_tensor_and_variable(weights):
    import keras

    variable = keras.Variable(np.zeros((3, 3), "float32"))
    with SafetensorsReader(weights, prefixes=("roberta.",)) as reader:
        with pytest.raises(CheckpointError, match=r"`embeddings\.weight`.*shape \[2, 3\].*\[3, 3\]"):
            reader.port_weight(variable, "embeddings.weight")


def test_reads_sharded_checkpoints(tmp_path):
    from safetensors.numpy import save_file

    save_file({"a": np.ones(2, "float32")}, str(tmp_path / "model-00001-of-00002.safetensors"))
    save_file({"b": np.zeros(2, "float32")}, str(tmp_path / "model-00002-of-00002.safetensors"))
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {
        "a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}))
    with SafetensorsReader(tmp_path) as reader:
        assert reader.get_tensor("a").tolist() == [1, 1]
        assert reader.get_tensor("b").tolist() == [0, 0]


def test_broken_shard_index_raises(tmp_path):
    (tmp_path / "model.safetensors.index.json").write_text("{}")
    with pytest.raises(CheckpointError, match="Could not read the shard index"):
        SafetensorsReader(tmp_path)


def test_reads_bfloat16_as_float32(tmp_path):
    import torch
    from safetensors.torch import save_file

    tensor = torch.randn(3, 4).to(torch.bfloat16)
    save_file({"x": tensor}, str(tmp_path / "model.safetensors"))
    with SafetensorsReader(tmp_path) as reader:
        np.testing.assert_array_equal(reader.get_tensor("x"), tensor.float().numpy())


def test_pytorch_bin_only_says_how_to_convert(tmp_path):
    (tmp_path / "pytorch_model.bin").write_bytes(b"")
    with pytest.raises(CheckpointError, match="Only PyTorch `.bin` weights"):
        SafetensorsReader(tmp_path)


@pytest.mark.parametrize("content", [b"\x01", b"\x00garbage" * 10, b"\x02" + b"\x00" * 7 + b"[]"])
def test_truncated_or_garbage_file_raises(tmp_path, content):
    (tmp_path / "model.safetensors").write_bytes(content)
    with pytest.raises(CheckpointError, match="Could not read the safetensors file"):
        SafetensorsReader(tmp_path)


def test_missing_config_key_names_file_and_key(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert"}))
    config = read_config(tmp_path)
    with pytest.raises(CheckpointError, match=r"config\.json has no `hidden_size`"):
        config["hidden_size"]


def test_unreadable_config_raises(tmp_path):
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="Could not read the checkpoint config"):
        read_config(tmp_path)
