"""Mixed precision: the policy the hardware calls for, applied per layer.

`precision="auto"` (the default of `Task.compile`) picks `mixed_bfloat16`
on TPUs and on CPUs with bfloat16 matrix instructions (AVX512-BF16, AMX),
`mixed_float16` (with loss scaling, which Keras' `compile` adds) on GPUs,
and `float32` otherwise. The policy is set on the backbone's layers (and
the task model, so that Keras scales the loss under `mixed_float16`), never
on the global Keras policy: a user's other models are untouched. The
task's head keeps float32, so outputs and loss are float32; exports trace
float32 compute (`float32_compute`).
"""

import contextlib
import os

from kerasft.errors import ConfigError
from kerasft.utils.arguments import PRECISIONS  # noqa: F401  (re-exported)
from kerasft.utils.arguments import precision as check_precision
# Forces the choice of "auto" (for example float32 on a whole CI machine).
PRECISION_ENV = "KERASFT_PRECISION"
# /proc/cpuinfo flags of CPUs with bfloat16 matrix instructions.
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


def cpu_flags(path="/proc/cpuinfo"):
    """The CPU feature flags the kernel reports (empty where unreadable)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.partition(":")[2].split())
    except OSError:
        pass
    return set()


def _device_types():
    import tensorflow as tf

    return {d.device_type for d in tf.config.list_logical_devices()}


def default_precision(flags=None, device_types=None):
    """The policy for this hardware.

    Args:
        flags: set of str or None. CPU flags; None reads `/proc/cpuinfo`.
        device_types: set of str or None (`{"CPU", "GPU"}`...). None asks
            TensorFlow for its logical devices.
    """
    device_types = _device_types() if device_types is None else set(device_types)
    if "TPU" in device_types:
        return "mixed_bfloat16"
    if "GPU" in device_types:
        return "mixed_float16"
    flags = cpu_flags() if flags is None else set(flags)
    if flags & set(BF16_CPU_FLAGS):
        return "mixed_bfloat16"
    return "float32"


def resolve_precision(precision="auto", flags=None, device_types=None):
    """`precision` as a Keras policy name: `"auto"` becomes
    `KERASFT_PRECISION` when set, else `default_precision(...)`.

    Raises:
        ConfigError: an unknown `precision` or `KERASFT_PRECISION`.
    """
    check_precision(precision)
    if precision != "auto":
        return precision
    forced = os.environ.get(PRECISION_ENV)
    if forced and check_precision(forced, PRECISION_ENV) != "auto":
        return forced
    return default_precision(flags, device_types)


def _mixed_layers(model):
    """The task model and its backbone's layers: what runs in mixed
    precision (the head, outside the backbone, stays float32)."""
    backbone = getattr(model, "backbone", None)
    if backbone is None:  # a plain Keras model: left as it is
        return []
    return [model, backbone, *backbone._flatten_layers(include_self=False)]


def _set_policies(layers, policies):
    changed = False
    for layer, policy in zip(layers, policies):
        if layer.dtype_policy.name != getattr(policy, "name", policy):
            layer.dtype_policy = policy
            changed = True
    if changed and layers:  # Keras' compiled step functions were traced with the old dtypes
        model = layers[0]
        model.train_function = model.test_function = model.predict_function = None


def apply_precision(model, policy):
    """Sets Keras dtype policy `policy` on `model`'s backbone layers and on
    the model itself (variables stay float32 under mixed policies).

    Raises:
        ConfigError: `model` has no `backbone` and `policy` is not float32.
    """
    layers = _mixed_layers(model)
    if not layers and policy != "float32":
        raise ConfigError(f"Mixed precision needs a task model with a `backbone`. Received: "
                          f"{type(model).__name__}. Use precision='float32'.")
    _set_policies(layers, [policy] * len(layers))


def compute_dtype(model):
    """The compute dtype of `model`'s backbone (`"float32"`, `"bfloat16"`...)."""
    return model.backbone.compute_dtype


@contextlib.contextmanager
def float32_compute(model):
    """Within the block, `model` computes in float32 (as exported); its
    policies are restored on exit."""
    layers = _mixed_layers(model)
    saved = [layer.dtype_policy for layer in layers]
    try:
        _set_policies(layers, ["float32"] * len(layers))
        yield model
    finally:
        _set_policies(layers, saved)
