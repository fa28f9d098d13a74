"""ALBERT: base-model and `albert.`-prefixed (pooler-less) saves load."""

import hf_fixtures as hf
import pytest

LAYOUTS = ("AlbertModel", "AlbertForMaskedLM")


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory):
    import transformers

    directory = tmp_path_factory.mktemp("albert_tokenizer")
    hf.write_sentencepiece(
        directory / "spiece.model", pad_id=0, unk_id=1, bos_id=-1, eos_id=-1,
        control_symbols=["[CLS]", "[SEP]", "[MASK]"],
    )
    hf.save_tokenizer(directory, transformers.AlbertTokenizer)
    return directory


@pytest.fixture(scope="module", params=LAYOUTS)
def checkpoint(request, tokenizer_dir, tmp_path_factory):
    import torch
    import transformers

    directory = hf.copy_without(
        tokenizer_dir, tmp_path_factory.mktemp("albert") / request.param
    )
    config = transformers.AlbertConfig(
        vocab_size=len(transformers.AutoTokenizer.from_pretrained(directory)),
        embedding_size=16, hidden_size=32, num_hidden_layers=2,
        num_attention_heads=4, intermediate_size=64, max_position_embeddings=128,
    )
    torch.manual_seed(0)
    model = hf.save_model(getattr(transformers, request.param)(config), directory)
    return directory, model if request.param == "AlbertModel" else model.albert


def test_hidden_states_match(checkpoint):
    assert hf.encoder_difference(*checkpoint) <= hf.TOLERANCE


def test_num_layers_override_loads_first_layers(checkpoint):
    assert hf.encoder_difference(*checkpoint, layer=1, num_layers=1) <= hf.TOLERANCE


@pytest.mark.parametrize("hidden_act", ["gelu", "gelu_new"])  # ALBERT v1, v2
def test_gelu_form_matches_checkpoint_with_large_weights(tokenizer_dir, tmp_path, hidden_act):
    import torch
    import transformers

    directory = hf.copy_without(tokenizer_dir, tmp_path / hidden_act)
    config = transformers.AlbertConfig(
        vocab_size=len(transformers.AutoTokenizer.from_pretrained(directory)),
        embedding_size=16, hidden_size=32, num_hidden_layers=2,
        num_attention_heads=4, intermediate_size=64, max_position_embeddings=128,
        hidden_act=hidden_act,
    )
    torch.manual_seed(0)
    model = hf.save_model(hf.scale_weights(transformers.AlbertModel(config)), directory)
    assert hf.encoder_difference(directory, model) <= hf.TOLERANCE


def test_tokenizer_matches_transformers(tokenizer_dir):
    ours, theirs = hf.tokenizer_ids(tokenizer_dir)
    assert ours == theirs


def test_tokenizer_from_sentencepiece_model_only(tokenizer_dir, tmp_path):
    directory = hf.copy_without(tokenizer_dir, tmp_path / "slow", "tokenizer.json")
    ours, theirs = hf.tokenizer_ids(directory)
    assert ours == theirs
