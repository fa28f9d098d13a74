"""The default optimizer: AdamW, warmup + linear decay, no decay on norms/biases."""

import math

import keras

from kerasft.training.schedules import WarmupLinearDecay

# Keras names LayerNorm scale/offset `gamma`/`beta`; biases `bias`.
NO_DECAY_NAMES = ["bias", "gamma", "beta"]


def default_optimizer(total_steps, learning_rate=5e-5, weight_decay=0.01,
                      warmup_ratio=0.1, clipnorm=1.0):
    """AdamW with `WarmupLinearDecay` over `total_steps`.

    Weight decay applies to kernels and embeddings only; LayerNorm weights
    and biases are excluded, as in BERT's original recipe.
    """
    total_steps = max(int(total_steps), 1)
    schedule = WarmupLinearDecay(
        peak_learning_rate=learning_rate,
        total_steps=total_steps,
        warmup_steps=int(math.ceil(warmup_ratio * total_steps)),
    )
    optimizer = keras.optimizers.AdamW(
        learning_rate=schedule, weight_decay=weight_decay, clipnorm=clipnorm
    )
    optimizer.exclude_from_weight_decay(var_names=NO_DECAY_NAMES)
    return optimizer
