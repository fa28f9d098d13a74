"""kerasft's `T5EncoderBackbone` (loading it from `T5EncoderModel` saves is
tested in `converters/`)."""

import keras
import numpy as np
import pytest

from kerasft.backbones import T5EncoderBackbone
from kerasft.errors import ConfigError

SIZES = dict(vocabulary_size=20, num_layers=2, num_heads=2, hidden_dim=8, intermediate_dim=16)


def test_round_trips_through_config():
    backbone = T5EncoderBackbone(activation="gelu_approximate", use_gated_activation=True,
                                 dropout=0.0, **SIZES)
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(backbone))
    assert type(clone) is T5EncoderBackbone and clone.activation == "gelu_approximate"
    clone.set_weights(backbone.get_weights())
    inputs = {"token_ids": np.array([[3, 5, 7, 0]], "int32"),
              "padding_mask": np.array([[1, 1, 1, 0]], "int32")}
    np.testing.assert_allclose(clone(inputs)["sequence_output"],
                               backbone(inputs)["sequence_output"], atol=1e-6)
    assert clone(inputs)["sequence_output"].shape == (1, 4, 8)


def test_unknown_activation_raises():
    with pytest.raises(ConfigError, match="Received: activation='tanh'"):
        T5EncoderBackbone(activation="tanh", **SIZES)
