"""`quantization="int8"` (and `"dynamic"`): pick the candidate that holds the gate.

The converter child (`_tflite_mixed.py`, with `ai-edge-quantizer`) writes
candidates with every matmul (`FULLY_CONNECTED`, `BATCH_MATMUL`) in int8
weights and activations and all other ops float, then the same keeping the
1, 2, ... matmuls most sensitive to int8 in 16x8 (int16 activations; those
16x8 does not help in float), then in float. Here each is run on
the parity texts, in that order, until one holds both bars: top-1
agreement with Keras whose 95% Wilson interval's lower end reaches
`min_top1_agreement` (98%), and a task metric (accuracy, micro F1) within
`METRIC_POINTS` of Keras'. That candidate becomes `model_int8.tflite`; the
others are deleted. If none holds, the most-float candidate is kept and the
parity gate refuses it as usual.

The candidates are chosen on the same texts the gate then judges them on,
so the gate's interval is slightly optimistic for the chosen one (a
selection among at most ~10 candidates, stopped at the first that holds).
"""

import os

import kerasft.export.runtimes as runtimes
from kerasft.export._tflite_mixed import group_of
from kerasft.export.parity import agreement_gate
from kerasft.export.tflite_ops import precision_profile

METRIC_POINTS = 0.01  # a point of accuracy / micro F1 / token F1
HIGHER_IS_BETTER = ("accuracy", "micro_f1", "token_f1")


def _metric_holds(deltas):
    return all(deltas[k] >= -METRIC_POINTS for k in deltas if k in HIGHER_IS_BETTER)


def _judge(candidates, model, spec, texts, labels, bar):
    """Yields `(candidate, step, held)` for each candidate `.tflite` in
    turn, judged on `texts` against Keras: `step` has its size, top-1
    agreement and interval, the task metric and its change; `held` is
    both bars (the gate's interval, the metric within `METRIC_POINTS`)."""
    features = spec.encode(texts)
    reference = runtimes.KerasRunner(model, spec).predict(features)
    keras_metric = spec.metric(reference, labels) or {}
    for candidate in candidates:
        outputs = runtimes.TFLiteRunner(candidate["path"], spec).predict(features)
        compared = spec.compare(reference, outputs, features)
        gate = agreement_gate(compared["top1_agreement"], compared["compared"], bar)
        metric = spec.metric(outputs, labels) or {}
        deltas = {k: metric[k] - keras_metric[k] for k in metric}
        held = gate["passed"] and _metric_holds(deltas)
        yield candidate, {"size_mb": candidate["size"] / 1e6,
                          "top1_agreement": compared["top1_agreement"],
                          "top1_agreement_ci": gate["top1_agreement_ci"], **metric,
                          **{f"{k}_delta": v for k, v in deltas.items()}, "held": held}, held


def _said(step):
    """The agreement, its interval's lower end and the metric's changes, in words."""
    return (f"agreement {step['top1_agreement']:.2%} (CI lower end "
            f"{step['top1_agreement_ci'][0]:.2%})"
            + "".join(f", Δ{k[:-6]} {v:+.4f}" for k, v in step.items() if k.endswith("_delta"))
            + (" -> kept" if step["held"] else ""))


def _keep(chosen, candidates, output):
    """Moves the chosen candidate to `output`; deletes the others."""
    os.replace(chosen["path"], output)
    for candidate in candidates:
        if os.path.exists(candidate["path"]):
            os.remove(candidate["path"])


