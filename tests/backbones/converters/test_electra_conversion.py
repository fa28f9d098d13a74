"""ELECTRA: base-model and `electra.`-prefixed (discriminator) saves load,
with an embedding size smaller than the hidden size."""

import hf_fixtures as hf
import pytest

LAYOUTS = ("ElectraModel", "ElectraForPreTraining")


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory):
    import transformers

    directory = tmp_path_factory.mktemp("electra_tokenizer")
    hf.write_wordpiece_vocab(directory)
    hf.save_tokenizer(directory, transformers.ElectraTokenizer)
    return directory


@pytest.fixture(scope="module", params=LAYOUTS)
def checkpoint(request, tokenizer_dir, tmp_path_factory):
    import torch
    import transformers

    directory = hf.copy_without(
        tokenizer_dir, tmp_path_factory.mktemp("electra") / request.param
    )
    config = transformers.ElectraConfig(
        vocab_size=len(transformers.AutoTokenizer.from_pretrained(directory)),
        embedding_size=16, hidden_size=32, num_hidden_layers=2,
        num_attention_heads=4, intermediate_size=64, max_position_embeddings=128,
    )
    torch.manual_seed(0)
    model = hf.save_model(getattr(transformers, request.param)(config), directory)
    return directory, model if request.param == "ElectraModel" else model.electra


def test_hidden_states_match(checkpoint):
    with pytest.warns(UserWarning, match="pooler"):
        assert hf.encoder_difference(*checkpoint) <= hf.TOLERANCE


@pytest.mark.filterwarnings("ignore:The checkpoint")
def test_num_layers_override_loads_first_layers(checkpoint):
    assert hf.encoder_difference(*checkpoint, layer=1, num_layers=1) <= hf.TOLERANCE


@pytest.mark.filterwarnings("ignore:The checkpoint")
def test_exact_gelu_with_large_weights(tokenizer_dir, tmp_path):
    import torch
    import transformers

    directory = hf.copy_without(tokenizer_dir, tmp_path / "large")
    config = transformers.ElectraConfig(
        vocab_size=len(transformers.AutoTokenizer.from_pretrained(directory)),
        embedding_size=16, hidden_size=32, num_hidden_layers=2,
        num_attention_heads=4, intermediate_size=64, max_position_embeddings=128,
    )
    torch.manual_seed(0)
    model = hf.save_model(hf.scale_weights(transformers.ElectraModel(config)), directory)
    assert hf.encoder_difference(directory, model) <= hf.TOLERANCE


def test_tokenizer_matches_transformers(tokenizer_dir):
    ours, theirs = hf.tokenizer_ids(tokenizer_dir)
    assert ours == theirs


def test_tokenizer_from_vocab_txt_only(tokenizer_dir, tmp_path):
    directory = hf.copy_without(tokenizer_dir, tmp_path / "slow", "tokenizer.json")
    ours, theirs = hf.tokenizer_ids(directory)
    assert ours == theirs
