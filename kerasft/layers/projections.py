"""Attention projections computed as one 2-D matmul.

keras-hub's attention layers project with `EinsumDense` (`"abc,cde->abde"`
for query, key and value, `"abcd,cde->abe"` for the output). TensorFlow runs
such an einsum as a batched matmul against a kernel broadcast over the
batch, so the kernel's gradient is one small matmul per example (inner
dimension: the sequence length) followed by a sum over the batch. On the
MiniLM training step at 32 x 16 tokens those four sums alone took about a
fifth of the step. The same product computed as reshape -> `MatMul` ->
reshape has a single `[c, batch * length] x [batch * length, de]` kernel
gradient. (With an unknown sequence length Keras calls `tf.einsum`, which
already does that: the gain is for fixed-length batches.)

`flatten_projections(model)` switches every `EinsumDense` whose equation is
a plain projection (contract the input's trailing axes with the kernel's
leading axes) to `ProjectionDense`. Weights, variables, names, LoRA and
the output are unchanged. Only training takes the new path: inference and
every export trace Keras' own einsum, op for op; quantized layers keep
Keras' call.
"""

import math

import keras
from keras import ops

from kerasft.layers.switching import switch_classes


def projection_plan(equation):
    """`(batch_axes, contracted_axes)` when `equation` is a projection
    `<batch><contracted>,<contracted><free>-><batch><free>`, else None."""
    try:
        inputs, output = equation.replace(" ", "").split("->")
        x, kernel = inputs.split(",")
    except ValueError:
        return None
    if "." in equation or len(set(x)) != len(x) or len(set(kernel)) != len(kernel):
        return None  # ellipsis, or a letter repeated within an operand
    contracted = "".join(c for c in x if c in kernel and c not in output)
    if not contracted or not x.endswith(contracted) or not kernel.startswith(contracted):
        return None
    batch, free = x[:-len(contracted)], kernel[len(contracted):]
    if output != batch + free:
        return None
    return len(batch), len(contracted)


@keras.saving.register_keras_serializable(package="kerasft")
class ProjectionDense(keras.layers.EinsumDense):
    """An `EinsumDense` projection computed as reshape -> matmul -> reshape."""

    def call(self, inputs, training=None):
        plan = projection_plan(self.equation)
        if not training or plan is None or self.quantization_mode is not None:
            return super().call(inputs, training=training)
        batch_axes, contracted_axes = plan
        kernel = self.kernel
        free_shape = tuple(kernel.shape[contracted_axes:])
        inner = math.prod(kernel.shape[:contracted_axes])
        leading = ops.shape(inputs)[:batch_axes]
        x = ops.reshape(inputs, (-1, inner))
        x = ops.matmul(x, ops.reshape(kernel, (inner, math.prod(free_shape))))
        x = ops.reshape(x, (*leading, *free_shape))
        if self.bias is not None:
            x = ops.add(x, self.bias)
        if self.activation is not None:
            x = self.activation(x)
        return x


def flatten_projections(model):
    """Switches `model`'s projection `EinsumDense` layers to `ProjectionDense`
    (in place); returns how many were switched."""
    return switch_classes(model, lambda layer: ProjectionDense if (
        type(layer) is keras.layers.EinsumDense and projection_plan(layer.equation)) else None)
