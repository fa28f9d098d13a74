"""Stops training at the first NaN or infinite loss, with an error."""

import math

import keras
import numpy as np

from kerasft.errors import NonFiniteLossError


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Raises `NonFiniteLossError` at the first batch whose loss is NaN or
    infinite.

    Keras' `TerminateOnNaN` stops quietly and leaves NaN weights to be saved;
    this raises instead, so nothing after it (best-model checkpoints, the
    resume backup, `model.save` in a run) sees the broken weights. Put it
    first in the callback list.
    """

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self._check(logs, "loss", f"step {batch + 1}")

    def on_epoch_end(self, epoch, logs=None):
        self._check(logs, "val_loss", "the end (validation)")

    def _check(self, logs, key, where):
        loss = (logs or {}).get(key)
        if loss is None or math.isfinite(float(np.asarray(loss))):
            return
        raise NonFiniteLossError(
            f"Expected a finite training loss. Received: {key}="
            f"{float(np.asarray(loss))} at epoch {getattr(self, '_epoch', 0) + 1}, {where}. "
            "Training stopped; nothing was saved. Try a lower learning rate, float32 "
            "instead of mixed precision (training.precision: float32), or "
            "gradient clipping (an optimizer with clipnorm=1.0)."
        )
