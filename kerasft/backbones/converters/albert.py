"""ALBERT (`model_type="albert"`): keras-hub's weight mapping on the kerasft
reader, onto kerasft's `AlbertBackbone` (keras-hub's, with the checkpoint's
GELU and LayerNorm epsilon: ALBERT-v2 uses the tanh form, v1 the exact one).

keras-hub's converter looks tensors up as `albert.<name>`
(`AlbertForMaskedLM` saves); base-model saves store `<name>`, and
`*ForMaskedLM` saves have no pooler. The kerasft reader handles both.
"""

from keras_hub.src.utils.transformers import convert_albert as _keras_hub

from kerasft.backbones.converters.conversion import check_activation, layer_norm_epsilon
from kerasft.backbones.models.checkpoint_backbones import FROM_TRANSFORMERS, AlbertBackbone

backbone_cls = AlbertBackbone
PREFIXES = ("albert.",)
OPTIONAL = ("pooler.",)
convert_weights = _keras_hub.convert_weights


def convert_backbone_config(config):
    activation = check_activation(
        config, "hidden_act", supported=tuple(FROM_TRANSFORMERS), default="gelu_new"
    )
    return {
        **_keras_hub.convert_backbone_config(config),
        "activation": FROM_TRANSFORMERS[activation],
        "layer_norm_epsilon": layer_norm_epsilon(config, "layer_norm_eps", 1e-12),
    }
