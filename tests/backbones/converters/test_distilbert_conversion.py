"""DistilBERT: base-model and `distilbert.`-prefixed saves load."""

import hf_fixtures as hf
import pytest

LAYOUTS = ("DistilBertModel", "DistilBertForSequenceClassification")


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory):
    import transformers

    directory = tmp_path_factory.mktemp("distilbert_tokenizer")
    hf.write_wordpiece_vocab(directory)
    hf.save_tokenizer(directory, transformers.DistilBertTokenizer)
    return directory


@pytest.fixture(scope="module", params=LAYOUTS)
def checkpoint(request, tokenizer_dir, tmp_path_factory):
    import torch
    import transformers

    directory = hf.copy_without(
        tokenizer_dir, tmp_path_factory.mktemp("distilbert") / request.param
    )
    config = transformers.DistilBertConfig(
        vocab_size=len(transformers.AutoTokenizer.from_pretrained(directory)),
        dim=32, n_layers=2, n_heads=4, hidden_dim=64, max_position_embeddings=128,
    )
    torch.manual_seed(0)
    model = hf.save_model(getattr(transformers, request.param)(config), directory)
    return directory, model if request.param == "DistilBertModel" else model.distilbert


def test_hidden_states_match(checkpoint):
    assert hf.encoder_difference(*checkpoint) <= hf.TOLERANCE


def test_num_layers_override_loads_first_layers(checkpoint):
    assert hf.encoder_difference(*checkpoint, layer=1, num_layers=1) <= hf.TOLERANCE


def test_tokenizer_matches_transformers(tokenizer_dir):
    ours, theirs = hf.tokenizer_ids(tokenizer_dir)
    assert ours == theirs


def test_tokenizer_from_vocab_txt_only(tokenizer_dir, tmp_path):
    directory = hf.copy_without(tokenizer_dir, tmp_path / "slow", "tokenizer.json")
    ours, theirs = hf.tokenizer_ids(directory)
    assert ours == theirs
