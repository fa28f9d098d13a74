"""TFLite export: fixed-shape SavedModel -> `.tflite` in a child process.

Builtin ops only by default. If the graph needs TensorFlow ops that TFLite
has no builtin kernel for (Flex / SELECT_TF_OPS), the export fails naming
them, unless `allow_flex_ops=True` (then the app must link the Flex delegate,
about +6 MB, and MediaPipe Tasks cannot run the file).

Quantization:
    none     fp32 weights and activations.
    float16  fp16 weights, dequantized at load time (half the size).
    dynamic  int8 weights, activations quantized on the fly (about 1/4):
             TF's converter (every weight int8, embeddings too); where that
             misses the parity gate and ai-edge-quantizer is installed,
             its dynamic-range int8 of the matmuls only (embedding tables
             float: larger), then with the logits matmul float too
             (`mixed_int8.choose_dynamic`).
    int8     accuracy-gated mixed precision (`ai-edge-quantizer` on the
             float model): the matmuls (over 99% of a BERT's FLOPs) in int8
             weights and activations calibrated on representative texts,
             other ops float; the matmuls most sensitive to int8 (each
             measured alone) kept in float step by step until the parity
             gate holds (`kerasft.export.mixed_int8`). Ids/mask stay int32,
             outputs float32.
    int8_strict  every op int8 (no float fallback), int8 output; ids/mask
             inputs stay int32 (a vocabulary does not fit in int8). For
             accelerators that reject float ops.
    int16x8  every matmul in int8 weights and int16 activations (calibrated
             on representative texts), every other op float, through
             ai-edge-quantizer: the 16x8 kernels NPUs and DSPs run; on CPUs
             far slower than fp32 (no optimized 16x8 kernels).

TF 2.21's own converter fails on 16x8 for keras-hub BERT graphs (legacy
quantizer: "Empty min/max for tensor serving_default_segment_ids:0"; MLIR
quantizer: the embeddings LayerNorm `tfl.mul` gets i16 and i8 operands), so
`int16x8` quantizes the float `.tflite` with ai-edge-quantizer instead.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

import kerasft.export.tflite_metadata as tflite_metadata
from kerasft.errors import ExportError

QUANTIZATIONS = ("none", "float16", "dynamic", "int8", "int8_strict", "int16x8")
CALIBRATED = ("int8", "int8_strict", "int16x8")
WITH_AEQ = ("int8", "int16x8")  # built with ai-edge-quantizer
_WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_tflite_worker.py")


def _run_worker(job, timeout, job_dir):
    """Runs the converter child on `job` (files in `job_dir`); the child is
    told this process's pid and dies with it (`_tflite_worker.die_with_parent`)."""
    job_path = os.path.join(job_dir, "job.json")
    job["result"] = os.path.join(job_dir, "result.json")
    with open(job_path, "w", encoding="utf-8") as f:
        json.dump(job, f)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", KERASFT_PARENT_PID=str(os.getpid()))
    try:
        proc = subprocess.run([sys.executable, _WORKER, job_path], env=env,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise ExportError(
            f"The TFLite conversion did not finish in {timeout} s. Received: "
            f"quantizations={list(job['outputs'])}. Raise `timeout` or export "
            "a smaller model."
        ) from e
    if not os.path.isfile(job["result"]) or proc.returncode != 0:
        raise ExportError(
            "The TFLite converter process died (exit code "
            f"{proc.returncode}; out of memory?). Received its last output: "
            f"{(proc.stderr or proc.stdout)[-1500:]}. Free memory or export "
            "a smaller model."
        )
    with open(job["result"], encoding="utf-8") as f:
        return json.load(f)


def _flex_error(result):
    ops = ", ".join(result["flex_ops"])
    details = "\n    ".join(result.get("details") or [])
    return ExportError(
        "The model converts to TFLite only with TensorFlow (Flex) ops, which have "
        "no TFLite builtin kernel, so the .tflite would need the Flex delegate "
        f"(+6 MB to the app; MediaPipe Tasks cannot run it). Received: ops {ops}"
        + (f" at\n    {details}\n" if details else ". ")
        + "Pass allow_flex_ops=True (CLI: --allow-flex-ops) to accept them, or "
        "replace the layers that use these ops."
    )


def flex_ops_in(model_bytes):
    """Names of the Flex (TensorFlow) ops a TFLite model uses."""
    from tensorflow.lite.python import schema_py_generated as schema

    model = schema.Model.GetRootAs(model_bytes, 0)
    names = set()
    for i in range(model.OperatorCodesLength()):
        custom = model.OperatorCodes(i).CustomCode()
        if custom and custom.decode().startswith("Flex"):
            names.add(custom.decode()[len("Flex"):])
    return sorted(names)


def convert_saved_model(saved_model_dir, outputs, *, input_names=(), representative=None,
                        allow_flex_ops=False, timeout=1800, signature_keys=None,
                        per_tensor=False, dynamic_ladder=False):
    """Converts a fixed-shape SavedModel to `.tflite` files in one child process.

    Args:
        saved_model_dir: str. A SavedModel with one `serving_default`
            signature over fixed shapes (`export_fixed_saved_model`).
        outputs: dict of quantization (one of `QUANTIZATIONS`) -> path.
        input_names: list of str. Signature input names (int8 calibration).
        representative: dict of name -> int32 `[n, batch, sequence]` arrays,
            the calibration inputs (int8 only).
        allow_flex_ops: bool. Accept TensorFlow (Flex) ops.
        timeout: float. Seconds before the conversions are abandoned.
        signature_keys: list of str or None. The SavedModel signatures to
            convert (one TFLite signature each). Defaults to all of them.
        per_tensor: bool. Dynamic-range int8 with one weight scale per
            tensor instead of per output channel.
        dynamic_ladder: bool. `"dynamic"` writes candidates (TF's, then
            ai-edge-quantizer's with the embeddings float, see
            `_tflite_mixed.convert_dynamic`) for the parent to gate, where
            ai-edge-quantizer is installed.

    Returns:
        dict of quantization -> `{"size", "flex_ops"}`; `"int8"` also has
        `candidates` (paths beside its output, see `mixed_int8`) and
        `layers` (matmuls ranked by int8 noise); `"dynamic"` with
        `dynamic_ladder`, `candidates`.

    Raises:
        ExportError: unknown quantization, missing calibration data, Flex
            ops needed but not allowed, or a converter failure.
        ImportError: `"int8"` without `ai-edge-quantizer` installed.
    """
    for quantization in outputs:
        if quantization not in QUANTIZATIONS:
            raise ExportError(
                "Unknown TFLite quantization. Received: "
                f"quantization={quantization!r}. Use one of {', '.join(QUANTIZATIONS)}."
            )
    needs_aeq = [q for q in outputs if q in WITH_AEQ]
    if needs_aeq and importlib.util.find_spec("ai_edge_quantizer") is None:
        raise ImportError(
            f"quantization={needs_aeq[0]!r} is built with ai-edge-quantizer, which is not "
            f"installed. Received: quantization={needs_aeq[0]!r}. Run `pip install "
            "ai-edge-quantizer` (or `pip install kerasft[export]`), or use "
            "quantization='dynamic' or 'int8_strict'."
        )
    job = {"saved_model": saved_model_dir, "outputs": dict(outputs),
           "allow_flex_ops": bool(allow_flex_ops), "input_names": list(input_names),
           "representative": None, "per_tensor": bool(per_tensor),
           # dynamic: TF's first, then ai-edge-quantizer's with float embeddings
           # (`_tflite_mixed.convert_dynamic`), where it is installed
           "dynamic_ladder": bool(dynamic_ladder and not per_tensor
                                  and importlib.util.find_spec("ai_edge_quantizer")),
           "signature_keys": None if signature_keys is None else list(signature_keys)}
    # The job's files go beside the outputs (inside the export being written),
    # not into the system temp folder.
    where = os.path.dirname(os.path.abspath(next(iter(outputs.values()), saved_model_dir)))
    tmp = tempfile.mkdtemp(prefix=".tflite-job-", dir=where)
    try:
        if set(outputs) & set(CALIBRATED):
            if not representative:
                raise ExportError(
                    "Integer activations are calibrated on representative inputs. "
                    "Received: representative=None. Pass `representative_texts=` "
                    "(a few hundred training texts)."
                )
            job["representative"] = os.path.join(tmp, "calibration.npz")
            np.savez(job["representative"], **representative)
        results = _run_worker(job, timeout, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    infos = {}
    for quantization, output in outputs.items():
        result = results.get(quantization)
        if result is None:
            continue
        if not result["ok"]:
            if result["flex_ops"]:
                raise _flex_error(result)
            raise ExportError(
                "The TFLite converter failed. Received: quantization="
                f"{quantization!r}, converter error:\n{result['error'][-2000:]}\nReport "
                "it with the model's architecture, or export without TFLite."
            )
        first = result["candidates"][0]["path"] if "candidates" in result else output
        with open(first, "rb") as f:
            info = {"size": result["size"], "flex_ops": flex_ops_in(f.read())}
        for key in ("candidates", "layers"):
            if key in result:
                info[key] = result[key]
        infos[quantization] = info
    return infos


def vocabulary_lines(tokenizer):
    """The vocabulary as one line per id, for line-numbered vocab files.

    Ids no token maps to (a token listed twice in the source vocabulary
    leaves a hole) become unique `[unusedN]` placeholders: MediaPipe skips
    blank lines, which would shift every later id by one.
    """
    lines = list(tokenizer.vocabulary)
    taken = set(lines)
    for i, token in enumerate(lines):
        if not token.strip() or "\n" in token:
            k = i
            while f"[unused{k}]" in taken:
                k += 1
            lines[i] = f"[unused{k}]"
            taken.add(lines[i])
    return lines


def add_mediapipe_metadata(path, spec):
    """Writes MediaPipe TextClassifier metadata (vocabulary and labels) or
    TextEmbedder metadata (vocabulary) into the `.tflite` at `path`, as
    `spec.mediapipe_task` says. Returns True when written, else a reason."""
    from kerasft.export.spec import MEDIAPIPE_ROLES

    if spec.mediapipe_task not in ("text_classifier", "text_embedder"):
        return f"task {spec.task_name!r} has no MediaPipe Tasks text API"
    if spec.tokenizer.model_type != "WordPiece":
        return f"MediaPipe BERT metadata needs WordPiece; got {spec.tokenizer.model_type}"
    with open(path, "rb") as f:
        model = f.read()
    roles = []
    for name in tflite_metadata.model_input_names(model):
        key = name.split("serving_default_", 1)[-1].rsplit(":", 1)[0]
        if key not in MEDIAPIPE_ROLES:
            return f"input {name!r} has no MediaPipe BERT role"
        roles.append(MEDIAPIPE_ROLES[key])
    if sorted(roles) != sorted(MEDIAPIPE_ROLES.values()):
        return f"MediaPipe BERT models take ids, mask and segment_ids; got {roles}"
    vocab = ("\n".join(vocabulary_lines(spec.tokenizer)) + "\n").encode("utf-8")
    files = {tflite_metadata.VOCAB_FILE: vocab}
    if spec.mediapipe_task == "text_embedder":
        metadata = tflite_metadata.bert_embedder_metadata(roles, name=spec.task_name)
    else:
        metadata = tflite_metadata.bert_classifier_metadata(roles, name=spec.task_name)
        files[tflite_metadata.LABELS_FILE] = ("\n".join(spec.labels) + "\n").encode("utf-8")
    out = tflite_metadata.populate_metadata(model, metadata, files)
    with open(path, "wb") as f:
        f.write(out)
    return True
