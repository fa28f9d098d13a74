"""Pooling layers and the per-architecture pooling default, on hand-made
tensors and backbone classes (no model is built)."""

import keras
import keras_hub
import numpy as np
import pytest

from kerasft.backbones import XLNetBackbone
from kerasft.errors import ConfigError
from kerasft.layers.pooling import (
    LastTokenPooling,
    MaskedMeanPooling,
    resolve_pooling,
    summarizes_last_token,
)

# [batch=4, length=5, hidden=2]: token t of row b is (10 * b + t, -t).
SEQUENCE = np.stack(
    [np.stack([np.arange(5) + 10 * b, -np.arange(5)], -1) for b in range(4)]
).astype("float32")
MASKS = np.array([
    [1, 1, 1, 0, 0],  # right padding (GPT-2): last real token is 2
    [0, 0, 1, 1, 1],  # left padding (XLNet): last position
    [1, 1, 1, 1, 1],  # no padding
    [0, 1, 1, 1, 0],  # both sides
], dtype="int32")


def test_last_token_pooling_right_and_left_padding():
    pooled = np.asarray(LastTokenPooling()(SEQUENCE, MASKS))
    expected = SEQUENCE[np.arange(4), [2, 4, 4, 3]]
    np.testing.assert_array_equal(pooled, expected)


def test_last_token_pooling_ignores_what_padding_holds():
    noisy = SEQUENCE.copy()
    noisy[MASKS == 0] = 1e6
    np.testing.assert_array_equal(np.asarray(LastTokenPooling()(noisy, MASKS)),
                                  np.asarray(LastTokenPooling()(SEQUENCE, MASKS)))


def test_last_token_pooling_in_a_graph_with_unknown_length():
    sequence = keras.Input((None, 2))
    mask = keras.Input((None,), dtype="int32")
    model = keras.Model([sequence, mask], LastTokenPooling()(sequence, mask))
    for length in (3, 5):
        got = model.predict([SEQUENCE[:2, -length:], MASKS[:2, -length:]], verbose=0)
        last = [int(np.flatnonzero(row)[-1]) for row in MASKS[:2, -length:]]
        np.testing.assert_array_equal(got, SEQUENCE[:2, -length:][np.arange(2), last])


def test_masked_mean_pooling_averages_real_tokens_only():
    pooled = np.asarray(MaskedMeanPooling()(SEQUENCE, MASKS))
    for row, mask in enumerate(MASKS):
        np.testing.assert_allclose(pooled[row], SEQUENCE[row][mask == 1].mean(0), rtol=1e-6)


@pytest.mark.parametrize("backbone_cls, expected", [
    (XLNetBackbone, "last"),                      # kerasft's batch-safe XLNet
    (keras_hub.models.XLNetBackbone, "last"),
    (keras_hub.models.GPT2Backbone, "last"),
    (keras_hub.models.LlamaBackbone, "last"),     # any keras-hub decoder
    (keras_hub.models.BertBackbone, "mean"),
    (keras_hub.models.RobertaBackbone, "mean"),
    (keras_hub.models.DebertaV3Backbone, "mean"),
    (keras_hub.models.BartBackbone, "mean"),      # encoder-decoders are no decoders
    (keras_hub.models.T5Backbone, "mean"),
])
def test_auto_pooling_follows_the_architecture(backbone_cls, expected):
    assert resolve_pooling(backbone_cls, "auto") == expected
    assert summarizes_last_token(backbone_cls) == (expected == "last")


def test_subclasses_inherit_their_architecture_default():
    class MyGPT2(keras_hub.models.GPT2Backbone):
        pass

    assert resolve_pooling(MyGPT2) == "last"


@pytest.mark.parametrize("pooling", ["mean", "last", "pooled", "cls"])
def test_explicit_pooling_is_kept(pooling):
    assert resolve_pooling(keras_hub.models.BertBackbone, pooling) == pooling
    if pooling != "cls":
        assert resolve_pooling(keras_hub.models.GPT2Backbone, pooling) == pooling


@pytest.mark.parametrize("backbone_cls", [XLNetBackbone, keras_hub.models.GPT2Backbone])
def test_cls_pooling_on_last_token_backbones_raises(backbone_cls):
    with pytest.raises(ConfigError, match=f"on {backbone_cls.__name__} is padding.*"
                                          "Received: pooling='cls'"):
        resolve_pooling(backbone_cls, "cls")


def test_unknown_pooling_raises():
    with pytest.raises(ConfigError, match=r"must be one of .*Received: pooling='max'"):
        resolve_pooling(keras_hub.models.BertBackbone, "max")
