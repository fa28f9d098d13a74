"""GPT-2-specific checks (the shared ones are in `test_encoder_conversion.py`):
`n_inner`, and settings keras-hub's GPT2Backbone fixes are refused."""

import fixtures_hf as hf
import pytest

from kerasft.errors import CheckpointError


def test_n_inner_sizes_the_feed_forward(tmp_path):
    directory, model = hf.write_checkpoint("gpt2", tmp_path / "inner", layout="GPT2LMHeadModel",
                                           n_inner=48)
    assert hf.encoder_difference(directory, model) <= hf.TOLERANCE


@pytest.mark.parametrize("setting", [
    {"layer_norm_epsilon": 1e-6}, {"scale_attn_weights": False},
    {"scale_attn_by_inverse_layer_idx": True},
])
def test_fixed_settings_raise(tmp_path, setting):
    import kerasft

    directory, _ = hf.write_checkpoint("gpt2", tmp_path / "gpt2")
    directory = hf.edit_config(directory, tmp_path / "variant", **setting)
    key = next(iter(setting))
    with pytest.raises(CheckpointError, match=f"Received: .*{key}"):
        kerasft.from_pretrained(directory)
