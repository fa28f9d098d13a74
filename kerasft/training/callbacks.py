"""The callbacks `Task.fit` adds when it is given validation data."""

import os

import keras

BEST_WEIGHTS_FILE = "best.weights.h5"


def validation_callbacks(early_stopping_patience, checkpoint_dir):
    """EarlyStopping on `val_loss` (restoring the best weights) and
    best-weights checkpointing.

    Args:
        early_stopping_patience: int or None. Epochs without improvement
            before stopping; None: no early stopping.
        checkpoint_dir: str. Where `best.weights.h5` is written (see
            `TrainingRun.checkpoint_dir`).

    Returns:
        `(callbacks, path of the best-weights file)`.
    """
    callbacks = []
    if early_stopping_patience is not None:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=early_stopping_patience, restore_best_weights=True))
    os.makedirs(checkpoint_dir, exist_ok=True)
    best = os.path.join(checkpoint_dir, BEST_WEIGHTS_FILE)
    callbacks.append(keras.callbacks.ModelCheckpoint(
        best, monitor="val_loss", save_best_only=True, save_weights_only=True))
    return callbacks, best
