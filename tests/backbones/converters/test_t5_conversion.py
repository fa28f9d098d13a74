"""T5: kerasft's converter onto keras-hub's `T5Backbone`, v1.0 style
(`T5Model`, ReLU, tied) and v1.1 style (`T5ForConditionalGeneration`,
gated GELU, separate `lm_head`). keras-hub's T5 builds slowly (~2-5 s), so
each checkpoint is loaded once and the layer-truncation check is `slow`."""

import json
import shutil

import fixtures_hf as hf
import numpy as np
import pytest

pytestmark = pytest.mark.filterwarnings("ignore:Layer '.*attention' \\(of type T5MultiHeadAttention\\)")

from kerasft.errors import CheckpointError

LAYOUTS = {
    "T5Model": dict(feed_forward_proj="relu", tie_word_embeddings=True),
    "T5ForConditionalGeneration": dict(
        feed_forward_proj="gated-gelu", tie_word_embeddings=False
    ),
}


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory):
    import transformers

    directory = tmp_path_factory.mktemp("t5_tokenizer")
    hf.write_sentencepiece(
        directory / "spiece.model", pad_id=0, eos_id=1, unk_id=2, bos_id=-1
    )
    hf.save_tokenizer(directory, transformers.T5Tokenizer)
    return directory


@pytest.fixture(scope="module", params=sorted(LAYOUTS))
def checkpoint(request, tokenizer_dir, tmp_path_factory):
    import torch
    import transformers

    directory = hf.copy_without(tokenizer_dir, tmp_path_factory.mktemp("t5") / request.param)
    config = transformers.T5Config(
        vocab_size=len(transformers.AutoTokenizer.from_pretrained(directory)),
        d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4,
        **LAYOUTS[request.param],
    )
    torch.manual_seed(0)
    model = hf.save_model(getattr(transformers, request.param)(config), directory)
    if request.param != "T5Model":
        model = transformers.T5Model.from_pretrained(directory).eval()
    return directory, model


@pytest.fixture(scope="module")
def backbone(checkpoint):
    import kerasft

    return kerasft.from_pretrained(checkpoint[0])[0]


def test_encoder_and_decoder_states_match(checkpoint, backbone):
    encoder, decoder = hf.seq2seq_difference(*checkpoint, backbone=backbone)
    assert encoder <= hf.TOLERANCE and decoder <= hf.TOLERANCE


def test_untied_lm_head_is_loaded(checkpoint, backbone):
    from safetensors.numpy import load_file

    tensors = load_file(f"{checkpoint[0]}/model.safetensors")
    embedding = backbone.token_embedding
    assert embedding.tie_weights == ("lm_head.weight" not in tensors)
    if not embedding.tie_weights:
        np.testing.assert_array_equal(
            np.asarray(embedding.reverse_embeddings), tensors["lm_head.weight"].T
        )


@pytest.mark.slow
def test_num_layers_override_loads_first_layers(checkpoint):
    import transformers

    directory, _ = checkpoint
    truncated = transformers.T5Model.from_pretrained(
        directory, num_layers=1, num_decoder_layers=1
    ).eval()
    encoder, decoder = hf.seq2seq_difference(directory, truncated, num_layers=1)
    assert encoder <= hf.TOLERANCE and decoder <= hf.TOLERANCE


def test_other_t5_variants_raise(checkpoint, tmp_path):
    import kerasft

    directory = shutil.copytree(checkpoint[0], tmp_path / "variant")
    config = json.loads((directory / "config.json").read_text())
    config["relative_attention_num_buckets"] = 64
    (directory / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="relative_attention_num_buckets"):
        kerasft.from_pretrained(directory)


def test_tokenizer_matches_transformers(tokenizer_dir):
    ours, theirs = hf.tokenizer_ids(tokenizer_dir)
    assert ours == theirs


def test_tokenizer_from_sentencepiece_model_only(tokenizer_dir, tmp_path):
    directory = hf.copy_without(tokenizer_dir, tmp_path / "slow", "tokenizer.json")
    ours, theirs = hf.tokenizer_ids(directory)
    assert ours == theirs


def test_encoder_only_save_feeds_a_text_classifier(tmp_path):
    import kerasft
    from kerasft.backbones import T5EncoderBackbone

    directory, model = hf.write_checkpoint("t5", tmp_path / "encoder")
    assert hf.encoder_difference(directory, model) <= hf.TOLERANCE
    classifier = kerasft.TextClassifier.from_pretrained(
        directory, labels=["neg", "pos"], sequence_length=16)
    assert isinstance(classifier.backbone, T5EncoderBackbone)
    probabilities = np.asarray(classifier.predict(["a good film", "bad"]))
    assert probabilities.shape == (2, 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
