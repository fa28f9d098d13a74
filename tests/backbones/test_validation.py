"""`validate_checkpoint`: hostile or broken configs fail fast, before any
tensor is allocated, naming the file and the key."""

import time

import fixtures_hf as hf
import pytest

import kerasft
from kerasft.backbones import validate_checkpoint
from kerasft.errors import CheckpointError


@pytest.fixture(scope="module")
def bert_dir(tmp_path_factory):
    return hf.write_checkpoint("bert", tmp_path_factory.mktemp("bert") / "base")[0]


def test_a_real_checkpoint_passes(bert_dir):
    validate_checkpoint(bert_dir)


@pytest.mark.parametrize("values, match", [
    ({"hidden_size": 1_000_000_000}, r"shape \[vocab_size, hidden size\].*hidden size=1000000000"),
    ({"num_attention_heads": 5}, r"must divide `hidden_size`.*num_attention_heads=5"),
    ({"num_hidden_layers": 0}, r"`num_hidden_layers` must be an integer >= 1.*=0"),
    ({"intermediate_size": -64}, r"Received: intermediate_size=-64"),
    ({"hidden_size": "32"}, r"Received: hidden_size='32'"),
    ({"num_hidden_layers": True}, r"Received: num_hidden_layers=True"),
    ({"vocab_size": 401}, r"vocab_size=401.*tensor shape=\[\d+, 32\]"),
    ({"num_hidden_layers": 100_000}, r"larger than its weights.*num_hidden_layers=100000"),
    ({"intermediate_size": 10_000_000}, r"larger than its weights.*intermediate_size=10000000"),
])
def test_hostile_config_fails_fast(bert_dir, tmp_path, values, match):
    directory = hf.edit_config(bert_dir, tmp_path / "hostile", **values)
    start = time.perf_counter()
    with pytest.raises(CheckpointError, match=match) as raised:
        validate_checkpoint(directory)
    assert time.perf_counter() - start < 1.0
    assert "config.json" in str(raised.value)
    with pytest.raises(CheckpointError, match=match):  # the loader checks first
        kerasft.from_pretrained(directory)


def test_missing_config_raises(tmp_path):
    with pytest.raises(CheckpointError, match="No config.json in"):
        validate_checkpoint(tmp_path)


def test_keras_hub_preset_passes_unchecked(tmp_path):
    (tmp_path / "config.json").write_text('{"registered_name": "keras_hub>BertBackbone"}')
    validate_checkpoint(tmp_path)
