"""What precision a `.tflite` runs in: the share of ops and of FLOPs in int8.

An op counts as float when one of its non-constant inputs (activations;
for an op fed only by weights, its outputs) is float32, as integer when
one is int8 or int16 (16x8 ops: int16 activations, counted
apart as well); ops on int32/bool only (mask and position
bookkeeping) and `QUANTIZE`/`DEQUANTIZE` (the conversions) are counted
apart and left out of the shares. FLOPs: 2 x output elements x reduced dimension for
`FULLY_CONNECTED` and `BATCH_MATMUL`, one per output element for the rest.
Dynamic-range (hybrid) ops take float activations and int8 weights: they
count as float here, as their activations are.
"""

import collections

import numpy as np

_CONVERSIONS = ("QUANTIZE", "DEQUANTIZE")
_INTEGER = (np.int8, np.int16, np.uint8)


def _flops(op, tensors):
    out = tensors[op["outputs"][0]]["shape"] if len(op["outputs"]) else []
    elements = int(np.prod(out)) if len(out) else 1
    name = op["op_name"]
    if name in ("FULLY_CONNECTED", "BATCH_MATMUL") and len(op["inputs"]) >= 2:
        first = tensors[op["inputs"][0]]["shape"]
        return 2 * elements * int(first[-1]) if len(first) else elements
    return elements


def precision_profile(path):
    """Op and FLOP counts of the `.tflite` at `path` by precision.

    Returns:
        dict with `ops` (float + integer), `integer_ops`, `conversions`,
        `index_ops`, `int8_op_share`, `int8_flop_share` (int8 or int16
        activations: integer), `int16_op_share`, `int16_flop_share` (the
        int16-activation part of those) and `float_op_types` (op name ->
        count).
    """
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=path)
    tensors = {t["index"]: t for t in interpreter.get_tensor_details()}
    ops = interpreter._get_ops_details()  # no public listing of ops
    constants = set()
    for t in tensors.values():  # weights: tensors no op writes
        constants.add(t["index"])
    for op in ops:
        constants.difference_update(op["outputs"])
    integer_flops = float_flops = int16_flops = 0
    integer_ops = conversions = index_ops = int16_ops = 0
    float_types = collections.Counter()
    for op in ops:
        if op["op_name"] in _CONVERSIONS:
            conversions += 1
            continue
        activations = [i for i in op["inputs"] if i >= 0 and i not in constants]
        probe = activations or [i for i in op["outputs"] if i >= 0]
        dtypes = {np.dtype(tensors[i]["dtype"]) for i in probe}
        flops = _flops(op, tensors)
        if np.dtype(np.float32) in dtypes:
            float_types[op["op_name"]] += 1
            float_flops += flops
        elif dtypes & {np.dtype(t) for t in _INTEGER}:
            integer_ops += 1
            integer_flops += flops
            if np.dtype(np.int16) in dtypes:
                int16_ops += 1
                int16_flops += flops
        else:  # int32 / bool bookkeeping: masks, positions
            index_ops += 1
    counted = integer_ops + sum(float_types.values())
    total_flops = integer_flops + float_flops
    return {"int16_op_share": int16_ops / counted if counted else 0.0,
            "int16_flop_share": int16_flops / total_flops if total_flops else 0.0,
            "ops": counted, "integer_ops": integer_ops, "conversions": conversions,
            "index_ops": index_ops,
            "int8_op_share": integer_ops / counted if counted else 0.0,
            "int8_flop_share": (integer_flops / (integer_flops + float_flops)
                                if integer_flops + float_flops else 0.0),
            "float_op_types": dict(float_types.most_common())}
