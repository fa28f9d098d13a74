"""The default optimizer: AdamW, warmup + linear decay, no decay on norms/biases."""

import math

import keras
import tensorflow as tf

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
    optimizer = AdamW(learning_rate=schedule, weight_decay=weight_decay, clipnorm=clipnorm)
    optimizer.exclude_from_weight_decay(var_names=NO_DECAY_NAMES)
    return optimizer


@keras.saving.register_keras_serializable(package="kerasft")
class AdamW(keras.optimizers.AdamW):
    """Keras' AdamW, each variable's Adam update one fused kernel.

    Keras' `update_step` runs about ten elementwise ops per variable, each a
    pass over the variable, its moments and the gradient; TensorFlow's
    `ResourceApplyAdam` does the same arithmetic (the same bias-corrected
    step size, epsilon added to the square root) in one pass, on CPU, GPU
    and TPU. Decoupled weight decay stays Keras' (`_apply_weight_decay`,
    before the update).

    One difference: a sparse gradient (`IndexedSlices`, the embeddings')
    is summed into a dense one first, as PyTorch and Hugging Face do. Keras
    squares the slices before summing them, so a token seen twice in a
    batch gets g1^2 + g2^2 instead of (g1 + g2)^2 in the second moment.

    With `amsgrad`, under a TPU strategy, or for variables that are not
    float32/64, Keras' own `update_step` runs.

    `clipnorm` (each gradient scaled down to that norm) also takes fewer
    passes over the gradients: see `_clip_by_norm`.
    """

    def _clip_by_norm(self, values, axes=None):
        """Keras' per-gradient `clipnorm` in two passes over the gradient:
        its norm from one `L2Loss` reduction, then one multiply by the
        scalar `clipnorm / max(norm, clipnorm)`. Keras' `tf.clip_by_norm`
        makes four, writing the squares, `values * clipnorm` and the
        quotient. Slices (embedding gradients) are clipped by the norm of
        their values, as Keras clips them. Non-finite gradients come out as
        Keras' do: all NaN for a NaN, NaN where an element is infinite."""
        if isinstance(values, tf.IndexedSlices):
            return tf.IndexedSlices(self._clip_by_norm(values.values, axes),
                                    values.indices, values.dense_shape)
        if axes is not None or values.dtype not in (tf.float32, tf.float64):
            return super()._clip_by_norm(values, axes)
        norm = tf.sqrt(2 * tf.nn.l2_loss(values))
        clipnorm = tf.cast(self.clipnorm, values.dtype)
        return values * (clipnorm / tf.maximum(norm, clipnorm))

    def update_step(self, gradient, variable, learning_rate):
        if (self.amsgrad or variable.dtype not in (tf.float32, tf.float64)
                or not isinstance(variable, tf.Variable)
                or isinstance(tf.distribute.get_strategy(), tf.distribute.TPUStrategy)):
            return super().update_step(gradient, variable, learning_rate)
        dtype = variable.dtype
        index = self._get_variable_index(variable)
        # In a strategy's `update`, `.handle` is this device's copy.
        m, v = self._momentums[index].value, self._velocities[index].value
        step = tf.cast(self.iterations + 1, dtype)
        beta_1, beta_2 = tf.cast(self.beta_1, dtype), tf.cast(self.beta_2, dtype)
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle, m=m.handle, v=v.handle,
            beta1_power=tf.pow(beta_1, step), beta2_power=tf.pow(beta_2, step),
            lr=tf.cast(learning_rate, dtype), beta1=beta_1, beta2=beta_2,
            epsilon=tf.cast(self.epsilon, dtype),
            grad=tf.cast(tf.convert_to_tensor(gradient), dtype), use_locking=False)
