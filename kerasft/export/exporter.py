"""`export_model`: one call from a Keras task model to deployable artifacts.

Output directory (written beside its final name, renamed at the end):

    saved_model/1/             SavedModel (raw-string + ids signatures)
    model.tflite               TFLite fp32, with MediaPipe metadata
    model_<quantization>.tflite
    model.onnx, model_dynamic.onnx
    tokenizer.json, tokenizer_config.json, vocab.txt
    labels.json                label names in output order
    classification.py, ner.py, ...   the task's numpy-only decoding module
                               (from kerasft/decoding/; the runners load it)
    export_config.json         what a runner needs (inputs, lengths, files)
    export_report.json         parity table, sizes, latencies, notes
"""

import datetime
import json
import os
import shutil

import kerasft.export.onnx as onnx_export
import kerasft.export.parity as parity_gate
from kerasft.errors import ExportError, ParityError
from kerasft.export.probe_texts import PROBE_TEXTS
from kerasft.export.spec import spec_for_model
from kerasft.export.text_graph import check_tokenizer_parity, supports_in_graph
from kerasft.export.tflite import CALIBRATED, QUANTIZATIONS  # TFLite takes every one
from kerasft.export.writers import plan_artifacts, write_artifacts
from kerasft.training.precision import float32_compute
from kerasft.utils.files import FAILED_SUFFIX, atomic_directory, check_destination

FORMATS = ("saved_model", "tflite", "onnx")
REPORT_FILE = "export_report.json"
CONFIG_FILE = "export_config.json"
LABELS_FILE = "labels.json"


def _as_tuple(value, name, known):
    values = (value,) if isinstance(value, str) else tuple(value or ())
    if not values:
        raise ExportError(f"Expected at least one {name}. Received: {name}s={value!r}.")
    for v in values:
        if v not in known:
            raise ExportError(
                f"Unknown export {name}. Received: {name}={v!r}. "
                f"Use one of {', '.join(known)}."
            )
    return tuple(dict.fromkeys(values))


def _check_length(model, spec):
    from kerasft.backbones.loader import max_sequence_length

    limit = max_sequence_length(getattr(model, "backbone", None)) if hasattr(
        model, "backbone") else None
    if spec.sequence_length < 2 or (limit and spec.sequence_length > limit):
        raise ExportError(
            f"The export sequence length must be in [2, {limit or 'max'}]. Received: "
            f"sequence_length={spec.sequence_length}. Use a length the backbone's "
            "position embeddings cover."
        )


def _write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, ensure_ascii=False, default=str)


def _gate_texts(model, texts, labels):
    """`(texts, labels, note)` of the parity gate: the caller's, else the
    texts `fit` kept (the model's `parity_texts()` hook), else the probes."""
    if texts is not None:
        return list(texts), labels, None
    kept = model.parity_texts() if hasattr(model, "parity_texts") else None
    if kept and kept.get("texts"):
        total = kept.get("total", len(kept["texts"]))
        return (list(kept["texts"]), kept.get("labels"),
                f"parity on {len(kept['texts'])} of the {total} {kept['source']} texts "
                "kept by fit (stratified by label)")
    return list(PROBE_TEXTS), None, (
        f"parity on the {len(PROBE_TEXTS)} built-in probe texts: too few for a quantized "
        "artifact to clear the gate (pass texts= and labels=, or fit the model on raw texts)")


def _parity_artifacts(artifacts):
    out = []
    for a in artifacts:
        if a.get("role"):  # checked by the task that wrote it
            continue
        out.append(a)
        if a.get("mediapipe_metadata"):
            out.append({**a, "format": "mediapipe"})
    return out


