"""DeBERTa-specific checks (the shared ones are in
`test_encoder_conversion.py`): inputs longer than the position buckets, and
DeBERTa variants keras-hub's `DebertaV3Backbone` cannot build raise."""

import fixtures_hf as hf
import pytest

from kerasft.errors import CheckpointError


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return hf.write_checkpoint("deberta-v2", tmp_path_factory.mktemp("deberta") / "base")


def test_hidden_states_match_past_the_position_buckets(checkpoint):
    assert hf.padded_inputs(checkpoint[0])["token_ids"].shape[1] > 2 * 8
    assert hf.encoder_difference(*checkpoint) <= hf.TOLERANCE


@pytest.mark.parametrize(
    "setting", [{"conv_kernel_size": 3}, {"position_biased_input": True},
                {"pos_att_type": ["c2p"]}, {"layer_norm_eps": 1e-5}]
)
def test_other_deberta_variants_raise(checkpoint, tmp_path, setting):
    import kerasft

    directory = hf.edit_config(checkpoint[0], tmp_path / "variant", **setting)
    with pytest.raises(CheckpointError, match=f"Received: .*{next(iter(setting))}"):
        kerasft.from_pretrained(directory)
