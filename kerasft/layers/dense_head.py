"""The dense head every encoder task puts on its backbone."""

import keras

from kerasft.errors import ConfigError


def dense_head(units, dropout=0.0, l2=0.0, name="logits", kernel_initializer="glorot_uniform"):
    """Dropout, then a Dense layer with an optional L2 penalty on its kernel.

    Args:
        units: int. Outputs of the Dense layer (classes, targets, tags...).
        dropout: float in [0, 1). Dropout rate before the Dense layer.
        l2: float >= 0. L2 penalty on the Dense kernel; 0 for none.
        name: str. Name of the Dense layer (saved weights are keyed on it).
        kernel_initializer: Keras initializer of the Dense kernel.

    Returns:
        `(dropout_layer, dense_layer)`; the dropout layer is named
        `head_dropout`.

    Raises:
        ConfigError: `dropout` or `l2` out of range.
    """
    if not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
        raise ConfigError(f"`dropout` must be in [0, 1). Received: dropout={dropout}")
    if not isinstance(l2, (int, float)) or l2 < 0:
        raise ConfigError(f"`l2` must be >= 0. Received: l2={l2}")
    dropout_layer = keras.layers.Dropout(dropout, name="head_dropout")
    dense = keras.layers.Dense(
        units, kernel_initializer=kernel_initializer,
        kernel_regularizer=keras.regularizers.L2(l2) if l2 else None, name=name)
    return dropout_layer, dense
