"""Child process of `kerasft.export.tflite`: converts one SavedModel.

Run as a script (`python _tflite_worker.py job.json`), so it imports only
TensorFlow, never kerasft. The TFLite converter leaks memory on every call
(tensorflow#122598); a process per conversion gives it all back.

job.json: {"saved_model", "outputs" ({quantization: path}), "allow_flex_ops",
"input_names", "signature_keys" (the signatures to convert, null: all),
"representative" (a .npz of int32 [n, batch, sequence] arrays
or null), "per_tensor" (dynamic: per-tensor weight scales), "result" (where
the result JSON goes)}. `"int8"` (mixed precision) converts to float, then
writes a ladder of candidates with `ai-edge-quantizer` (`_tflite_mixed.py`)
that the parent gates; so does `"dynamic"` with "dynamic_ladder" (TF's
dynamic-range int8, then ai-edge-quantizer's with the embeddings float). One process converts every
quantization of one model: TensorFlow is imported once, and whatever the
converter leaks goes when the process ends.
"""

import json
import os
import re
import sys
import threading
import time
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
_PR_SET_PDEATHSIG = 1


def _watch_parent(parent):
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def die_with_parent(parent=None):
    """Ends this process when its parent (pid `parent`, from the environment
    variable `KERASFT_PARENT_PID`) dies, so a killed `kerasft export` leaves no
    converter running. Linux: the kernel sends SIGKILL (`PR_SET_PDEATHSIG`);
    elsewhere a thread watches `os.getppid()`."""
    parent = parent or int(os.environ.get("KERASFT_PARENT_PID") or os.getppid())
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
                if os.getppid() != parent:  # it died before the signal was set
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _representative(path, names):
    import numpy as np

    data = np.load(path)
    n = len(data[names[0]])

    def gen():
        for i in range(n):
            yield {name: data[name][i] for name in names}

    return gen


def _flex_ops(message):
    """Ops named by the converter's "TF Select ops: A, B" line, and details."""
    match = re.search(r"TF Select ops: ([^\n]+)", message)
    ops = [op.strip() for op in match.group(1).split(",")] if match else []
    details = re.findall(r"^\s*(tf\.\w+\(.*)$", message, flags=re.M)
    return ops, details[:10]


def _converter(job, quantization):
    """The converter of `quantization` (see `kerasft.export.tflite`)."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_saved_model(
        job["saved_model"], signature_keys=job.get("signature_keys"))
    ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantization != "none":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantization == "float16":
        converter.target_spec.supported_types = [tf.float16]
    elif quantization == "dynamic" and job.get("per_tensor"):
        converter._experimental_disable_per_channel = True  # measured in bench/
    elif quantization in ("int8", "int8_strict"):
        converter.representative_dataset = _representative(
            job["representative"], job["input_names"])
    if quantization == "int8_strict":  # every op int8, int8 output (ids stay int32)
        ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_output_type = tf.int8
    if job["allow_flex_ops"]:
        ops.append(tf.lite.OpsSet.SELECT_TF_OPS)
    converter.target_spec.supported_ops = ops
    return converter


def convert(job, quantization, output):
    try:
        if quantization == "int8":  # the float model, quantized by ai-edge-quantizer
            import _tflite_mixed

            return _tflite_mixed.convert_mixed(
                _converter(job, "none").convert(),
                _representative(job["representative"], job["input_names"]), output)
        if quantization == "int16x8":  # the float model, every matmul 16x8 by AEQ
            import _tflite_mixed

            return _tflite_mixed.convert_16x8(
                _converter(job, "none").convert(),
                _representative(job["representative"], job["input_names"]), output)
        if quantization == "dynamic" and job.get("dynamic_ladder"):  # TF's, then AEQ's
            import _tflite_mixed

            return _tflite_mixed.convert_dynamic(
                _converter(job, "dynamic").convert(), _converter(job, "none").convert(),
                output)
        model = _converter(job, quantization).convert()
    except Exception as e:  # the converter raises ConverterError and others
        message = str(e)
        flex, details = _flex_ops(message)
        return {"ok": False, "error": message[-4000:], "flex_ops": flex, "details": details}
    with open(output, "wb") as f:
        f.write(model)
    return {"ok": True, "size": len(model)}


def main(path):
    with open(path, encoding="utf-8") as f:
        job = json.load(f)
    results = {}
    for quantization, output in job["outputs"].items():
        try:
            results[quantization] = convert(job, quantization, output)
        except Exception:  # report anything to the parent rather than die silently
            results[quantization] = {"ok": False, "flex_ops": [],
                                     "error": traceback.format_exc()[-4000:]}
        with open(job["result"], "w", encoding="utf-8") as f:
            json.dump(results, f)
        if not results[quantization]["ok"]:
            break


if __name__ == "__main__":
    die_with_parent()
    main(sys.argv[1])
