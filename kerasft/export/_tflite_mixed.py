"""Child-process half of `quantization="int8"` (mixed precision).

Imported by `_tflite_worker.py` only (TensorFlow, never kerasft). One
calibration, then TFLite's `QuantizationDebugger` measures every quantized
op on the calibration inputs: the noise int8 adds to its output relative
to the output's size, channel by channel (`_noise`).
Ops are ranked by that noise, and candidates are written that keep the
0, 1, 2, 4, ... most sensitive ops in float (`denylisted_nodes`), so that
the parent can pick the first that holds the parity gate.
"""

import csv
import io

import numpy as np


def _noise(float_tensor, quant_tensor, scale, zero_point):
    """Int8 error relative to the signal, channel by channel (last axis),
    averaged over channels (each clipped at 1, the signal lost): one
    outlier channel widens the int8 step for all, and drowns the others,
    which a ratio over the whole tensor would hide behind the outlier."""
    real = float_tensor.astype("float64")
    if not np.isfinite(real).all() or np.abs(real).max(initial=0.0) > 1e30:
        return 1.0  # attention-mask values (-inf, float min): int8 cannot hold them
    dequantized = (quant_tensor.astype("float64") - zero_point) * scale
    axes = tuple(range(real.ndim - 1))
    signal = np.sqrt(np.mean(np.square(real), axis=axes))
    error = np.sqrt(np.mean(np.square(real - dequantized), axis=axes))
    floor = 1e-6 * max(float(signal.max(initial=0.0)), 1e-30)
    return float(np.mean(np.minimum(error / np.maximum(signal, floor), 1.0)))


def ladder(n):
    """How many of the most sensitive ops each candidate keeps in float:
    0, 1, 2, 4, ... and finally all `n`."""
    steps, k = [0], 1
    while k < n:
        steps.append(k)
        k *= 2
    return steps + ([n] if n else [])


def _input_keys(model_bytes):
    import tensorflow as tf

    details = tf.lite.Interpreter(model_content=model_bytes).get_input_details()
    return [d["name"].split("serving_default_", 1)[-1].rsplit(":", 1)[0] for d in details]


def sensitivity(debugger):
    """`[{"node", "op", "noise"}]`, most sensitive first."""
    debugger.run()
    buffer = io.StringIO()
    debugger.layer_statistics_dump(buffer)
    buffer.seek(0)
    rows = []
    for r in csv.DictReader(buffer):
        noise = float(r["noise"]) if r.get("noise") not in (None, "") else float("nan")
        rows.append({"node": r["tensor_name"], "op": r["op_name"],
                     "noise": noise if np.isfinite(noise) else 1.0})
    return sorted(rows, key=lambda r: -r["noise"])  # stable: graph order among ties


def convert_mixed(converter, dataset, output):
    """Writes `<output>.step<k>` candidates; returns the result entry with
    `candidates` (path, kept-float ops) and `layers` (the ranking)."""
    import tensorflow as tf

    holder = {}

    def debug_dataset():
        keys = holder["keys"]
        for sample in dataset():
            yield [sample[k] for k in keys]

    # Calibrates once; its options' denylists then give each candidate.
    debugger = tf.lite.experimental.QuantizationDebugger(
        converter=converter, debug_dataset=debug_dataset,
        debug_options=tf.lite.experimental.QuantizationDebugOptions())
    holder["keys"] = _input_keys(debugger.calibrated_model)
    # Comparing float and int8 tensors directly needs an interpreter that
    # keeps every tensor, which only the model-content form builds.
    measured = tf.lite.experimental.QuantizationDebugger(
        quant_debug_model_content=debugger.quant_model, debug_dataset=debug_dataset,
        debug_options=tf.lite.experimental.QuantizationDebugOptions(
            layer_direct_compare_metrics={"noise": _noise}))
    layers = sensitivity(measured)
    candidates = []
    for k in ladder(len(layers)):
        debugger.options.denylisted_nodes = [r["node"] for r in layers[:k]]
        model = debugger.get_nondebug_quantized_model()
        path = f"{output}.step{k}"
        with open(path, "wb") as f:
            f.write(model)
        candidates.append({"path": path, "kept_float": k, "size": len(model)})
    return {"ok": True, "size": candidates[0]["size"], "candidates": candidates,
            "layers": layers}
