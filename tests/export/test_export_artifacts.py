"""The tiny classifier's full export: files, report, each format's contract."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest


def _keras(model, texts, length=None):
    spec_length = length or model.preprocessor.sequence_length
    features = model.preprocessor.pad(model.preprocessor.encode(texts), spec_length)
    return features, model.predict(features, verbose=0)


def test_directory_layout_and_report(tiny_export):
    directory, report = tiny_export
    files = set(os.listdir(directory))
    assert {"saved_model", "model.tflite", "model_dynamic.tflite", "model.onnx",
            "model_dynamic.onnx", "tokenizer.json", "tokenizer_config.json", "vocab.txt",
            "labels.json", "export_config.json", "export_report.json"} <= files
    assert os.path.isfile(os.path.join(directory, "saved_model", "1", "saved_model.pb"))
    assert not [f for f in os.listdir(os.path.dirname(directory)) if ".partial-" in f]
    with open(os.path.join(directory, "labels.json")) as f:
        assert json.load(f) == ["neg", "pos"]
    with open(os.path.join(directory, "export_report.json")) as f:
        written = json.load(f)
    assert written["passed"] and report["passed"]
    assert written["tokenizer_parity"]["mismatches"] == 0
    rows = {(r["format"], r["quantization"]): r for r in written["parity"]["rows"]}
    assert set(rows) == {("keras", "none"), ("saved_model", "none"), ("tflite", "none"),
                         ("mediapipe", "none"), ("tflite", "dynamic"),
                         ("mediapipe", "dynamic"), ("onnx", "none"), ("onnx", "dynamic")}
    for key in ("saved_model", "tflite", "onnx"):
        row = rows[(key, "none")]
        assert row["max_abs_diff"] <= 1e-4 and row["top1_agreement"] == 1.0
        assert row["accuracy_delta"] == 0.0
        assert row["latency_ms_p50"] > 0 and row["size_mb"] > 0
    assert rows[("mediapipe", "none")]["max_abs_diff"] <= 1e-3
    with open(os.path.join(directory, "export_config.json")) as f:
        config = json.load(f)
    assert config["sequence_length"] == 16 and config["outputs"] == ["probabilities"]


def test_tflite_is_builtins_only_with_fixed_shape(tiny_export):
    from ai_edge_litert.interpreter import Interpreter

    directory, report = tiny_export
    for artifact in report["artifacts"]:
        if artifact["format"] == "tflite":
            assert artifact["flex_ops"] == [] and artifact["mediapipe_metadata"]
    runner = Interpreter(os.path.join(directory, "model.tflite")).get_signature_runner()
    shapes = {k: list(v["shape"]) for k, v in runner.get_input_details().items()}
    assert shapes == {"token_ids": [1, 16], "segment_ids": [1, 16], "padding_mask": [1, 16]}


@pytest.mark.parametrize("file", ["model.onnx", "model_dynamic.onnx"])
def test_onnx_dynamic_axes_two_batches_two_lengths(tiny_export, tiny_classifier, toy_data, file):
    import onnx
    import onnxruntime as ort

    directory, _ = tiny_export
    path = os.path.join(directory, file)
    model = onnx.load(path)
    assert max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")) >= 17
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    assert all(i.shape == ["batch", "sequence"] for i in session.get_inputs())
    texts = toy_data[0]
    tolerance = 1e-5 if file == "model.onnx" else 0.05
    for batch, length in [(1, 16), (5, 9)]:
        features, want = _keras(tiny_classifier, texts[:batch], length)
        got = session.run(["probabilities"], features)[0]
        assert got.shape == (batch, 2)
        np.testing.assert_allclose(got, want, atol=tolerance)


def test_saved_model_loads_without_kerasft(tiny_export, tiny_classifier, toy_data):
    directory, _ = tiny_export
    texts = toy_data[0][:6]
    script = (
        "import json, sys\n"
        "import tensorflow as tf, tensorflow_text\n"
        f"m = tf.saved_model.load({os.path.join(directory, 'saved_model', '1')!r})\n"
        "texts = json.loads(sys.stdin.read())\n"
        "out = m.signatures['serving_default'](text=tf.constant(texts))\n"
        "ids = {k: tf.constant(v) for k, v in json.loads(sys.argv[1]).items()}\n"
        "out2 = m.signatures['serving_ids'](**ids)\n"
        "assert not [k for k in sys.modules if k.startswith('kerasft')]\n"
        "print(json.dumps({'p': out['probabilities'].numpy().tolist(),\n"
        "  'label': [x.decode() for x in out['label'].numpy()],\n"
        "  'p_ids': out2['probabilities'].numpy().tolist(),\n"
        "  'signatures': sorted(m.signatures)}))\n"
    )
    features, want = _keras(tiny_classifier, texts)
    ids = {k: v.tolist() for k, v in features.items()}
    proc = subprocess.run([sys.executable, "-c", script, json.dumps(ids)], input=json.dumps(texts),
                          capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["signatures"] == ["serving_default", "serving_ids"]
    np.testing.assert_allclose(out["p"], want, atol=1e-5)
    np.testing.assert_allclose(out["p_ids"], want, atol=1e-5)
    assert out["label"] == [tiny_classifier.labels[i] for i in want.argmax(-1)]
