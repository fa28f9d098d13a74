"""BART (`model_type="bart"`): keras-hub's weight mapping, kerasft's config.

keras-hub's converter reads `num_hidden_layers`, which BART configs written
by transformers 5 do not store (`KeyError`); kerasft reads `encoder_layers`
and checks what `keras_hub.models.BartBackbone` can represent (equal encoder
and decoder sizes, unscaled embeddings). keras-hub's `convert_weights` then
runs on the kerasft reader, for `BartModel` saves and `model.`-prefixed
`BartForConditionalGeneration` saves.

The backbone's inputs are `encoder_token_ids`, `encoder_padding_mask`,
`decoder_token_ids`, `decoder_padding_mask`; its outputs a dict with
`encoder_sequence_output` and `decoder_sequence_output`.
"""

from keras_hub.src.utils.transformers import convert_bart as _keras_hub

from kerasft.backbones.converters.conversion import check_activation
from kerasft.errors import CheckpointError

backbone_cls = _keras_hub.backbone_cls
PREFIXES = ("model.",)
convert_weights = _keras_hub.convert_weights
# BartBackbone has one value for both stacks: encoder key -> decoder key.
SHARED_SIZES = {
    "encoder_layers": "decoder_layers",
    "encoder_attention_heads": "decoder_attention_heads",
    "encoder_ffn_dim": "decoder_ffn_dim",
}


def convert_backbone_config(config):
    check_activation(config, "activation_function", supported=("gelu",))
    unequal = {
        f"{enc}/{dec}": (config[enc], config[dec])
        for enc, dec in SHARED_SIZES.items()
        if config[enc] != config[dec]
    }
    if unequal:
        raise CheckpointError(
            f"{config.path} gives the BART encoder and decoder different "
            f"sizes; keras-hub's BartBackbone needs them equal. Received: "
            f"{unequal}."
        )
    if config.get("scale_embedding", False):
        raise CheckpointError(
            f"{config.path} scales token embeddings by sqrt(d_model); "
            "keras-hub's BartBackbone does not. Received: scale_embedding=True."
        )
    return {
        "vocabulary_size": config["vocab_size"],
        "num_layers": config["encoder_layers"],
        "num_heads": config["encoder_attention_heads"],
        "hidden_dim": config["d_model"],
        "intermediate_dim": config["encoder_ffn_dim"],
        "dropout": config.get("dropout", 0.1),
        "max_sequence_length": config["max_position_embeddings"],
    }
