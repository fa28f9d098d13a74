"""`SpanLogits`: start or end logits of extractive QA, masked to the context."""

import keras
from keras import ops

from kerasft.errors import ConfigError
from kerasft.decoding.qa import CLS_INDEX

MASK_VALUE = -10000.0


@keras.saving.register_keras_serializable(package="kerasft")
class SpanLogits(keras.layers.Layer):
    """Start (`index=0`) or end (`index=1`) logits, masked to the context.

    Positions that are not context tokens (segment 1, real, not the closing
    special token) get `mask_value`; the CLS position is kept: position 0
    (`cls_position="first"`) or the last real token (`"last"`, XLNet, whose
    windows end `<sep> <cls>`). Windows are right-padded.
    """

    def __init__(self, index, mask_value=MASK_VALUE, cls_position="first", **kwargs):
        super().__init__(**kwargs)
        if cls_position not in ("first", "last"):
            raise ConfigError(f"`cls_position` must be 'first' or 'last'. Received: "
                              f"cls_position={cls_position!r}")
        self.index = index
        self.mask_value = mask_value
        self.cls_position = cls_position

    def call(self, logits, segment_ids, padding_mask):
        logits = ops.cast(logits[..., self.index], "float32")
        mask = ops.cast(padding_mask, "int32")
        length = ops.sum(mask, axis=1, keepdims=True)
        positions = ops.expand_dims(ops.arange(ops.shape(mask)[1], dtype="int32"), 0)
        last = self.cls_position == "last"
        closing = length - 2 if last else length - 1  # the context's closing special token
        context = ops.logical_and(ops.equal(ops.cast(segment_ids, "int32"), 1),
                                  ops.less(positions, closing))
        context = ops.logical_and(context, ops.greater(mask, 0))
        cls = length - 1 if last else CLS_INDEX
        allowed = ops.logical_or(context, ops.equal(positions, cls))
        return ops.where(allowed, logits, ops.cast(self.mask_value, "float32"))

    def get_config(self):
        return {**super().get_config(), "index": self.index, "mask_value": self.mask_value,
                "cls_position": self.cls_position}
