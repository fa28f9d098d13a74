"""Keras metrics kerasft adds where Keras has none."""

import keras
from keras import ops

IGNORE_INDEX = -100


@keras.saving.register_keras_serializable(package="kerasft")
class MaskedTokenAccuracy(keras.metrics.Metric):
    """Share of tokens whose argmax is the target, skipping `ignore_index`.

    `keras.metrics.SparseCategoricalAccuracy` counts every position; per-token
    tasks mark padding, special tokens and continuation sub-words with -100
    (the convention of `keras.losses.SparseCategoricalCrossentropy(
    ignore_class=-100)` and Hugging Face), and those must not count.

    Args:
        ignore_index: int. Target value that is not scored. Defaults to -100.
        name: str. Defaults to `"token_accuracy"`.

    Example:
    ```python
    metric = kerasft.metrics.MaskedTokenAccuracy()
    metric.update_state([[1, -100]], [[[0.1, 0.9], [1.0, 0.0]]])
    metric.result()  # 1.0: the -100 position is skipped
    ```
    """

    def __init__(self, ignore_index=IGNORE_INDEX, name="token_accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.ignore_index = ignore_index
        self.correct = self.add_variable((), initializer="zeros", name="correct")
        self.count = self.add_variable((), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(y_true, "int32")
        valid = ops.cast(ops.not_equal(y_true, self.ignore_index), "float32")
        if sample_weight is not None:
            valid = valid * ops.cast(sample_weight, "float32")
        hit = ops.cast(ops.equal(ops.cast(ops.argmax(y_pred, -1), "int32"), y_true), "float32")
        self.correct.assign_add(ops.sum(hit * valid))
        self.count.assign_add(ops.sum(valid))

    def result(self):
        return self.correct / ops.maximum(self.count, 1.0)

    def get_config(self):
        return {**super().get_config(), "ignore_index": self.ignore_index}