def choose_candidate(model, spec, info, output, texts, labels, bar, say=print):
    """Evaluates the candidates in `info["candidates"]`; moves the first
    that holds the gate (else the last) to `output`.

    Returns:
        the report entry: `kept` (matmuls kept out of int8, each with its
        int8 and 16x8 noise, `kept_as` (`"int16"`: 16x8, or `"float"`) and
        why), `kept_as` (of the step: `"int16"`, 16x8 where it helps, or `"float"`),
        `steps` (each candidate tried: matmuls kept and how, agreement,
        interval, metric, held) and `precision`
        (`tflite_ops.precision_profile`).
    """
    layers, steps, chosen = info["layers"], [], None
    for candidate, step, held in _judge(info["candidates"], model, spec, texts, labels, bar):
        steps.append({"kept": candidate["kept"], "kept_as": candidate["kept_as"],
                      "kept_float": len(candidate["float_nodes"]),
                      "groups": candidate["groups"], **step})
        say(f"  int8 keeping {candidate['kept']} of {len(layers)} matmuls in "
            f"{'16x8' if candidate['kept_as'] == 'int16' else 'float'} "
            f"({len(candidate['float_nodes'])} float) "
            f"({', '.join(candidate['groups']) or 'none'}): {_said(step)}")
        chosen = candidate
        if held:
            break
    _keep(chosen, info["candidates"], output)
    before = steps[-2] if len(steps) > 1 else None
    why = (f"; with only {', '.join(before['groups']) or 'nothing'} in "
           f"{before['kept_as']} the agreement's CI lower end was "
           f"{before['top1_agreement_ci'][0]:.2%}" if before else "")
    nodes, floats = set(chosen["nodes"]), set(chosen["float_nodes"])
    kept = [{**layer, "rank": i + 1, "group": group_of(layer["node"], layer["op"]),
             "kept_as": "float" if layer["node"] in floats else "int16",
             "why": f"{group_of(layer['node'], layer['op'])} matmul; alone in int8 it adds "
                    f"{layer['noise']:.2%} error to the model's outputs (rank {i + 1} of "
                    f"{len(layers)} matmuls), {layer['noise_16x8']:.2%} in 16x8{why}"}
            for i, layer in enumerate(layers) if layer["node"] in nodes]
    return {"kept": kept, "kept_as": chosen["kept_as"], "kept_groups": chosen["groups"],
            "steps": steps,
            "held": steps[-1]["held"], "measured_ops": len(layers),
            "precision": precision_profile(output)}


DYNAMIC_STEPS = {
    "tf": "TF's dynamic-range int8: every weight int8, embedding tables too",
    "embeddings_float": "ai-edge-quantizer: int8 weights (per channel) on the "
                        "FULLY_CONNECTED matmuls only, embedding tables float",
    "embeddings_logits_float": "ai-edge-quantizer: as embeddings_float, and the "
                               "classifier's logits matmul float too"}


def choose_dynamic(model, spec, info, output, texts, labels, bar, say=print):
    """`quantization="dynamic"`: evaluates the candidates of
    `_tflite_mixed.convert_dynamic` (TF's, smallest, first) on the parity
    texts and moves the first that holds both bars (as `choose_candidate`)
    to `output`. When none holds, the one with the highest agreement
    (the smallest among ties: too few texts fail them all alike) is kept,
    and the parity gate refuses it as usual.

    Returns:
        the report entry: `chosen` (the step's name), `why`, `held` and
        `steps` (each candidate tried: name, size, agreement, interval,
        metric, held).
    """
    steps, chosen = [], None
    for candidate, step, held in _judge(info["candidates"], model, spec, texts, labels, bar):
        steps.append({"name": candidate["name"],
                      "float_matmuls": len(candidate["float_nodes"]), **step})
        say(f"  dynamic {candidate['name']} ({candidate['size'] / 1e6:.1f} MB): {_said(step)}")
        if held:
            chosen = candidate
            break
    if chosen is None:  # the best agreement; the first (smallest) among ties
        best = max(range(len(steps)), key=lambda i: (steps[i]["top1_agreement"], -i))
        chosen = info["candidates"][best]
    _keep(chosen, info["candidates"], output)
    return {"chosen": chosen["name"], "why": DYNAMIC_STEPS.get(chosen["name"], ""),
            "held": any(s["held"] for s in steps), "steps": steps}