def export_model(model, directory, formats=FORMATS, quantization="none", *,
                 sequence_length=None, batch_size=1, texts=None, labels=None,
                 representative_texts=None, parity=True, thresholds=None,
                 allow_flex_ops=False, opset=onnx_export.MIN_OPSET, tokenizer=None,
                 overwrite=False, latency_repeats=50, timeout=1800, verbose=True, spec=None):
    """Exports a task model to SavedModel, TFLite and ONNX, gated on parity.

    Args:
        model: a kerasft task model (`keras.Model` with a preprocessor).
        directory: str. The export directory; must not exist unless
            `overwrite`.
        formats: str or sequence of `"saved_model"`, `"tflite"`, `"onnx"`.
        quantization: str or sequence of `"none"`, `"float16"`, `"dynamic"`,
            `"int8"` (accuracy-gated mixed precision), `"int8_strict"`
            (every op int8) and `"int16x8"` (every matmul int8 weights,
            int16 activations); see `kerasft.export.tflite`. Several in one
            call give one report row each (size, batch-1 latency, agreement,
            metric), measured in the same run.
            TFLite takes all, ONNX `"none"`/`"dynamic"`, SavedModel
            `"none"`. Defaults to `"none"`.
        sequence_length: int or None. Fixed TFLite length and in-graph
            truncation. Defaults to the preprocessor's.
        batch_size: int. TFLite batch (MediaPipe needs 1). Defaults to 1.
        texts: list of str or None. Held-out texts for the parity gate.
            Defaults to the texts `fit` kept (up to 1,000 validation, else
            training texts, with labels), else to 40 built-in probe texts
            (no accuracy then, and too few for a quantized artifact to
            clear the gate).
        labels: list or None. True labels of `texts` (accuracy; lists of
            label names for multi-label: micro F1; for a token classifier
            one IOB2 tag list per text, a tag per space-separated word:
            token F1).
        representative_texts: list of str or None. Calibration texts for
            `"int8"`, `"int8_strict"` and `"int16x8"`, a sample of the
            training texts. Defaults to the parity texts.
        parity: bool. Run the parity gate. Defaults to True.
        thresholds: dict or None. `max_abs_diff` (fp32, default 1e-4) and
            `min_top1_agreement` (quantized, default 0.98, held by the lower
            end of the agreement's 95% Wilson interval).
        allow_flex_ops: bool. Accept TFLite Flex ops. Defaults to False.
        opset: int. ONNX opset (>= 17).
        tokenizer: kerasft `Tokenizer` or None. Defaults to the model's.
        overwrite: bool. Replace an existing directory.
        latency_repeats: int. Batch-1 latency samples per artifact.
        timeout: float. Seconds allowed for each TFLite conversion.
        verbose: bool. Print progress and the parity table.
        spec: `ExportSpec` or None. Defaults to `spec_for_model(model,
            tokenizer, sequence_length)` (a task passes its own when it
            takes export options of its own, such as a causal LM's
            `cache_length`).

    Returns:
        dict: the export report (also written to `export_report.json`).

    Raises:
        ExportError: bad arguments, existing or unwritable directory, no
            tokenizer, a failed conversion (nothing is left under
            `directory`).
        ParityError: an artifact failed the gate; the export is moved to
            `<directory>.failed` for inspection.
    """
    say = print if verbose else (lambda *a, **k: None)
    formats = _as_tuple(formats, "format", FORMATS)
    quantizations = _as_tuple(quantization, "quantization", QUANTIZATIONS)
    limits = parity_gate.check_thresholds(thresholds)
    if texts is not None and labels is not None and len(texts) != len(labels):
        raise ExportError(
            f"Parity texts and labels must pair up. Received: {len(texts)} texts and "
            f"{len(labels)} labels. Pass one label per text."
        )
    if texts is None and labels is not None:
        raise ExportError(
            f"Parity labels need their texts. Received: labels ({len(labels)}) and "
            "texts=None. Pass texts= too, or neither (the gate then uses the texts fit kept).")
    if int(batch_size) < 1:
        raise ExportError(f"batch_size must be >= 1. Received: batch_size={batch_size}.")
    directory = check_destination(directory, overwrite, error=ExportError)
    if spec is None:
        spec = spec_for_model(model, tokenizer=tokenizer, sequence_length=sequence_length)
    _check_length(model, spec)
    parity_texts, labels, source = _gate_texts(model, texts, labels)
    labels = spec.align_labels(parity_texts, labels)
    options = {"batch_size": int(batch_size), "allow_flex_ops": allow_flex_ops,
               "opset": opset, "timeout": timeout,
               "representative_texts": list(representative_texts or parity_texts),
               "parity": parity, "parity_texts": parity_texts,
               "max_abs_diff": limits["max_abs_diff"],
               "gate": {"texts": parity_texts, "labels": labels, "limits": limits},
               "say": say}
    plan, notes = plan_artifacts(formats, quantizations)
    if source:
        notes.append(source)
    calibrated = [q for q in quantizations if q in CALIBRATED]
    if calibrated and representative_texts is None:
        notes.append(f"{', '.join(calibrated)} calibrated on the parity texts "
                     "(pass representative_texts=)")
    # Exports (and the Keras side of the parity gate) compute in float32,
    # whatever precision the model trained in.
    with float32_compute(model), atomic_directory(
            directory, overwrite, error=ExportError, keep_failed=(ParityError,)) as stage:
        gate = {"run": parity, "texts": parity_texts, "labels": labels, "source": source,
                "limits": limits, "repeats": latency_repeats}
        report = _write_export(model, spec, stage, plan, options, notes, gate, say)
        failed = parity_gate.failures(report["parity"]["rows"])
        if failed:  # the stage is kept aside at <directory>.failed
            advice = "".join(f" Hint: {h}." for h in parity_gate.hints(
                report["parity"]["rows"]))
            raise ParityError(
                "Every exported artifact must answer like the Keras model. Received: "
                + "; ".join(failed) + f". The export was kept aside at "
                f"{directory + FAILED_SUFFIX} for inspection. Fix the model, drop the "
                f"failing quantization or loosen `thresholds=`.{advice}"
            )
    report["directory"] = directory
    say(f"Export written to {directory}")
    return report


