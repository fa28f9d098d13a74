"""XLNet-specific checks (the shared ones are in `test_encoder_conversion.py`):
left padding, segment ids, and a config round trip of kerasft's batch-safe
`XLNetBackbone`."""

import fixtures_hf as hf
import numpy as np
import pytest


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return hf.write_checkpoint("xlnet", tmp_path_factory.mktemp("xlnet") / "XLNetModel")


def test_tokenizer_pads_on_the_left(checkpoint):
    from kerasft.tokenizers import Tokenizer

    assert Tokenizer.from_directory(checkpoint[0]).padding_side == "left"


def test_hidden_states_match_with_segments(checkpoint):
    length = hf.padded_inputs(checkpoint[0])["token_ids"].shape[1]
    assert hf.segment_difference(*checkpoint, np.arange(length) >= 10) <= hf.TOLERANCE


def test_backbone_round_trips_through_config(checkpoint):
    import keras

    import kerasft

    directory, _ = checkpoint
    backbone, _ = kerasft.from_pretrained(directory, num_layers=1)
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(backbone))
    assert type(clone) is type(backbone) and clone.layer_norm_epsilon == 1e-12
    clone.set_weights(backbone.get_weights())
    inputs = hf.padded_inputs(directory)
    np.testing.assert_allclose(clone(inputs), backbone(inputs), atol=1e-6)


def test_unidirectional_attention_raises(checkpoint, tmp_path):
    import kerasft
    from kerasft.errors import CheckpointError

    directory = hf.edit_config(checkpoint[0], tmp_path / "uni", attn_type="uni")
    with pytest.raises(CheckpointError, match="Received: {'attn_type': 'uni'}"):
        kerasft.from_pretrained(directory)
