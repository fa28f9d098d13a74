"""XLNet: kerasft's converter onto its batch-safe `XLNetBackbone`."""

import hf_fixtures as hf
import numpy as np
import pytest

LAYOUTS = ("XLNetModel", "XLNetForSequenceClassification")


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory):
    import transformers

    directory = tmp_path_factory.mktemp("xlnet_tokenizer")
    hf.write_sentencepiece(
        directory / "spiece.model", unk_id=0, bos_id=1, eos_id=2, pad_id=5,
        control_symbols=["<cls>", "<sep>"], user_defined_symbols=["<mask>", "<eod>"],
    )
    hf.save_tokenizer(directory, transformers.XLNetTokenizer)
    return directory


@pytest.fixture(scope="module", params=LAYOUTS)
def checkpoint(request, tokenizer_dir, tmp_path_factory):
    import torch
    import transformers

    directory = hf.copy_without(
        tokenizer_dir, tmp_path_factory.mktemp("xlnet") / request.param
    )
    config = transformers.XLNetConfig(
        vocab_size=len(transformers.AutoTokenizer.from_pretrained(directory)),
        d_model=32, n_layer=2, n_head=4, d_inner=64, pad_token_id=5,
    )
    torch.manual_seed(0)
    model = hf.save_model(getattr(transformers, request.param)(config), directory)
    return directory, model if request.param == "XLNetModel" else model.transformer


def test_hidden_states_match_left_padded_batch(checkpoint):
    from kerasft.tokenizers import Tokenizer

    assert Tokenizer.from_directory(checkpoint[0]).padding_side == "left"
    assert hf.encoder_difference(*checkpoint) <= hf.TOLERANCE


def test_hidden_states_match_with_segments(checkpoint):
    import kerasft

    directory, model = checkpoint
    backbone, _ = kerasft.from_pretrained(directory)
    inputs = hf.padded_inputs(directory)
    inputs["segment_ids"] = np.where(np.arange(inputs["token_ids"].shape[1]) >= 10, 1, 0)[
        None
    ].repeat(len(inputs["token_ids"]), 0).astype("int32")
    expected = hf.torch_outputs(
        model, input_ids=inputs["token_ids"], attention_mask=inputs["padding_mask"],
        token_type_ids=inputs["segment_ids"],
    ).last_hidden_state
    got = backbone(inputs)
    assert hf.max_difference(got, expected, inputs["padding_mask"]) <= hf.TOLERANCE


def test_num_layers_override_loads_first_layers(checkpoint):
    assert hf.encoder_difference(*checkpoint, layer=1, num_layers=1) <= hf.TOLERANCE


def test_backbone_round_trips_through_config(checkpoint):
    import keras

    import kerasft

    directory, _ = checkpoint
    backbone, _ = kerasft.from_pretrained(directory, num_layers=1)
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(backbone))
    assert type(clone) is type(backbone)
    clone.set_weights(backbone.get_weights())
    inputs = hf.padded_inputs(directory)
    np.testing.assert_allclose(clone(inputs), backbone(inputs), atol=1e-6)


def test_tokenizer_matches_transformers(tokenizer_dir):
    ours, theirs = hf.tokenizer_ids(tokenizer_dir)
    assert ours == theirs


def test_tokenizer_from_sentencepiece_model_only(tokenizer_dir, tmp_path):
    directory = hf.copy_without(tokenizer_dir, tmp_path / "slow", "tokenizer.json")
    ours, theirs = hf.tokenizer_ids(directory)
    assert ours == theirs
