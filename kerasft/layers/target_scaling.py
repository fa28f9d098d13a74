"""`TargetScaling`: maps standardized predictions back to target units."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerasft")
class TargetScaling(keras.layers.Layer):
    """`outputs = inputs * std + mean`, with fixed (non-trainable) mean/std."""

    def __init__(self, mean, std, **kwargs):
        super().__init__(**kwargs)
        self._initial = (list(mean), list(std))

    def build(self, input_shape):
        mean, std = self._initial
        self.mean = self.add_weight(shape=(len(mean),), trainable=False, name="mean",
                                    initializer=keras.initializers.Constant(mean))
        self.std = self.add_weight(shape=(len(std),), trainable=False, name="std",
                                   initializer=keras.initializers.Constant(std))

    def call(self, inputs):
        return inputs * ops.cast(self.std, inputs.dtype) + ops.cast(self.mean, inputs.dtype)

    def get_config(self):
        mean, std = self._initial
        if self.built:
            mean = keras.ops.convert_to_numpy(self.mean).tolist()
            std = keras.ops.convert_to_numpy(self.std).tolist()
        return {**super().get_config(), "mean": mean, "std": std}
