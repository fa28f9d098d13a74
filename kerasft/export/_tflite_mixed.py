"""Child-process half of `quantization="int8"` (mixed precision).

Imported by `_tflite_worker.py` (TensorFlow, `ai-edge-quantizer`, never
kerasft); the parent imports only `group_of`. The float `.tflite` is
quantized with Google's `ai-edge-quantizer`: every `FULLY_CONNECTED` and
`BATCH_MATMUL` (over 99% of a BERT's FLOPs) gets int8 weights (per
channel) and int8 activations (per tensor, calibrated once); every other op
(LayerNorm, Softmax, GELU, residual adds, the attention mask) stays float.
Each matmul's sensitivity is measured alone: it alone in int8, the rest
float, the error that adds to the model's outputs on calibration inputs
(`_noise`). Candidates keep the 1, 2, ... most sensitive matmuls first in
16x8 (int8 weights, int16 activations: still integer, which NPUs run), then
in float (in the 16x8 candidates, those 16x8 does not help stay float), so
that the parent can pick the first that holds the parity gate.

Measured on MiniLM (2 layers, SST-2): the two feed-forward output
projections and the classifier's logits matmul are the sensitive ones
(agreement 96% with either alone in int8, every other matmul alone >=99.5%),
as Bondarenko et al. (EMNLP 2021) found for BERT's residual stream.
"""

import re

import numpy as np

MATMULS = ("FULLY_CONNECTED", "BATCH_MATMUL")
SIGNATURE = "serving_default"
SENSITIVITY_SAMPLES = 32  # calibration inputs each matmul's noise is measured on
NO_HELP = 0.5  # 16x8 helps a matmul when it halves its int8 noise
# The roles of a transformer's matmuls, read from their tensor names.
ROLES = ("query", "key", "value", "attention_output", "feedforward_intermediate",
         "feedforward_output", "logits", "pooled", "attention_scores", "attention_values")


def group_of(node, op):
    """The role of a matmul from its tensor name and op type (one of
    `ROLES`, e.g. `"feedforward_output"`), else the op type, lowercase."""
    name = node.lower().split(";")[0]
    for role in ROLES:
        if role in name:
            return role
    if op == "BATCH_MATMUL":  # keras-hub names them MatMul (scores) and MatMul_1
        return "attention_values" if re.search(r"matmul_1$", name) else "attention_scores"
    return op.lower()


def _rule(regex, op, bits=8):
    """int8 weights (per channel) and `bits`-bit activations (per tensor;
    int16 symmetric, as TFLite's 16x8 kernels need)."""
    return {"regex": regex, "operation": op, "algorithm_key": "min_max_uniform_quantize",
            "op_config": {
                "activation_tensor_config": {"num_bits": bits, "symmetric": bits == 16,
                                             "granularity": "TENSORWISE", "dtype": "INT"},
                "weight_tensor_config": {"num_bits": 8, "symmetric": True,
                                         "granularity": "CHANNELWISE", "dtype": "INT"},
                "compute_precision": "INTEGER", "explicit_dequantize": False,
                "skip_checks": False, "min_weight_elements": 0}}


def _scope(node):
    """The regex ai-edge-quantizer matches against one op's scope (its
    output tensor name, up to the first `;`)."""
    return "^" + re.escape(node.split(";")[0]) + "(;|$)"


def recipe(ops, kept=(), kept_as="float", float_nodes=()):
    """Int8 for the matmuls `ops` (`[(node, op)]`) except those in `kept`,
    which stay float (`kept_as="float"`) or take int16 activations
    (`"int16"`; those also in `float_nodes` stay float); every other op
    float."""
    kept = set(kept)
    floats = kept if kept_as == "float" else kept & set(float_nodes)
    return [_rule(_scope(node), op, 16 if node in kept else 8) for node, op in ops
            if node not in floats]


