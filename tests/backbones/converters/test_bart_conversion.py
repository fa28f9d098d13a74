"""BART: keras-hub's weight mapping with kerasft's config reading, for
`BartModel` and `model.`-prefixed `BartForConditionalGeneration` saves."""

import json
import shutil

import fixtures_hf as hf
import pytest

from kerasft.errors import CheckpointError

LAYOUTS = ("BartModel", "BartForConditionalGeneration")


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory):
    import transformers

    directory = tmp_path_factory.mktemp("bart_tokenizer")
    hf.write_byte_level_bpe(
        directory, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    )
    hf.save_tokenizer(directory, transformers.BartTokenizer)
    return directory


@pytest.fixture(scope="module", params=LAYOUTS)
def checkpoint(request, tokenizer_dir, tmp_path_factory):
    import torch
    import transformers

    directory = hf.copy_without(tokenizer_dir, tmp_path_factory.mktemp("bart") / request.param)
    config = transformers.BartConfig(
        vocab_size=len(transformers.AutoTokenizer.from_pretrained(directory)),
        d_model=32, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
        decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64,
        max_position_embeddings=128,
    )
    torch.manual_seed(0)
    model = hf.save_model(getattr(transformers, request.param)(config), directory)
    return directory, model if request.param == "BartModel" else model.model


def test_encoder_and_decoder_states_match(checkpoint):
    encoder, decoder = hf.seq2seq_difference(*checkpoint)
    assert encoder <= hf.TOLERANCE and decoder <= hf.TOLERANCE


@pytest.mark.slow
def test_num_layers_override_loads_first_layers(checkpoint):
    import transformers

    directory, _ = checkpoint
    truncated = transformers.BartModel.from_pretrained(
        directory, encoder_layers=1, decoder_layers=1
    ).eval()
    encoder, decoder = hf.seq2seq_difference(directory, truncated, num_layers=1)
    assert encoder <= hf.TOLERANCE and decoder <= hf.TOLERANCE


@pytest.mark.parametrize(
    "setting, match",
    [({"decoder_layers": 3}, "encoder_layers/decoder_layers"),
     ({"scale_embedding": True}, "scale_embedding=True")],
)
def test_unsupported_settings_raise(checkpoint, tmp_path, setting, match):
    import kerasft

    directory = shutil.copytree(checkpoint[0], tmp_path / "variant")
    config = json.loads((directory / "config.json").read_text())
    (directory / "config.json").write_text(json.dumps({**config, **setting}))
    with pytest.raises(CheckpointError, match=match):
        kerasft.from_pretrained(directory)


def test_tokenizer_matches_transformers(tokenizer_dir):
    ours, theirs = hf.tokenizer_ids(tokenizer_dir)
    assert ours == theirs
