"""GPT-2: keras-hub's converter through the kerasft reader, `GPT2Model`
saves and `transformer.`-prefixed `GPT2LMHeadModel` saves (with `n_inner`)."""

import hf_fixtures as hf
import pytest

LAYOUTS = (("GPT2Model", None), ("GPT2LMHeadModel", 48))


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory):
    import transformers

    directory = tmp_path_factory.mktemp("gpt2_tokenizer")
    hf.write_byte_level_bpe(directory, special_tokens=["<|endoftext|>"])
    hf.save_tokenizer(directory, transformers.GPT2Tokenizer)
    return directory


@pytest.fixture(scope="module", params=LAYOUTS, ids=[name for name, _ in LAYOUTS])
def checkpoint(request, tokenizer_dir, tmp_path_factory):
    import torch
    import transformers

    name, n_inner = request.param
    directory = hf.copy_without(tokenizer_dir, tmp_path_factory.mktemp("gpt2") / name)
    config = transformers.GPT2Config(
        vocab_size=len(transformers.AutoTokenizer.from_pretrained(directory)),
        n_embd=32, n_layer=2, n_head=4, n_positions=128, n_inner=n_inner,
    )
    torch.manual_seed(0)
    model = hf.save_model(getattr(transformers, name)(config), directory)
    return directory, model if name == "GPT2Model" else model.transformer


def test_hidden_states_match(checkpoint):
    assert hf.encoder_difference(*checkpoint) <= hf.TOLERANCE


def test_num_layers_override_loads_first_layers(checkpoint):
    import transformers

    directory, _ = checkpoint
    # GPT-2 applies its final LayerNorm after the last kept layer.
    truncated = transformers.GPT2Model.from_pretrained(directory, n_layer=1).eval()
    assert hf.encoder_difference(directory, truncated, num_layers=1) <= hf.TOLERANCE


def test_tokenizer_matches_transformers(tokenizer_dir):
    ours, theirs = hf.tokenizer_ids(tokenizer_dir)
    assert ours == theirs


def test_tokenizer_from_vocab_and_merges_only(tokenizer_dir, tmp_path):
    directory = hf.copy_without(tokenizer_dir, tmp_path / "slow", "tokenizer.json")
    ours, theirs = hf.tokenizer_ids(directory)
    assert ours == theirs
