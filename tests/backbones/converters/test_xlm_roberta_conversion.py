"""XLM-RoBERTa: keras-hub's converter through the kerasft reader, base and
`roberta.`-prefixed saves."""

import hf_fixtures as hf
import pytest

LAYOUTS = ("XLMRobertaModel", "XLMRobertaForMaskedLM")


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory):
    import transformers

    directory = tmp_path_factory.mktemp("xlm_roberta_tokenizer")
    hf.write_sentencepiece(
        directory / "sentencepiece.bpe.model", model_type="bpe", bos_id=0,
        pad_id=1, eos_id=2, unk_id=3,
    )
    hf.save_tokenizer(directory, transformers.XLMRobertaTokenizer)
    return directory


@pytest.fixture(scope="module", params=LAYOUTS)
def checkpoint(request, tokenizer_dir, tmp_path_factory):
    import torch
    import transformers

    directory = hf.copy_without(
        tokenizer_dir, tmp_path_factory.mktemp("xlm_roberta") / request.param
    )
    config = transformers.XLMRobertaConfig(
        vocab_size=len(transformers.AutoTokenizer.from_pretrained(directory)),
        hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=64, max_position_embeddings=130,
        layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0, eos_token_id=2,
    )
    torch.manual_seed(0)
    model = hf.save_model(getattr(transformers, request.param)(config), directory)
    return directory, model if request.param == "XLMRobertaModel" else model.roberta


def test_hidden_states_match(checkpoint):
    assert hf.encoder_difference(*checkpoint) <= hf.TOLERANCE


def test_num_layers_override_loads_first_layers(checkpoint):
    assert hf.encoder_difference(*checkpoint, layer=1, num_layers=1) <= hf.TOLERANCE


def test_tokenizer_matches_transformers(tokenizer_dir):
    ours, theirs = hf.tokenizer_ids(tokenizer_dir)
    assert ours == theirs


def test_tokenizer_from_sentencepiece_model_only(tokenizer_dir, tmp_path):
    directory = hf.copy_without(tokenizer_dir, tmp_path / "slow", "tokenizer.json")
    ours, theirs = hf.tokenizer_ids(directory)
    assert ours == theirs
