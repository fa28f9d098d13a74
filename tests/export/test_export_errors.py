"""Every error the exporter raises, and what it leaves on disk."""

import os

import keras
import pytest

from kerasft.errors import ExportError, ParityError
from kerasft.export import export_model
from kerasft.export import onnx as onnx_export
from kerasft.export import tflite
from kerasft.export.parity import check_thresholds
from kerasft.export.spec import ExportSpec, spec_for_model

QUICK = dict(formats=("saved_model",), parity=False, verbose=False)


def _siblings(directory):
    parent = os.path.dirname(directory)
    return sorted(f for f in os.listdir(parent) if f != os.path.basename(directory))


def test_existing_directory_needs_overwrite(tiny_classifier, tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.txt").write_text("x")
    with pytest.raises(ExportError, match="must not exist yet. Received: directory=.*out"):
        export_model(tiny_classifier, str(target), **QUICK)
    export_model(tiny_classifier, str(target), overwrite=True, **QUICK)
    assert not (target / "old.txt").exists()
    assert (target / "saved_model" / "1" / "saved_model.pb").is_file()
    assert _siblings(str(target)) == []


def test_unwritable_directory(tiny_classifier, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    with pytest.raises(ExportError, match="parent must be a writable directory"):
        export_model(tiny_classifier, str(blocker / "export"), **QUICK)


def test_unknown_format_and_quantization(tiny_classifier, tmp_path):
    with pytest.raises(ExportError, match="Unknown export format. Received: format='coreml'"):
        export_model(tiny_classifier, str(tmp_path / "a"), formats=("tflite", "coreml"))
    with pytest.raises(ExportError, match="Unknown export quantization. Received: "
                                          "quantization='int4'. Use one of none, float16"):
        export_model(tiny_classifier, str(tmp_path / "b"), quantization="int4")
    with pytest.raises(ExportError, match="Expected at least one format"):
        export_model(tiny_classifier, str(tmp_path / "c"), formats=())
    with pytest.raises(ExportError, match="Unknown TFLite quantization"):
        tflite.convert_saved_model(str(tmp_path), {"int4": str(tmp_path / "x.tflite")})
    assert not os.listdir(tmp_path)


def test_model_without_tokenizer_or_labels(tiny_classifier, tmp_path):
    bare = keras.Model(tiny_classifier.inputs, tiny_classifier.outputs)
    with pytest.raises(ExportError, match="needs the model's tokenizer.*Received: a model "
                                          "without one"):
        export_model(bare, str(tmp_path / "a"), **QUICK)
    tokenizer = tiny_classifier.preprocessor.tokenizer
    with pytest.raises(ExportError, match="not a classifier needs an `export_spec\\(\\)`"):
        spec_for_model(bare, tokenizer=tokenizer)
    assert not os.listdir(tmp_path)


def test_bad_arguments(tiny_classifier, tmp_path, monkeypatch):
    with pytest.raises(ExportError, match="Unknown parity threshold. Received: max_diff=0.1"):
        check_thresholds({"max_diff": 0.1})
    with pytest.raises(ExportError, match="must pair up. Received: 2 texts and 1 labels"):
        export_model(tiny_classifier, str(tmp_path / "a"), texts=["a", "b"], labels=["pos"])
    with pytest.raises(ExportError, match="batch_size must be >= 1. Received: batch_size=0"):
        export_model(tiny_classifier, str(tmp_path / "b"), batch_size=0)
    with pytest.raises(ExportError, match="sequence length must be in \\[2, 64\\]. Received: "
                                          "sequence_length=100"):
        export_model(tiny_classifier, str(tmp_path / "c"), sequence_length=100, **QUICK)
    with pytest.raises(ExportError, match="needs opset >= 17 .*Received: opset=13"):
        onnx_export.export_onnx(tiny_classifier, None, str(tmp_path / "m.onnx"), opset=13)
    with pytest.raises(ExportError, match="calibrated on representative inputs. Received: "
                                          "representative=None"):
        tflite.convert_saved_model(str(tmp_path), {"int8": str(tmp_path / "m.tflite")})
    find_spec = tflite.importlib.util.find_spec
    monkeypatch.setattr(tflite.importlib.util, "find_spec", lambda name: (
        None if name == "ai_edge_quantizer" else find_spec(name)))
    with pytest.raises(ImportError, match="Run `pip install ai-edge-quantizer`"):
        tflite.convert_saved_model(str(tmp_path), {"int8": str(tmp_path / "m.tflite")},
                                   representative={"token_ids": [[[1]]]})
    monkeypatch.undo()
    spec = spec_for_model(tiny_classifier)
    with pytest.raises(ExportError, match="must be among the model's labels .* Received: "
                                          "unknown labels \\['maybe'\\]"):
        spec.metric({"probabilities": [[0.1, 0.9]]}, ["maybe"])
    odd = ExportSpec(["token_ids", "char_ids"], ["out"], spec.tokenizer, 8)
    with pytest.raises(ExportError, match="builds `token_ids`, `segment_ids` and "
                                          "`padding_mask` inputs"):
        odd.encode(["a"])
    assert not os.listdir(tmp_path)


def test_failure_midway_leaves_nothing(tiny_classifier, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise ExportError("tf2onnx exploded (test)")

    monkeypatch.setattr(onnx_export, "export_onnx", broken)
    target = str(tmp_path / "out")
    with pytest.raises(ExportError, match="tf2onnx exploded"):
        export_model(tiny_classifier, target, formats=("saved_model", "onnx"), verbose=False)
    assert os.listdir(tmp_path) == []


def test_parity_failure_keeps_export_aside(tiny_classifier, toy_data, tmp_path):
    target = str(tmp_path / "out")
    with pytest.raises(ParityError, match="must answer like the Keras model. Received: "
                                          "saved_model .*kept aside at .*out.failed"):
        export_model(tiny_classifier, target, formats=("saved_model",), verbose=False,
                     texts=toy_data[0][:8], thresholds={"max_abs_diff": -1.0},
                     latency_repeats=2)
    assert sorted(os.listdir(tmp_path)) == ["out.failed"]
    assert os.path.isfile(os.path.join(target + ".failed", "export_report.json"))


class _Inverse(keras.layers.Layer):
    """Needs TensorFlow's MatrixInverse, which TFLite has no builtin for."""

    def call(self, x):
        import tensorflow as tf

        m = tf.reshape(x[:, :4], [-1, 2, 2]) + 3.0 * tf.eye(2)
        return tf.reshape(tf.linalg.inv(m), [-1, 4])


def test_flex_ops_are_named_and_refused_unless_allowed(tiny_classifier, tmp_path):
    backbone = tiny_classifier.backbone
    x = _Inverse()(backbone(backbone.input)["pooled_output"])
    model = keras.Model(backbone.input, keras.layers.Dense(2, activation="softmax")(x))
    model.preprocessor = tiny_classifier.preprocessor
    model.labels = ["neg", "pos"]
    with pytest.raises(ExportError, match="(?s)only with TensorFlow \\(Flex\\) ops.*Received: ops "
                                          "MatrixInverse.*allow_flex_ops=True"):
        export_model(model, str(tmp_path / "a"), formats=("tflite",), verbose=False)
    assert os.listdir(tmp_path) == []
    report = export_model(model, str(tmp_path / "b"), formats=("tflite",), verbose=False,
                          allow_flex_ops=True, parity=False)
    (artifact,) = report["artifacts"]
    assert artifact["flex_ops"] == ["MatrixInverse"] and not artifact["mediapipe_metadata"]
    assert any("MediaPipe cannot run Flex ops" in note for note in report["notes"])


def test_parity_hints_name_the_fix():
    from kerasft.export.parity import hints

    rows = [{"quantization": "int8", "passed": False}, {"quantization": "none", "passed": True}]
    (hint,) = hints(rows)
    assert "quantization='dynamic'" in hint
    assert hints([{"quantization": "none", "passed": True}]) == []


@pytest.mark.parametrize("quantization", ["int8", "int16x8"])
def test_quantizations_built_by_ai_edge_quantizer_say_how_to_install_it(
        tiny_classifier, tmp_path, monkeypatch, quantization):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None
                        if name == "ai_edge_quantizer" else real(name, *a))
    target = str(tmp_path / "out")
    with pytest.raises(ImportError, match=f"quantization='{quantization}' is built with "
                                          "ai-edge-quantizer.*pip install ai-edge-quantizer"):
        export_model(tiny_classifier, target, formats=("tflite",), quantization=quantization,
                     verbose=False)
    assert os.listdir(tmp_path) == []


def test_int16x8_hint_points_to_mixed_int8():
    from kerasft.export.parity import hints

    (hint,) = hints([{"quantization": "int16x8", "passed": False}])
    assert "quantization='int8'" in hint
