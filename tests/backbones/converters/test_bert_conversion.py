"""BERT-specific checks (the shared ones are in `test_encoder_conversion.py`):
segment ids, the warning for pooler-less `BertForMaskedLM` saves, and a
keras-hub preset round trip that keeps kerasft's class and GELU."""

import fixtures_hf as hf
import numpy as np
import pytest


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return hf.write_checkpoint("bert", tmp_path_factory.mktemp("bert") / "BertModel")


def test_segment_ids_match(checkpoint):
    length = hf.padded_inputs(checkpoint[0])["token_ids"].shape[1]
    assert hf.segment_difference(*checkpoint, np.arange(length) >= 4) <= hf.TOLERANCE


def test_masked_lm_save_warns_about_missing_pooler(tmp_path):
    import kerasft

    directory, _ = hf.write_checkpoint("bert", tmp_path / "mlm", layout="BertForMaskedLM")
    with pytest.warns(UserWarning, match="pooler.dense.weight"):
        kerasft.from_pretrained(directory)


def test_keras_hub_preset_round_trip_keeps_class_and_outputs(checkpoint, tmp_path):
    import keras_hub

    import kerasft

    directory, _ = checkpoint
    backbone, _ = kerasft.from_pretrained(directory)
    backbone.save_to_preset(str(tmp_path / "preset"))
    again = keras_hub.models.Backbone.from_preset(str(tmp_path / "preset"))
    assert type(again) is type(backbone) and again.activation == "gelu"
    assert again.layer_norm_epsilon == backbone.layer_norm_epsilon == 1e-12
    inputs = hf.padded_inputs(directory)
    np.testing.assert_allclose(
        again(inputs)["sequence_output"], backbone(inputs)["sequence_output"], atol=1e-6
    )
