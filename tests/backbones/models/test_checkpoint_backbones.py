"""kerasft's BERT / ELECTRA / ALBERT backbones keep their GELU form through
serialization, and reject unknown ones."""

import keras
import numpy as np
import pytest

from kerasft.backbones.models import (
    AlbertBackbone,
    BertBackbone,
    ElectraBackbone,
)
from kerasft.errors import ConfigError

SIZES = dict(num_layers=1, num_heads=2, hidden_dim=8, intermediate_dim=16,
             max_sequence_length=16)
BUILDERS = {
    "bert": lambda act: BertBackbone(vocabulary_size=20, activation=act, **SIZES),
    "electra": lambda act: ElectraBackbone(vocab_size=20, embedding_dim=8, activation=act,
                                           **SIZES),
    "albert": lambda act: AlbertBackbone(vocabulary_size=20, embedding_dim=4,
                                         activation=act, **SIZES),
}


@pytest.mark.parametrize("architecture", sorted(BUILDERS))
def test_activation_survives_serialization(architecture):
    backbone = BUILDERS[architecture]("gelu")
    clone = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(backbone)
    )
    assert type(clone) is type(backbone) and clone.activation == "gelu"
    clone.set_weights([w * 40 for w in backbone.get_weights()])
    backbone.set_weights(clone.get_weights())
    ids = np.array([[2, 5, 7, 3]], "int32")
    inputs = {"token_ids": ids, "segment_ids": np.zeros_like(ids),
              "padding_mask": np.ones_like(ids)}
    np.testing.assert_allclose(
        clone(inputs)["sequence_output"], backbone(inputs)["sequence_output"], atol=1e-6
    )


def test_default_is_keras_hubs_tanh_gelu():
    backbone = BUILDERS["bert"]("gelu_approximate")
    dense = backbone.transformer_layers[0]._feedforward_intermediate_dense
    x = np.array([1.5], "float32")
    expected = keras.activations.gelu(x, approximate=True)
    np.testing.assert_allclose(dense.activation(x), expected)


def test_unknown_activation_raises():
    with pytest.raises(ConfigError, match="Received: activation='swish'"):
        BUILDERS["bert"]("swish")


@pytest.mark.parametrize("architecture", sorted(BUILDERS))
def test_layer_norm_epsilon_is_set_and_serialized(architecture):
    backbone = BUILDERS[architecture]("gelu")
    assert backbone.layer_norm_epsilon is None  # keras-hub's own
    clone = type(backbone).from_config({**backbone.get_config(), "layer_norm_epsilon": 1e-3})
    norms = [layer for layer in clone._flatten_layers()
             if isinstance(layer, keras.layers.LayerNormalization)]
    assert norms and {norm.epsilon for norm in norms} == {1e-3}
    assert clone.get_config()["layer_norm_epsilon"] == 1e-3


@pytest.mark.parametrize("value", [0, -1.0, "1e-5", True])
def test_invalid_layer_norm_epsilon_raises(value):
    with pytest.raises(ConfigError, match=f"Received: layer_norm_epsilon={value!r}"):
        BertBackbone(vocabulary_size=20, layer_norm_epsilon=value, **SIZES)