def _write_export(model, spec, stage, plan, options, notes, gate, say):
    """Writes tokenizer, labels, decoding module, artifacts, config and
    report into `stage`, running the parity gate (`gate`: `run`, `texts`,
    `labels`, `limits`, `repeats`). Returns the report."""
    parity_texts, labels = gate["texts"], gate["labels"]
    spec.tokenizer.save(stage)
    if spec.labels is not None:
        _write_json(os.path.join(stage, LABELS_FILE), spec.labels)
    if spec.decoding_module:  # numpy-only decoding the runners import
        shutil.copyfile(spec.decoding_module,
                        os.path.join(stage, os.path.basename(spec.decoding_module)))
    artifacts, more_notes, timings = write_artifacts(model, spec, stage, plan, options, say)
    report = {
        "kerasft_version": _version(), "task": spec.task_name,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "sequence_length": spec.sequence_length, "batch_size": options["batch_size"],
        "thresholds": gate["limits"], "notes": notes + more_notes, "export_seconds": timings,
        "artifacts": [{k: v for k, v in a.items() if k != "path"} for a in artifacts],
    }
    _write_json(os.path.join(stage, CONFIG_FILE), _config(spec, report))
    rows = []
    if gate["run"]:
        if supports_in_graph(spec.tokenizer) and spec.text_signature and all(
                isinstance(t, str) for t in parity_texts):
            report["tokenizer_parity"] = check_tokenizer_parity(
                spec.tokenizer, parity_texts, spec.sequence_length)
        say(f"Parity gate on {len(parity_texts)} texts ...")
        rows = parity_gate.check_parity(
            model, spec, _parity_artifacts(artifacts), parity_texts, labels,
            thresholds=gate["limits"], repeats=gate["repeats"])
        say(parity_gate.format_table(rows))
    report["parity"] = {"texts": len(parity_texts), "labeled": labels is not None,
                        "texts_source": gate["source"] or "texts= of the caller",
                        "rows": rows}
    report["passed"] = not parity_gate.failures(rows)
    _write_json(os.path.join(stage, REPORT_FILE), report)
    return report


def _version():
    from kerasft.version import __version__

    return __version__


def _config(spec, report):
    """`export_config.json`: what a runtime needs to feed the artifacts."""
    return {
        "task": spec.task_name, "sequence_length": spec.sequence_length,
        "batch_size": report["batch_size"], "inputs": spec.input_names,
        "outputs": spec.output_names,
        "labels_file": LABELS_FILE if spec.labels is not None else None,
        "tokenizer": {"file": "tokenizer.json", "type": spec.tokenizer.model_type,
                      "lowercase": bool(spec.tokenizer.lowercase),
                      "pad_token_id": int(spec.tokenizer.pad_token_id),
                      "padding_side": spec.tokenizer.padding_side},
        "task_config": spec.runner_config,
        "decoding_module": (os.path.basename(spec.decoding_module)
                            if spec.decoding_module else None),
        "artifacts": [{k: v for k, v in a.items()
                       if k not in ("mixed_precision", "precision", "dynamic_ladder")}
                      for a in report["artifacts"]],
    }
