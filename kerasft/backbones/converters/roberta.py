"""RoBERTa (`model_type="roberta"`) with keras-hub's weight layout.

keras-hub's converter looks every tensor up as `roberta.<name>`, the layout
of `RobertaForMaskedLM` saves; base-model saves (`RobertaModel`,
sentence-transformers) store `<name>`. The kerasft reader finds both, so
keras-hub's `convert_weights` is reused.

keras-hub's `RobertaBackbone` has no segment embedding and its converter
drops `token_type_embeddings`: right for the original checkpoints (zeros),
wrong for fine-tuned ones where row 0 was trained. Like keras-hub's
XLM-RoBERTa converter, kerasft adds row 0 to every position embedding. The backbone is kerasft's
`RobertaBackbone`, keras-hub's with the checkpoint's LayerNorm epsilon.
"""

from keras_hub.src.utils.transformers import convert_roberta as _keras_hub

from kerasft.backbones.converters.bert import POSITIONS
from kerasft.backbones.converters.conversion import (
    check_activation,
    check_settings,
    layer_norm_epsilon,
)
from kerasft.backbones.models.checkpoint_backbones import RobertaBackbone

backbone_cls = RobertaBackbone
PREFIXES = ("roberta.",)
TOKEN_TYPES = "roberta.embeddings.token_type_embeddings.weight"


def convert_backbone_config(config):
    check_activation(config, "hidden_act")
    check_settings(config, POSITIONS)
    return {
        **_keras_hub.convert_backbone_config(config),
        "layer_norm_epsilon": layer_norm_epsilon(config, "layer_norm_eps", 1e-12),
    }


def convert_weights(backbone, reader, config):
    _keras_hub.convert_weights(backbone, reader, config)
    if reader.has(TOKEN_TYPES):
        positions = backbone.embeddings.position_embedding.position_embeddings
        positions.assign(positions + reader.get_tensor(TOKEN_TYPES)[0])
