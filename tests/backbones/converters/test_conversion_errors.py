"""Failures of `from_pretrained` on Hugging Face directories: each names the
file and the key or value, as `CheckpointError`."""

import json
import shutil

import fixtures_hf as hf
import numpy as np
import pytest

import kerasft
from kerasft.backbones import supported_model_types
from kerasft.errors import CheckpointError

MODEL_TYPES = ["albert", "bart", "bert", "deberta-v2", "distilbert", "electra",
               "gpt2", "roberta", "t5", "xlm-roberta", "xlnet"]


@pytest.fixture(scope="module")
def roberta_dir(tmp_path_factory):
    import torch
    import transformers

    directory = tmp_path_factory.mktemp("roberta_errors")
    hf.write_byte_level_bpe(directory, vocab_size=300,
                            special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    tokenizer = hf.save_tokenizer(directory, transformers.RobertaTokenizer)
    config = transformers.RobertaConfig(
        vocab_size=len(tokenizer), hidden_size=16, num_hidden_layers=1,
        num_attention_heads=2, intermediate_size=32, max_position_embeddings=66,
        layer_norm_eps=1e-5, pad_token_id=1,
    )
    torch.manual_seed(0)
    hf.save_model(transformers.RobertaModel(config), directory)
    return directory


def _variant(source, target, config=None, drop_tensor=None):
    directory = shutil.copytree(source, target)
    if config:
        values = json.loads((directory / "config.json").read_text())
        values.update(config)
        for key, value in config.items():
            if value is None:
                del values[key]
        (directory / "config.json").write_text(json.dumps(values))
    if drop_tensor:
        from safetensors.numpy import load_file, save_file

        tensors = load_file(str(directory / "model.safetensors"))
        del tensors[drop_tensor]
        save_file(tensors, str(directory / "model.safetensors"))
    return directory


def test_every_architecture_is_registered():
    assert set(MODEL_TYPES) <= set(supported_model_types())


def test_unsupported_model_type_lists_supported(roberta_dir, tmp_path):
    directory = _variant(roberta_dir, tmp_path / "v", config={"model_type": "funnel"})
    with pytest.raises(CheckpointError, match="model_type='funnel'.*deberta-v2.*xlnet"):
        kerasft.from_pretrained(directory)


def test_missing_config_key_names_file_and_key(roberta_dir, tmp_path):
    directory = _variant(roberta_dir, tmp_path / "v", config={"num_hidden_layers": None})
    with pytest.raises(CheckpointError, match=r"config\.json has no `num_hidden_layers`"):
        kerasft.from_pretrained(directory)


def test_missing_tensor_names_file_and_key(roberta_dir, tmp_path):
    name = "encoder.layer.0.output.dense.weight"
    directory = _variant(roberta_dir, tmp_path / "v", drop_tensor=name)
    with pytest.raises(CheckpointError, match=rf"model\.safetensors has no tensor `roberta\.{name}`"):
        kerasft.from_pretrained(directory)


def test_unknown_override_lists_valid_options(roberta_dir):
    with pytest.raises(CheckpointError, match=r"Unknown RobertaBackbone option.*\['num_layer'\].*num_layers"):
        kerasft.from_pretrained(roberta_dir, num_layer=1)


def test_size_override_that_weights_fix_raises(roberta_dir):
    with pytest.raises(CheckpointError, match="has shape .* but the backbone variable"):
        kerasft.from_pretrained(roberta_dir, hidden_dim=32)


def test_dropout_override_is_applied(roberta_dir):
    backbone, _ = kerasft.from_pretrained(roberta_dir, dropout=0.3)
    assert backbone.dropout == 0.3


def test_unsupported_activation_raises(roberta_dir, tmp_path):
    directory = _variant(roberta_dir, tmp_path / "v", config={"hidden_act": "relu"})
    with pytest.raises(CheckpointError, match="Received: hidden_act='relu'"):
        kerasft.from_pretrained(directory)


@pytest.mark.parametrize("value", [0, -1e-5, "1e-5", True])
def test_invalid_layer_norm_epsilon_raises(roberta_dir, tmp_path, value):
    directory = _variant(roberta_dir, tmp_path / "v", config={"layer_norm_eps": value})
    with pytest.raises(CheckpointError, match=rf"Received: layer_norm_eps={value!r}"):
        kerasft.from_pretrained(directory)


def test_relative_position_embeddings_raise(roberta_dir, tmp_path):
    directory = _variant(roberta_dir, tmp_path / "v",
                         config={"position_embedding_type": "relative_key"})
    with pytest.raises(CheckpointError, match="Received: {'position_embedding_type': 'relative_key'}"):
        kerasft.from_pretrained(directory)


def test_sharded_save_loads(roberta_dir, tmp_path):
    import transformers

    model = transformers.RobertaModel.from_pretrained(roberta_dir).eval()
    directory = hf.copy_without(roberta_dir, tmp_path / "sharded", "model.safetensors")
    model.save_pretrained(directory, max_shard_size="20KB")
    assert (tmp_path / "sharded" / "model.safetensors.index.json").is_file()
    assert hf.encoder_difference(directory, model) <= hf.TOLERANCE


def test_slow_tokenizer_without_transformers_says_what_to_install(
    roberta_dir, tmp_path, monkeypatch
):
    from kerasft.tokenizers import Tokenizer

    directory = hf.copy_without(roberta_dir, tmp_path / "slow", "tokenizer.json")
    monkeypatch.setitem(__import__("sys").modules, "transformers", None)
    with pytest.raises(ImportError, match="pip install 'transformers>=5' sentencepiece protobuf"):
        Tokenizer.from_directory(directory)


def test_loaded_backbone_feeds_task_heads(roberta_dir):
    backbone, tokenizer = kerasft.from_pretrained(roberta_dir)
    assert {"token_ids", "padding_mask"} <= set(backbone.input)
    ids = tokenizer.encode(["a b"])["token_ids"][0][None]
    out = backbone({"token_ids": ids, "padding_mask": np.ones_like(ids)})
    assert out.shape == (1, ids.shape[1], 16)
