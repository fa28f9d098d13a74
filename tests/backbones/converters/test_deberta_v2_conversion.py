"""DeBERTa-v3 (`model_type="deberta-v2"`): kerasft's converter onto
keras-hub's `DebertaV3Backbone`, base and `deberta.`-prefixed saves."""

import json
import shutil

import hf_fixtures as hf
import pytest

from kerasft.errors import CheckpointError

LAYOUTS = ("DebertaV2Model", "DebertaV2ForSequenceClassification")
V3_SETTINGS = dict(
    relative_attention=True, position_buckets=8, norm_rel_ebd="layer_norm",
    share_att_key=True, pos_att_type=["p2c", "c2p"], position_biased_input=False,
    type_vocab_size=0, layer_norm_eps=1e-7, max_relative_positions=-1,
)


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory):
    import transformers

    directory = tmp_path_factory.mktemp("deberta_tokenizer")
    hf.write_sentencepiece(
        directory / "spm.model", pad_id=0, pad_piece="[PAD]", bos_id=1,
        bos_piece="[CLS]", eos_id=2, eos_piece="[SEP]", unk_id=3,
        unk_piece="[UNK]", user_defined_symbols=["[MASK]"],
    )
    hf.save_tokenizer(directory, transformers.DebertaV2Tokenizer)
    return directory


@pytest.fixture(scope="module", params=LAYOUTS)
def checkpoint(request, tokenizer_dir, tmp_path_factory):
    import torch
    import transformers

    directory = hf.copy_without(
        tokenizer_dir, tmp_path_factory.mktemp("deberta") / request.param
    )
    config = transformers.DebertaV2Config(
        vocab_size=len(transformers.AutoTokenizer.from_pretrained(directory)),
        hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=64, max_position_embeddings=64, **V3_SETTINGS,
    )
    torch.manual_seed(0)
    model = hf.save_model(getattr(transformers, request.param)(config), directory)
    return directory, model if request.param == "DebertaV2Model" else model.deberta


def test_hidden_states_match(checkpoint):
    # Longer than `position_buckets`, so the log buckets are exercised.
    assert hf.padded_inputs(checkpoint[0])["token_ids"].shape[1] > 2 * 8
    assert hf.encoder_difference(*checkpoint) <= hf.TOLERANCE


def test_num_layers_override_loads_first_layers(checkpoint):
    assert hf.encoder_difference(*checkpoint, layer=1, num_layers=1) <= hf.TOLERANCE


@pytest.mark.parametrize(
    "setting", [{"conv_kernel_size": 3}, {"position_biased_input": True},
                {"pos_att_type": ["c2p"]}]
)
def test_other_deberta_variants_raise(checkpoint, tmp_path, setting):
    import kerasft

    directory = shutil.copytree(checkpoint[0], tmp_path / "variant")
    with open(directory / "config.json") as f:
        config = json.load(f)
    with open(directory / "config.json", "w") as f:
        json.dump({**config, **setting}, f)
    with pytest.raises(CheckpointError, match=f"Received: .*{next(iter(setting))}"):
        kerasft.from_pretrained(directory)


def test_tokenizer_matches_transformers(tokenizer_dir):
    ours, theirs = hf.tokenizer_ids(tokenizer_dir)
    assert ours == theirs


def test_tokenizer_from_spm_model_only(tokenizer_dir, tmp_path):
    # DeBERTa-v3 checkpoints on the hub ship spm.model and no tokenizer.json.
    directory = hf.copy_without(tokenizer_dir, tmp_path / "slow", "tokenizer.json")
    ours, theirs = hf.tokenizer_ids(directory)
    assert ours == theirs
