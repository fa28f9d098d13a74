"""GELU computed in one pass forward and one pass backward.

TensorFlow runs the exact GELU, `0.5 * x * erfc(-x / sqrt(2))`, as four
elementwise ops, and its gradient, which the tape derives op by op, as about
ten more, each reading and writing the whole `[batch, length, 3072]` (BERT
base) tensor. Written out by hand (`d/dx = Phi(x) + x * phi(x)`) and
compiled with XLA, which fuses the elementwise ops of each function into a
single loop, the forward and backward run about 3x faster at the MiniLM
step's 32 x 128 x 1,536 (2.9x in `bench/training_ops_bench.py`'s runs).

`fast_gelus(model)` switches every `keras.layers.Dense` whose activation is
Keras' exact GELU or keras-hub's tanh approximation to `GeluDense`. Weights,
names and configs are unchanged; only training on TensorFlow takes the new
path. Inference and every export trace Keras' own ops, and quantized layers
keep Keras' call. So do tensors under 2^20 elements (XLA compiles once per
shape) and steps compiled by XLA as a whole (`compile(jit_compile=True)`),
where XLA fuses Keras' GELU itself. Results equal Keras' within float
rounding (about 1e-6 for float32). bfloat16 inputs are computed in float32
and rounded once, where TensorFlow computes in bfloat16.
"""

import math

import keras
from keras import ops
from keras_hub.src.utils.keras_utils import gelu_approximate

from kerasft.layers.switching import switch_classes

SQRT_HALF = 1 / math.sqrt(2.0)
INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
TANH_SCALE = math.sqrt(2 / math.pi)  # the tanh approximation's constants
TANH_CUBIC = 0.044715

_FUNCTIONS = {}  # (approximate) -> (forward, backward), built once per process
# Below this many elements the GELU takes Keras' ops (see `fused_gelu`): a
# MiniLM batch of 32 x 22 tokens or more (x 1,536) takes the fused pass.
FUSED_MIN_ELEMENTS = 1 << 20


def _gelu_functions(approximate):
    """XLA-compiled forward `x -> gelu(x)` and backward `(x, dy) -> dx`."""
    if approximate in _FUNCTIONS:
        return _FUNCTIONS[approximate]
    import tensorflow as tf

    def tanh_terms(x):
        inner = TANH_SCALE * (x + TANH_CUBIC * x * x * x)
        return tf.tanh(inner)

    @tf.function(jit_compile=True, autograph=False)
    def forward(x):
        x32 = tf.cast(x, "float32")
        if approximate:
            y = 0.5 * x32 * (1.0 + tanh_terms(x32))
        else:
            y = 0.5 * x32 * tf.math.erfc(-SQRT_HALF * x32)
        return tf.cast(y, x.dtype)

    @tf.function(jit_compile=True, autograph=False)
    def backward(x, dy):
        x32 = tf.cast(x, "float32")
        if approximate:
            t = tanh_terms(x32)
            slope = 0.5 * (1.0 + t) + 0.5 * x32 * (1.0 - t * t) * TANH_SCALE * (
                1.0 + 3 * TANH_CUBIC * x32 * x32)
        else:
            cdf = 0.5 * tf.math.erfc(-SQRT_HALF * x32)
            slope = cdf + x32 * INV_SQRT_2PI * tf.exp(-0.5 * x32 * x32)
        return tf.cast(tf.cast(dy, "float32") * slope, dy.dtype)

    _FUNCTIONS[approximate] = forward, backward
    return forward, backward


def fused_gelu(x, approximate=False):
    """`keras.activations.gelu(x, approximate)` with a hand-written gradient,
    each direction one XLA-fused pass, for tensors of at least
    `FUSED_MIN_ELEMENTS` elements; smaller ones take Keras' ops (TensorFlow).

    XLA compiles once per input shape; length-bucketed
    batches bring several shapes, and on small tensors the fused pass saves
    less than a compile costs.
    """
    import tensorflow as tf

    if _in_xla_context():  # `compile(jit_compile=True)`: XLA fuses the whole step
        return keras.activations.gelu(x, approximate)
    forward, backward = _gelu_functions(bool(approximate))

    @tf.custom_gradient
    def fused(x):
        return forward(x), lambda dy: backward(x, dy)

    size = x.shape.num_elements()
    if size is not None:  # a static shape: decide now
        return fused(x) if size >= FUSED_MIN_ELEMENTS else keras.activations.gelu(x, approximate)
    return tf.cond(tf.size(x) >= FUSED_MIN_ELEMENTS, lambda: fused(x),
                   lambda: keras.activations.gelu(x, approximate))


def _in_xla_context():
    """Whether the graph being built is compiled by XLA as a whole (a
    `tf.function(jit_compile=True)`, as Keras' `jit_compile=True` step)."""
    try:
        from tensorflow.python.framework import ops
        from tensorflow.python.ops import control_flow_util
    except ImportError:  # TensorFlow moved its internals: take the fused pass
        return False
    return control_flow_util.GraphOrParentsInXlaContext(ops.get_default_graph())


def gelu_kind(activation):
    """`False` for Keras' exact GELU, `True` for keras-hub's tanh
    approximation, None for any other activation."""
    if activation is keras.activations.gelu:
        return False
    if activation is gelu_approximate:
        return True
    return None


@keras.saving.register_keras_serializable(package="kerasft")
class GeluDense(keras.layers.Dense):
    """`keras.layers.Dense` with a GELU activation whose training pass uses
    `fused_gelu` (see the module docstring)."""

    def call(self, inputs, training=None):
        approximate = gelu_kind(self.activation)
        if (not training or approximate is None or self.quantization_mode is not None
                or keras.backend.backend() != "tensorflow"):
            return super().call(inputs, training=training)
        x = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            x = ops.add(x, self.bias)
        return fused_gelu(x, approximate)


def fast_gelus(model):
    """Switches `model`'s GELU `keras.layers.Dense` layers to `GeluDense` (in
    place); returns how many were switched."""
    return switch_classes(model, lambda layer: GeluDense if (
        type(layer) is keras.layers.Dense and gelu_kind(layer.activation) is not None) else None)
