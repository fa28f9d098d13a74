"""Losses of kerasft's heads."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerasft")
class StandardizedMeanSquaredError(keras.losses.Loss):
    """Mean squared error of `(y_true - y_pred) / scale` (per target)."""

    def __init__(self, scale, name="standardized_mse", **kwargs):
        super().__init__(name=name, **kwargs)
        self.scale = [float(s) for s in scale]

    def call(self, y_true, y_pred):
        scale = ops.convert_to_tensor(self.scale, dtype=y_pred.dtype)
        error = (ops.cast(y_true, y_pred.dtype) - y_pred) / scale
        return ops.mean(ops.square(error), axis=-1)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}
