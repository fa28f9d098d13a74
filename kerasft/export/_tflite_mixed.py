"""Child-process half of `quantization="int8"` (mixed precision).

Imported by `_tflite_worker.py` only (TensorFlow, never kerasft). One
calibration, then TFLite's `QuantizationDebugger` measures every quantized
op on the calibration inputs: the noise int8 adds to its output relative
to the output's size, channel by channel (`_noise`). Ops are grouped
(attention mask, LayerNorm, residual adds, Softmax, GELU, then the other op
types) and candidates are written that keep each group alone in float,
then the noisiest two, three, ... (`denylisted_nodes`), so that the parent
can pick the first that holds the parity gate. Single ops ranked by noise were
tried first and did not work: int8 error accumulates along the graph, so
every op after the first damaged one measures as noisy.
"""

import csv
import io
import re

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


# The op groups W8A8 BERT is known to break on (Bondarenko et al., EMNLP
# 2021), in the order tried when their measured noise ties.
GROUPS = ("attention_mask", "layer_norm", "residual_add", "softmax", "gelu")


def group_of(node, op):
    """The group of a quantized op, from its tensor name and op type:
    one of `GROUPS`, else its op type (lowercase)."""
    name = node.lower()
    if "mask" in name or op in ("SELECT", "SELECT_V2"):
        return "attention_mask"
    if "layer_norm" in name or "layernorm" in name:
        return "layer_norm"
    if op == "SOFTMAX" or "softmax" in name:
        return "softmax"
    if op == "GELU" or "gelu" in name:
        return "gelu"
    if op == "ADD" and re.search(r"/add(_\d+)?$", name.split(";")[0]):
        return "residual_add"
    return op.lower()


def ladder(layers):
    """Candidates as `(groups, nodes)` kept in float, cheapest first: none;
    each op group alone (the noisiest first; ties in `GROUPS` order, then
    other op types); then the groups added one at a time until every
    measured op is float. One group alone is often enough: on MiniLM/SST-2
    the int8 TRANSPOSEs of attention cost 15 points of agreement while
    measuring as quiet."""
    groups = {}
    for layer in layers:
        groups.setdefault(group_of(layer["node"], layer["op"]), []).append(layer)
    order = sorted(groups, key=lambda g: (
        -max(layer["noise"] for layer in groups[g]),
        GROUPS.index(g) if g in GROUPS else len(GROUPS), g))

    def nodes(chosen):
        return [layer["node"] for g in chosen for layer in groups[g]]

    steps = [([], [])] + [([g], nodes([g])) for g in order]
    steps += [(order[:i], nodes(order[:i])) for i in range(2, len(order) + 1)]
    return steps


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
    for step, (groups, nodes) in enumerate(ladder(layers)):
        debugger.options.denylisted_nodes = nodes
        model = debugger.get_nondebug_quantized_model()
        path = f"{output}.step{step}"
        with open(path, "wb") as f:
            f.write(model)
        candidates.append({"path": path, "kept_float": len(nodes), "groups": groups,
                           "nodes": nodes, "size": len(model)})
    return {"ok": True, "size": candidates[0]["size"], "candidates": candidates,
            "layers": layers}
