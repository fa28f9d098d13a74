"""Learning-rate schedules."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerasft")
class WarmupLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warmup from 0 to `peak_learning_rate`, then linear decay to 0.

    The schedule BERT was fine-tuned with, and the default of kerasft.

    Args:
        peak_learning_rate: float. Learning rate at the end of warmup.
        total_steps: int. Steps of the whole run; the rate reaches 0 here.
        warmup_steps: int. Steps of linear warmup.
    """

    def __init__(self, peak_learning_rate, total_steps, warmup_steps):
        if total_steps < 1 or warmup_steps < 0 or warmup_steps > total_steps:
            raise ValueError(
                "Expected 0 <= warmup_steps <= total_steps and total_steps >= 1. "
                f"Received: warmup_steps={warmup_steps}, total_steps={total_steps}"
            )
        self.peak_learning_rate = peak_learning_rate
        self.total_steps = total_steps
        self.warmup_steps = warmup_steps

    def __call__(self, step):
        step = ops.cast(step, "float32")
        peak = ops.cast(self.peak_learning_rate, "float32")
        warmup = ops.cast(max(self.warmup_steps, 1), "float32")
        total = ops.cast(self.total_steps, "float32")
        up = peak * step / warmup
        down = peak * ops.maximum(total - step, 0.0) / ops.maximum(total - warmup, 1.0)
        return ops.where(step < warmup, up, down)

    def get_config(self):
        return {
            "peak_learning_rate": self.peak_learning_rate,
            "total_steps": self.total_steps,
            "warmup_steps": self.warmup_steps,
        }
