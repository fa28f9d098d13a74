"""BERT: keras-hub's converter through the kerasft reader, base and
`bert.`-prefixed (pooler-less `BertForMaskedLM`) saves."""

import hf_fixtures as hf
import numpy as np
import pytest

LAYOUTS = ("BertModel", "BertForMaskedLM")


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory):
    import transformers

    directory = tmp_path_factory.mktemp("bert_tokenizer")
    hf.write_wordpiece_vocab(directory)
    hf.save_tokenizer(directory, transformers.BertTokenizer)
    return directory


@pytest.fixture(scope="module", params=LAYOUTS)
def checkpoint(request, tokenizer_dir, tmp_path_factory):
    import torch
    import transformers

    directory = hf.copy_without(
        tokenizer_dir, tmp_path_factory.mktemp("bert") / request.param
    )
    config = transformers.BertConfig(
        vocab_size=len(transformers.AutoTokenizer.from_pretrained(directory)),
        hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=64, max_position_embeddings=128,
    )
    torch.manual_seed(0)
    model = hf.save_model(getattr(transformers, request.param)(config), directory)
    return directory, model if request.param == "BertModel" else model.bert


def test_hidden_states_match(checkpoint):
    assert hf.encoder_difference(*checkpoint) <= hf.TOLERANCE


def test_num_layers_override_loads_first_layers(checkpoint):
    assert hf.encoder_difference(*checkpoint, layer=1, num_layers=1) <= hf.TOLERANCE


@pytest.mark.parametrize("hidden_act", ["gelu", "gelu_new"])
def test_gelu_form_matches_checkpoint_with_large_weights(tokenizer_dir, tmp_path, hidden_act):
    import torch
    import transformers

    directory = hf.copy_without(tokenizer_dir, tmp_path / hidden_act)
    config = transformers.BertConfig(
        vocab_size=len(transformers.AutoTokenizer.from_pretrained(directory)),
        hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=64, max_position_embeddings=128, hidden_act=hidden_act,
    )
    torch.manual_seed(0)
    model = hf.save_model(hf.scale_weights(transformers.BertModel(config)), directory)
    assert hf.encoder_difference(directory, model) <= hf.TOLERANCE


def test_segment_ids_match(checkpoint):
    import kerasft

    directory, model = checkpoint
    backbone, _ = kerasft.from_pretrained(directory)
    inputs = hf.padded_inputs(directory)
    inputs["segment_ids"] = (np.arange(inputs["token_ids"].shape[1]) >= 4).astype("int32")[
        None
    ].repeat(len(inputs["token_ids"]), 0) * inputs["padding_mask"]
    expected = hf.torch_outputs(
        model, input_ids=inputs["token_ids"], attention_mask=inputs["padding_mask"],
        token_type_ids=inputs["segment_ids"],
    ).last_hidden_state
    got = backbone(inputs)
    assert hf.max_difference(got, expected, inputs["padding_mask"]) <= hf.TOLERANCE


def test_masked_lm_save_warns_about_missing_pooler(tokenizer_dir, tmp_path):
    import torch
    import transformers

    import kerasft

    directory = hf.copy_without(tokenizer_dir, tmp_path / "mlm")
    config = transformers.BertConfig(
        vocab_size=len(transformers.AutoTokenizer.from_pretrained(directory)),
        hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=64,
    )
    torch.manual_seed(0)
    hf.save_model(transformers.BertForMaskedLM(config), directory)
    with pytest.warns(UserWarning, match="pooler.dense.weight"):
        kerasft.from_pretrained(directory)


def test_tokenizer_matches_transformers(tokenizer_dir):
    ours, theirs = hf.tokenizer_ids(tokenizer_dir)
    assert ours == theirs


def test_tokenizer_from_vocab_txt_only(tokenizer_dir, tmp_path):
    directory = hf.copy_without(tokenizer_dir, tmp_path / "slow", "tokenizer.json")
    ours, theirs = hf.tokenizer_ids(directory)
    assert ours == theirs


def test_keras_hub_preset_round_trip_keeps_class_and_outputs(checkpoint, tmp_path):
    import keras_hub

    import kerasft

    directory, _ = checkpoint
    backbone, _ = kerasft.from_pretrained(directory)
    backbone.save_to_preset(str(tmp_path / "preset"))
    again = keras_hub.models.Backbone.from_preset(str(tmp_path / "preset"))
    assert type(again) is type(backbone) and again.activation == "gelu"
    inputs = hf.padded_inputs(directory)
    np.testing.assert_allclose(
        again(inputs)["sequence_output"], backbone(inputs)["sequence_output"], atol=1e-6
    )
