"""ONNX specifics: exact GELU (TensorFlow's Erfc) and conversion failures."""

import keras
import numpy as np
import pytest

from kerasft.errors import ExportError
from kerasft.export.onnx import export_onnx
from kerasft.export.spec import spec_for_model


def _exact_gelu_model(tiny_classifier):
    backbone = tiny_classifier.backbone
    x = backbone(backbone.input)["pooled_output"]
    x = keras.layers.Dense(8, activation=lambda t: keras.activations.gelu(t, approximate=False))(x)
    model = keras.Model(backbone.input, keras.layers.Dense(2, activation="softmax")(x))
    model.preprocessor, model.labels = tiny_classifier.preprocessor, ["neg", "pos"]
    return model


def test_exact_gelu_converts(tiny_classifier, tmp_path):
    import onnx
    import onnxruntime as ort

    model = _exact_gelu_model(tiny_classifier)
    spec = spec_for_model(model)
    path = str(tmp_path / "gelu.onnx")
    export_onnx(model, spec, path)
    ops = {node.op_type for node in onnx.load(path).graph.node}
    assert "Erf" in ops and "Erfc" not in ops
    features = spec.encode(["a good movie", "bad film and not great news"], length=12)
    got = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, features)[0]
    np.testing.assert_allclose(got, model.predict(features, verbose=0), atol=1e-6)


def test_conversion_failure_is_an_export_error(tiny_classifier, tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("Unsupported ops: Counter({'FancyOp': 1})")

    monkeypatch.setattr(keras.Model, "export", fail)
    with pytest.raises(ExportError, match="tf2onnx could not convert the model: RuntimeError: "
                                          "Unsupported ops.*Received: opset=17"):
        export_onnx(tiny_classifier, spec_for_model(tiny_classifier), str(tmp_path / "m.onnx"))
