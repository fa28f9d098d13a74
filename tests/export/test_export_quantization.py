"""All four TFLite quantizations of the tiny classifier."""

import os

import pytest

from kerasft.export import export_model


@pytest.fixture(scope="module")
def quantized(tiny_classifier, toy_data, tmp_path_factory):
    texts, labels = toy_data
    directory = str(tmp_path_factory.mktemp("quantized") / "export")
    report = export_model(tiny_classifier, directory, formats=("tflite",),
                          quantization=("none", "float16", "dynamic", "int8"),
                          texts=texts, labels=labels, representative_texts=texts[:32],
                          latency_repeats=3, verbose=False)
    return directory, report


def test_every_quantization_written_with_metadata(quantized):
    directory, report = quantized
    names = {a["quantization"]: a for a in report["artifacts"]}
    assert set(names) == {"none", "float16", "dynamic", "int8"}
    for q, artifact in names.items():
        assert os.path.isfile(os.path.join(directory, artifact["file"]))
        assert artifact["mediapipe_metadata"] and artifact["flex_ops"] == []
    assert names["int8"]["int8_fallback"] is False
    assert not any("calibrated on the parity texts" in n for n in report["notes"])


def test_quantized_rows_pass_the_gate(quantized):
    _, report = quantized
    rows = [r for r in report["parity"]["rows"] if r["format"] != "keras"]
    assert len(rows) == 8 and all(r["passed"] for r in rows)
    for r in rows:
        if r["quantization"] != "none":
            assert r["gate"].startswith("top1_agreement >= 0.98")
