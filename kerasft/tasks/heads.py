"""Pooling of backbone outputs shared by sequence-level heads."""

import keras
from keras import ops

POOLINGS = ("cls", "mean", "pooled", "last")


@keras.saving.register_keras_serializable(package="kerasft")
class MaskedMeanPooling(keras.layers.Layer):
    """Mean of token vectors where `padding_mask` is 1."""

    def call(self, sequence, padding_mask):
        mask = ops.expand_dims(ops.cast(padding_mask, sequence.dtype), -1)
        total = ops.sum(sequence * mask, axis=1)
        return total / ops.maximum(ops.sum(mask, axis=1), 1.0)


@keras.saving.register_keras_serializable(package="kerasft")
class LastTokenPooling(keras.layers.Layer):
    """Vector of the last real token (decoders; XLNet with left padding)."""

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
    """Applies `pooling` to the backbone's outputs on `inputs`."""
    if pooling not in POOLINGS:
        raise ValueError(
            f"`pooling` must be one of {POOLINGS}. Received: pooling={pooling!r}"
        )
    if pooling != "pooled":
        # An unused pooler would only draw "no gradient" warnings and
        # optimizer slots.
        for layer in backbone.layers:
            if layer.name in ("pooled_dense", "pooler_dense"):
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
