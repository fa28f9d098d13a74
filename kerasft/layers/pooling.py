"""Pooling of backbone outputs shared by sequence-level heads."""

import keras
from keras import ops

from kerasft.backbones.traits import traits
from kerasft.errors import ConfigError

POOLINGS = ("auto", "cls", "mean", "pooled", "last")


def summarizes_last_token(backbone):
    """Whether `backbone` (a backbone or its class) is XLNet or a decoder,
    whose own classifiers read a text's summary from its last real token
    (see `kerasft.backbones.traits`)."""
    return traits(backbone).pooling == "last"


def resolve_pooling(backbone, pooling="auto"):
    """The pooling a sequence-level head uses on `backbone` (a backbone or
    its class).

    `"auto"` is `"last"` for XLNet and decoders such as GPT-2 (where
    transformers' `XLNetForSequenceClassification` and
    `GPT2ForSequenceClassification` read) and `"mean"` for other encoders.
    Explicit values are returned as they are.

    Raises:
        ConfigError: `pooling` is not one of `POOLINGS`; or `"cls"` on a
            last-token backbone, whose first position is padding (XLNet,
            left-padded) or has read only one token (decoders).
    """
    if pooling not in POOLINGS:
        raise ConfigError(
            f"`pooling` must be one of {POOLINGS}. Received: pooling={pooling!r}. "
            "Pass one of those."
        )
    last = summarizes_last_token(backbone)
    if pooling == "auto":
        return traits(backbone).pooling
    if pooling == "cls" and last:
        name = (backbone if isinstance(backbone, type) else type(backbone)).__name__
        raise ConfigError(
            f"pooling='cls' reads the first position, which on {name} is padding "
            "(XLNet pads on the left) or has read only the first token "
            "(decoders). Received: pooling='cls'. Use pooling='last' (or "
            "'auto') or 'mean'."
        )
    return pooling


@keras.saving.register_keras_serializable(package="kerasft")
class MaskedMeanPooling(keras.layers.Layer):
    """Mean of token vectors where `padding_mask` is 1."""

    def call(self, sequence, padding_mask):
        mask = ops.expand_dims(ops.cast(padding_mask, sequence.dtype), -1)
        total = ops.sum(sequence * mask, axis=1)
        return total / ops.maximum(ops.sum(mask, axis=1), 1.0)


@keras.saving.register_keras_serializable(package="kerasft")
class LastTokenPooling(keras.layers.Layer):
    """Vector of the last position where `padding_mask` is 1: the last real
    token with right padding (decoders), the last position with left
    padding (XLNet). A row without real tokens gives position 0."""

    def call(self, sequence, padding_mask):
        mask = ops.cast(padding_mask, "int32")
        length = ops.shape(mask)[1]
        positions = ops.arange(length, dtype="int32")[None, :]
        last = ops.max(ops.where(mask > 0, positions, 0), axis=1)
        return ops.take_along_axis(sequence, last[:, None, None], axis=1)[:, 0, :]


def sequence_output(outputs):
    """The `[batch, length, hidden]` output of any keras-hub backbone."""
    if isinstance(outputs, dict):
        for key in ("sequence_output", "encoder_sequence_output"):
            if key in outputs:
                return outputs[key]
        raise ValueError(f"Backbone outputs have no sequence output: {list(outputs)}")
    return outputs


def pooled_output(backbone, inputs, pooling):
    """Applies `pooling` (see `resolve_pooling`) to the backbone's outputs
    on `inputs`."""
    pooling = resolve_pooling(backbone, pooling)
    # Weights the head never reaches would only draw "no gradient" warnings
    # and optimizer slots: an unused pooler, and XLNet's `mask_emb` (the
    # query stream of pre-training, which fine-tuning does not run).
    unused = ("encoder_block_attn_mask_layer",)
    if pooling != "pooled":
        unused += ("pooled_dense", "pooler_dense")
    for layer in backbone.layers:
        if layer.name in unused:
            layer.trainable = False
    outputs = backbone(inputs)
    if pooling == "pooled":
        if not (isinstance(outputs, dict) and "pooled_output" in outputs):
            raise ValueError(
                "This backbone has no pooler; use pooling='cls', 'mean' or "
                "'last'. Received: pooling='pooled'"
            )
        return outputs["pooled_output"]
    sequence = sequence_output(outputs)
    if pooling == "cls":
        return sequence[:, 0, :]
    if pooling == "mean":
        return MaskedMeanPooling(name="mean_pooling")(sequence, inputs["padding_mask"])
    return LastTokenPooling(name="last_token_pooling")(sequence, inputs["padding_mask"])