def matmuls(model_bytes):
    """`[(node, op)]` of the model's matmuls in graph order (node: the
    output tensor's name)."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=model_bytes)
    names = {t["index"]: t["name"] for t in interpreter.get_tensor_details()}
    return [(names[op["outputs"][0]], op["op_name"])
            for op in interpreter._get_ops_details() if op["op_name"] in MATMULS]


def _outputs(model_bytes, samples):
    from ai_edge_litert.interpreter import Interpreter

    runner = Interpreter(model_content=bytes(model_bytes)).get_signature_runner(SIGNATURE)
    rows = []
    for sample in samples:
        out = runner(**sample)
        rows.append(np.concatenate([np.asarray(out[k], "float64").ravel()
                                    for k in sorted(out)]))
    return np.stack(rows)


def _noise(reference, quantized):
    """The error int8 adds to the model's outputs, relative to their size
    (root mean square over all outputs of all samples)."""
    signal = np.sqrt(np.mean(np.square(reference)))
    error = np.sqrt(np.mean(np.square(quantized - reference)))
    return float(error / max(signal, 1e-12))


def _inline(model_bytes):
    """The model with its weights inside the flatbuffer. ai-edge-quantizer
    appends large buffers after it (offsets, for files over 2 GB), which
    the MediaPipe metadata writer's rewrite drops ("Constant buffer 4
    specified an out of range offset" on load)."""
    from ai_edge_litert.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model_from_bytearray(bytearray(model_bytes))
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def _serialize_inline():
    """Makes ai-edge-quantizer write weights inside the flatbuffer, as its
    small models do (0.2 s here, against 21 s for `_inline` afterwards).
    Returns False where its internals changed (then `_inline` it is)."""
    from ai_edge_quantizer import model_modifier

    modifier = model_modifier.ModelModifier
    if not hasattr(modifier, "_serialize_small_model"):
        return False
    modifier._serialize_model = (
        lambda self, model, *args, **kwargs: self._serialize_small_model(model))
    return True


def dynamic_recipe(ops, float_nodes=(), weight_only=False):
    """Dynamic-range int8 through ai-edge-quantizer: int8 weights (one
    scale per output channel) for the `FULLY_CONNECTED` ops of `ops` (the
    matmuls with constant weights) except those in `float_nodes`;
    activations stay float and are quantized on the fly inside the kernel
    (`weight_only=True`: weights dequantized to float once, float compute).
    Embedding lookups (`GATHER`) and every other op stay float."""
    config = {"weight_tensor_config": {"num_bits": 8, "symmetric": True,
                                       "granularity": "CHANNELWISE", "dtype": "INT"},
              "compute_precision": "FLOAT" if weight_only else "INTEGER",
              "explicit_dequantize": bool(weight_only), "skip_checks": False,
              "min_weight_elements": 0}
    floats = set(float_nodes)
    return [{"regex": _scope(node), "operation": op,
             "algorithm_key": "min_max_uniform_quantize", "op_config": config}
            for node, op in ops if op == "FULLY_CONNECTED" and node not in floats]


def quantize_with(float_model, rules, calibration=None):
    """`float_model` (`.tflite` bytes) quantized by ai-edge-quantizer with
    `rules`, weights inside the flatbuffer (MediaPipe metadata needs them
    there)."""
    from ai_edge_quantizer import quantizer

    inline = _serialize_inline()
    q = quantizer.Quantizer(bytes(float_model), rules)
    model = bytes(q.quantize(calibration, enable_progress_report=False).quantized_model)
    return model if inline else _inline(model)


def convert_dynamic(tf_dynamic, float_model, output):
    """Writes the `quantization="dynamic"` candidates `<output>.step<k>`,
    smallest first: TF's dynamic-range int8 `tf_dynamic` (every weight int8,
    the embedding tables too), then with ai-edge-quantizer from the float
    `.tflite` `float_model`: int8 weights on the `FULLY_CONNECTED` matmuls
    only (embeddings float), then also the classifier's logits matmul
    float. The parent keeps the first that holds the gate. Returns the
    result entry with `candidates` (path, name, float matmuls, size)."""
    ops = matmuls(float_model)
    logits = [node for node, op in ops if group_of(node, op) == "logits"]
    builds = [("tf", [], lambda: bytes(tf_dynamic))]
    if any(op == "FULLY_CONNECTED" for _, op in ops):
        builds.append(("embeddings_float", [],
                       lambda: quantize_with(float_model, dynamic_recipe(ops))))
    if logits and len(builds) > 1:
        builds.append(("embeddings_logits_float", logits,
                       lambda: quantize_with(float_model, dynamic_recipe(ops, logits))))
    candidates = []
    for step, (name, floats, build) in enumerate(builds):
        model = build()
        path = f"{output}.step{step}"
        with open(path, "wb") as f:
            f.write(model)
        candidates.append({"path": path, "name": name, "float_nodes": floats,
                           "size": len(model)})
    return {"ok": True, "size": candidates[0]["size"], "candidates": candidates}


