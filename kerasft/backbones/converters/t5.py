"""T5 (`model_type="t5"`): keras-hub has the backbone, not a converter.

Maps `T5Model` / `T5ForConditionalGeneration` saves onto
`keras_hub.models.T5Backbone`: T5 v1.0 (ReLU, tied embeddings, `t5-small`)
and v1.1 / FLAN-T5 (gated GELU, separate `lm_head`, kept in the token
embedding's reverse projection when the save has it).

The backbone's inputs are `encoder_token_ids`, `encoder_padding_mask`,
`decoder_token_ids`, `decoder_padding_mask`; its outputs a dict with
`encoder_sequence_output` and `decoder_sequence_output`.

Encoder-only saves (`T5EncoderModel`, as T5 sentence encoders ship: no
`decoder.*` tensors) load as kerasft's `T5EncoderBackbone`, with the inputs
(`token_ids`, `padding_mask`) and output (`sequence_output`) of the other
encoders.
"""

import numpy as np
from keras_hub.models import T5Backbone
from keras_hub.src.utils.keras_utils import gelu_approximate

from kerasft.backbones.models.t5_encoder_backbone import T5EncoderBackbone
from kerasft.errors import CheckpointError

backbone_cls = T5Backbone
PREFIXES = ()
OPTIONAL = ("lm_head.",)
# transformers' `dense_act_fn` -> the Keras activation T5Backbone takes.
ACTIVATIONS = {"relu": "relu", "gelu": "gelu", "gelu_new": gelu_approximate,
               "gelu_pytorch_tanh": gelu_approximate, "silu": "silu"}
# The same, by name, for T5EncoderBackbone (whose config keeps the name).
ACTIVATION_NAMES = {"relu": "relu", "gelu": "gelu", "gelu_new": "gelu_approximate",
                    "gelu_pytorch_tanh": "gelu_approximate", "silu": "silu"}
# A tensor only saves with a decoder have.
DECODER_TENSOR = "decoder.block.0.layer.0.SelfAttention.q.weight"
# Fixed in keras-hub's T5MultiHeadAttention.
RELATIVE_ATTENTION = {"relative_attention_num_buckets": 32,
                      "relative_attention_max_distance": 128}


def _feed_forward(config):
    """(activation name, gated) as transformers' T5Config derives them."""
    projection = config.get("feed_forward_proj", "relu")
    gated = projection.startswith("gated-")
    activation = projection.split("-")[-1]
    return ("gelu_new" if activation == "gelu" and gated else activation), gated


def convert_backbone_config(config):
    activation, gated = _feed_forward(config)
    wrong = {k: config.get(k, v) for k, v in RELATIVE_ATTENTION.items()
             if config.get(k, v) != v}
    decoder_layers = config.get("num_decoder_layers") or config["num_layers"]
    if decoder_layers != config["num_layers"]:
        wrong["num_decoder_layers"] = decoder_layers
    if activation not in ACTIVATIONS:
        wrong["feed_forward_proj"] = config.get("feed_forward_proj")
    if wrong:
        raise CheckpointError(
            f"{config.path} describes a T5 variant keras-hub's T5Backbone "
            f"cannot build (it needs {RELATIVE_ATTENTION}, as many decoder as "
            f"encoder layers and a feed_forward_proj with one of "
            f"{sorted(ACTIVATIONS)}). Received: {wrong}."
        )
    return {
        "vocabulary_size": config["vocab_size"],
        "num_layers": config["num_layers"],
        "num_heads": config["num_heads"],
        "hidden_dim": config["d_model"],
        "intermediate_dim": config["d_ff"],
        "key_value_dim": config["d_kv"],
        "dropout": config.get("dropout_rate", 0.1),
        "activation": ACTIVATIONS[activation],
        "use_gated_activation": gated,
        "layer_norm_epsilon": config.get("layer_norm_epsilon", 1e-6),
        "tie_embedding_weights": config.get("tie_word_embeddings", True),
    }


def choose_backbone(config, reader):
    """`T5Backbone` for encoder-decoder saves, `T5EncoderBackbone` for
    encoder-only ones; with their constructor arguments."""
    arguments = convert_backbone_config(config)
    if reader.has(DECODER_TENSOR):
        return T5Backbone, arguments
    del arguments["tie_embedding_weights"]
    arguments["activation"] = ACTIVATION_NAMES[_feed_forward(config)[0]]
    return T5EncoderBackbone, arguments


def _transpose(tensor, _):
    return np.transpose(tensor)


def _port_attention(reader, attention, prefix):
    for name, hf_name in (("query", "q"), ("key", "k"), ("value", "v"), ("output", "o")):
        projector = getattr(attention, f"{name}_projector")
        reader.port_weight(projector.kernel, f"{prefix}.{hf_name}.weight", _transpose)
    if attention.use_relative_attention_bias:
        reader.port_weight(
            attention.relative_attention_bias,
            f"{prefix}.relative_attention_bias.weight",
        )


def _port_feed_forward(reader, layer, prefix):
    if layer.use_gated_activation:
        reader.port_weight(layer.input_projector.kernel, f"{prefix}.wi_0.weight", _transpose)
        reader.port_weight(layer.gate_projector.kernel, f"{prefix}.wi_1.weight", _transpose)
    else:
        reader.port_weight(layer.input_projector.kernel, f"{prefix}.wi.weight", _transpose)
    reader.port_weight(layer.output_projector.kernel, f"{prefix}.wo.weight", _transpose)


def convert_weights(backbone, reader, config):
    embedding = backbone.token_embedding
    reader.port_weight(embedding.embeddings, "shared.weight")
    if isinstance(backbone, T5EncoderBackbone):
        stacks = (("encoder", backbone.transformer_layers),)
    else:
        if not embedding.tie_weights:
            reader.port_weight(embedding.reverse_embeddings, "lm_head.weight", _transpose)
        stacks = (("encoder", backbone.encoder_transformer_layers),
                  ("decoder", backbone.decoder_transformer_layers))
    for stack, layers in stacks:
        for index, layer in enumerate(layers):
            block = f"{stack}.block.{index}.layer"
            _port_attention(reader, layer.self_attention, f"{block}.0.SelfAttention")
            reader.port_weight(layer.self_attention_layer_norm.weight,
                               f"{block}.0.layer_norm.weight")
            feed_forward = 1
            if stack == "decoder":
                _port_attention(reader, layer.cross_attention, f"{block}.1.EncDecAttention")
                reader.port_weight(layer.cross_attention_layer_norm.weight,
                                   f"{block}.1.layer_norm.weight")
                feed_forward = 2
            _port_feed_forward(reader, layer, f"{block}.{feed_forward}.DenseReluDense")
            reader.port_weight(layer.layer_norm.weight,
                               f"{block}.{feed_forward}.layer_norm.weight")
        norm = backbone.get_layer(f"{stack}_output_layer_norm")
        reader.port_weight(norm.weight, f"{stack}.final_layer_norm.weight")
