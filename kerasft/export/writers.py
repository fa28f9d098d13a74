"""Writes each format's artifacts into the staging directory.

One writer per format takes the `(quantization, file name)` entries planned
for it and returns the artifacts' report entries and notes.
"""

import os
import shutil
import time

import kerasft.export.onnx as onnx_export
import kerasft.export.parity as parity_gate
import kerasft.export.tflite as tflite
from kerasft.errors import ExportError
from kerasft.export.mixed_int8 import choose_candidate, choose_dynamic
from kerasft.export.saved_model import export_fixed_saved_model, export_saved_model
from kerasft.export.text_graph import supports_in_graph
from kerasft.export.tflite_ops import precision_profile

SUPPORTED = {"saved_model": ("none",), "tflite": tflite.QUANTIZATIONS,
             "onnx": onnx_export.QUANTIZATIONS}
EXTENSIONS = {"tflite": ".tflite", "onnx": ".onnx"}


def plan_artifacts(formats, quantizations):
    """(format, quantization, file name) to write, and notes on what is not."""
    plan, notes = [], []
    for fmt in formats:
        wanted = [q for q in quantizations if q in SUPPORTED[fmt]]
        skipped = [q for q in quantizations if q not in SUPPORTED[fmt]]
        if skipped:
            notes.append(f"{fmt}: quantization {', '.join(skipped)} not available "
                         f"(supported: {', '.join(SUPPORTED[fmt])})"
                         + ("; wrote fp32" if not wanted else ""))
        for q in wanted or ["none"]:
            if fmt == "saved_model":
                name = "saved_model/1"
            else:
                suffix = "" if q == "none" else f"_{q}"
                name = f"model{suffix}{EXTENSIONS[fmt]}"
            plan.append((fmt, q, name))
    return plan, notes


def _calibration(spec, texts, batch_size):
    features = spec.encode(texts)
    n = (len(texts) // batch_size) * batch_size
    if n == 0:
        raise ExportError(
            f"int8 calibration needs at least batch_size={batch_size} texts. "
            f"Received: {len(texts)} representative texts. Pass more."
        )
    return {k: v[:n].reshape(n // batch_size, batch_size, -1) for k, v in features.items()}


def _saved_model(model, spec, stage, entries, options, tmp):
    (_, name), = entries
    signatures = export_saved_model(model, spec, os.path.join(stage, name))
    notes = []
    if not spec.text_signature:
        notes.append(f"saved_model: serving_default takes ids ({spec.task_name} needs "
                     "word/answer alignment outside the graph)")
    elif not supports_in_graph(spec.tokenizer):
        notes.append(f"saved_model: serving_default takes ids (the "
                     f"{spec.tokenizer.model_type} tokenizer has no in-graph form)")
    return [{"quantization": "none", "file": name, "signatures": signatures}], notes


def _tflite(model, spec, stage, entries, options, tmp):
    fixed = os.path.join(tmp, "fixed")
    export_fixed_saved_model(model, spec, fixed, options["batch_size"])
    outputs = {q: os.path.join(stage, name) for q, name in entries}
    representative = None
    if set(outputs) & set(tflite.CALIBRATED):
        representative = _calibration(spec, options["representative_texts"],
                                      options["batch_size"])
    infos = tflite.convert_saved_model(
        fixed, outputs, input_names=spec.input_names, representative=representative,
        allow_flex_ops=options["allow_flex_ops"], timeout=options["timeout"],
        per_tensor=options.get("per_tensor", False), dynamic_ladder=True)
    artifacts, notes = [], []
    for q, name in entries:
        info = {k: v for k, v in infos[q].items() if k not in ("size", "candidates", "layers")}
        if q == "int8":
            gate = options["gate"]
            info["mixed_precision"] = choose_candidate(
                model, spec, infos[q], outputs[q], gate["texts"], gate["labels"],
                gate["limits"]["min_top1_agreement"], say=options.get("say", print))
            info["mixed_precision"]["sensitivity_top"] = infos[q]["layers"][:20]
        if q == "dynamic" and "candidates" in infos[q]:
            gate = options["gate"]
            info["dynamic_ladder"] = choose_dynamic(
                model, spec, infos[q], outputs[q], gate["texts"], gate["labels"],
                gate["limits"]["min_top1_agreement"], say=options.get("say", print))
        info["precision"] = precision_profile(outputs[q])
        if q == "int8_strict":
            metadata = "int8_strict has an int8 output; MediaPipe metadata left out"
        elif options["batch_size"] != 1:
            metadata = "MediaPipe needs batch size 1"
        elif info["flex_ops"]:
            metadata = "MediaPipe cannot run Flex ops"
        else:
            metadata = tflite.add_mediapipe_metadata(outputs[q], spec)
        info["mediapipe_metadata"] = metadata is True
        if metadata is not True:
            notes.append(f"{name}: no MediaPipe metadata ({metadata})")
        artifacts.append({"quantization": q, "file": name, **info})
    return artifacts, notes


def _onnx(model, spec, stage, entries, options, tmp):
    artifacts = []
    source = os.path.join(tmp, "model.onnx")
    onnx_export.export_onnx(model, spec, source, options["opset"])
    for q, name in entries:
        path = os.path.join(stage, name)
        if q == "none":
            shutil.copyfile(source, path)
        else:
            onnx_export.quantize_onnx(source, path)
        artifacts.append({"quantization": q, "file": name, "opset": int(options["opset"])})
    return artifacts, []


_WRITERS = {"saved_model": _saved_model, "tflite": _tflite, "onnx": _onnx}


def write_artifacts(model, spec, stage, plan, options, say):
    artifacts, notes, timings = [], [], {}
    # Intermediate files live inside the stage being written, never in the
    # system temp folder: a killed export leaves them in its stage only.
    tmp = os.path.join(stage, ".work")
    os.makedirs(tmp)
    try:
        for fmt in dict.fromkeys(f for f, _, _ in plan):
            entries = [(q, name) for f, q, name in plan if f == fmt]
            say(f"Exporting {fmt}: {', '.join(name for _, name in entries)}")
            start = time.perf_counter()
            written, more = _WRITERS[fmt](model, spec, stage, entries, options, tmp)
            extra, extra_notes = spec.extra_artifacts(model, fmt, stage, options, tmp)
            written, more = written + extra, more + extra_notes
            timings[fmt] = round(time.perf_counter() - start, 2)
            notes += more
            for artifact in written:
                path = os.path.join(stage, artifact["file"])
                artifacts.append({"format": fmt, **artifact, "path": path,
                                  "size_bytes": parity_gate.disk_size(path)})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return artifacts, notes, timings