def convert_16x8(float_model, dataset, output):
    """Writes `output`: the float `.tflite` bytes `float_model` with every
    matmul in int8 weights and int16 activations calibrated on `dataset()`
    (dicts of input name -> array), every other op float. Returns the
    result entry."""
    from ai_edge_quantizer import quantizer

    ops = matmuls(float_model)
    if not ops:
        raise ValueError("The model has no FULLY_CONNECTED or BATCH_MATMUL op to quantize.")
    rules = recipe(ops, [node for node, _ in ops], "int16")
    calibration = quantizer.Quantizer(float_model, rules).calibrate(
        {SIGNATURE: list(dataset())})
    model = quantize_with(float_model, rules, calibration)
    with open(output, "wb") as f:
        f.write(model)
    return {"ok": True, "size": len(model)}


def ladder(layers):
    """`(kept_as, nodes)` of the candidates, cheapest first: none kept;
    then the 1, 2, ... most sensitive matmuls (`layers` is sorted most
    sensitive first; past 8, halfway and all of them), each set first in
    16x8 (`"int16"`), then in float."""
    counts = sorted({k for k in range(1, min(len(layers), 8) + 1)}
                    | {len(layers) // 2, len(layers)} - {0})
    return [("float", [])] + [(kept_as, [layer["node"] for layer in layers[:k]])
                              for k in counts for kept_as in ("int16", "float")]


def convert_mixed(float_model, dataset, output):
    """Writes `<output>.step<k>` candidates from the float `.tflite` bytes
    `float_model`, calibrated on `dataset()` (dicts of input name ->
    array); returns the result entry with `candidates` (path, the matmuls
    kept out of int8 and how) and `layers` (the matmuls ranked by noise)."""
    from ai_edge_quantizer import quantizer

    inline = _serialize_inline()
    samples = list(dataset())
    ops = matmuls(float_model)
    if not ops:
        raise ValueError("The model has no FULLY_CONNECTED or BATCH_MATMUL op to quantize.")
    every = quantizer.Quantizer(float_model, recipe(ops))
    calibration = every.calibrate({SIGNATURE: samples})

    def quantize(rules):
        if not rules:  # every matmul float: the float model
            return bytes(float_model)
        q = quantizer.Quantizer(float_model, rules)
        return bytes(q.quantize(calibration, enable_progress_report=False).quantized_model)

    probe = samples[:SENSITIVITY_SAMPLES]
    reference = _outputs(float_model, probe)
    def noise(node, op, kept_as="float"):  # the op alone in int8 (or 16x8), all else float
        kept = [node] if kept_as == "int16" else []
        return _noise(reference, _outputs(quantize(recipe([(node, op)], kept, kept_as)), probe))

    layers = [{"node": node, "op": op, "noise": noise(node, op),
               "noise_16x8": noise(node, op, "int16")} for node, op in ops]
    layers.sort(key=lambda layer: -layer["noise"])  # stable: graph order among ties
    # 16x8 candidates keep in float the matmuls 16x8 does not help (on MiniLM/
    # SST-2 the classifier's logits: 20.3% output error alone in int8, 18.0%
    # in 16x8; the feed-forward matmuls: 1.0-4.2% in int8, 0.15-0.43% in 16x8).
    no_help = {layer["node"] for layer in layers
               if layer["noise_16x8"] > NO_HELP * layer["noise"]}
    candidates, seen = [], set()
    for kept_as, nodes in ladder(layers):
        floats = nodes if kept_as == "float" else [n for n in nodes if n in no_help]
        if (tuple(nodes), tuple(floats)) in seen:  # 16x8 helps none of them
            continue
        seen.add((tuple(nodes), tuple(floats)))
        step = len(candidates)
        model = quantize(recipe(ops, nodes, kept_as, floats))
        model = model if inline else _inline(model)
        path = f"{output}.step{step}"
        with open(path, "wb") as f:
            f.write(model)
        candidates.append({"path": path, "kept": len(nodes), "kept_as": kept_as,
                           "float_nodes": floats,
                           "groups": [group_of(n, o) for n, o in ops if n in set(nodes)],
                           "nodes": nodes, "size": len(model)})
    return {"ok": True, "size": candidates[0]["size"], "candidates": candidates,
            "layers": layers}
