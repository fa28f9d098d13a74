"""TFLite quantizations of the tiny classifier: fp16, dynamic, mixed int8,
strict int8, 16x8; and a copy with a residual-stream outlier that strict int8
cannot hold, where mixed int8 keeps the sensitive matmuls in 16x8 or float."""

import json
import os

import numpy as np
import pytest

import kerasft
from kerasft.errors import ParityError
from kerasft.export import export_model

OUTLIER = 3000.0  # one residual channel this many times the others


@pytest.fixture(scope="module")
def quantized(tiny_classifier, gate_data, toy_data, tmp_path_factory):
    texts, labels = gate_data
    directory = str(tmp_path_factory.mktemp("quantized") / "export")
    report = export_model(tiny_classifier, directory, formats=("tflite",),
                          quantization=("none", "float16", "dynamic", "int8", "int8_strict",
                                        "int16x8"),
                          texts=texts, labels=labels, representative_texts=toy_data[0][:32],
                          latency_repeats=3, verbose=False)
    return directory, report


def test_every_quantization_written_with_metadata(quantized):
    directory, report = quantized
    names = {a["quantization"]: a for a in report["artifacts"]}
    assert set(names) == {"none", "float16", "dynamic", "int8", "int8_strict", "int16x8"}
    for q, artifact in names.items():
        assert os.path.isfile(os.path.join(directory, artifact["file"]))
        assert artifact["flex_ops"] == []
        assert artifact["mediapipe_metadata"] is (q != "int8_strict")
    assert not [f for f in os.listdir(directory) if ".step" in f]  # candidates removed
    assert not any("calibrated on the parity texts" in n for n in report["notes"])


def test_quantized_rows_pass_the_gate(quantized):
    _, report = quantized
    rows = [r for r in report["parity"]["rows"] if r["format"] != "keras"]
    # LiteRT rows for 6 files, MediaPipe rows for the 5 with metadata
    assert len(rows) == 11 and all(r["passed"] for r in rows)
    for r in rows:
        if r["quantization"] != "none":
            assert r["gate"] == "top1_agreement 95% CI lower end >= 0.98"
            assert r["compared"] == 256 and r["top1_agreement_ci"][0] >= 0.98


def test_mixed_int8_holds_at_the_first_step_on_a_benign_model(quantized):
    _, report = quantized
    mixed = next(a for a in report["artifacts"] if a["quantization"] == "int8")
    entry = mixed["mixed_precision"]
    assert entry["held"] and entry["kept"] == [] and len(entry["steps"]) == 1
    assert entry["steps"][0]["top1_agreement"] == 1.0
    assert entry["precision"]["int8_flop_share"] > 0.9
    assert entry["precision"]["int16_flop_share"] == 0.0  # nothing kept in 16x8
    assert entry["sensitivity_top"][0]["noise"] >= entry["sensitivity_top"][-1]["noise"]


def test_int16x8_runs_every_matmul_in_16x8_with_a_full_report_row(quantized):
    directory, report = quantized
    artifact = next(a for a in report["artifacts"] if a["quantization"] == "int16x8")
    precision = artifact["precision"]
    fp32 = next(a for a in report["artifacts"] if a["quantization"] == "none")["precision"]
    matmuls = sum(fp32["float_op_types"].get(op, 0)
                  for op in ("FULLY_CONNECTED", "BATCH_MATMUL"))
    # every matmul integer, all of them 16x8 (90% of this tiny model's FLOPs)
    assert precision["integer_ops"] == matmuls == 17
    assert precision["int16_flop_share"] == precision["int8_flop_share"] > 0.85
    assert "FULLY_CONNECTED" not in precision["float_op_types"]
    assert precision["float_op_types"]["SOFTMAX"] == 3  # every other op float
    row = next(r for r in report["parity"]["rows"]
               if r["quantization"] == "int16x8" and r["format"] == "tflite")
    for key in ("size_mb", "latency_ms_p50", "latency_ms_p95", "accuracy",
                "top1_agreement", "top1_agreement_ci"):
        assert key in row, key
    # embedding tables stay float: on this tiny model they are most of the file
    assert row["size_mb"] == os.path.getsize(os.path.join(directory, artifact["file"])) / 1e6


def test_int8_strict_has_an_int8_output_and_integer_ops_only(quantized):
    from ai_edge_litert.interpreter import Interpreter

    directory, report = quantized
    strict = next(a for a in report["artifacts"] if a["quantization"] == "int8_strict")
    runner = Interpreter(os.path.join(directory, strict["file"])).get_signature_runner()
    (output,) = runner.get_output_details().values()
    assert np.dtype(output["dtype"]) == np.int8
    # Ids and mask stay int32: a vocabulary does not fit in int8.
    assert {np.dtype(d["dtype"]) for d in runner.get_input_details().values()} == {
        np.dtype(np.int32)}
    precision = strict["precision"]
    assert precision["int8_flop_share"] > 0.99
    # Float survives only on the mask path (cast of the int32 mask, negation).
    assert set(precision["float_op_types"]) <= {"CAST", "NEG"}
    dynamic = next(a for a in report["artifacts"] if a["quantization"] == "dynamic")
    assert dynamic["precision"]["int8_flop_share"] == 0.0  # float activations


def test_litert_runner_dequantizes_the_int8_strict_output(quantized, tiny_classifier,
                                                          run_runner):
    texts = ["good great film", "bad bad film", "a good movie and great news"]
    results = run_runner("litert", quantized[0], texts, "--quantization", "int8_strict")
    got = np.array([[r["scores"][label] for label in tiny_classifier.labels] for r in results])
    np.testing.assert_allclose(got, tiny_classifier.predict(texts), atol=0.05)


def test_precision_profile_of_the_fp32_file(quantized):
    from kerasft.export.tflite_ops import precision_profile

    profile = precision_profile(os.path.join(quantized[0], "model.tflite"))
    assert profile["integer_ops"] == 0 and profile["int8_flop_share"] == 0.0
    assert profile["float_op_types"]["FULLY_CONNECTED"] >= 4 and profile["ops"] > 20


@pytest.fixture(scope="module")
def outlier_model(tiny_classifier, tmp_path_factory):
    """The tiny classifier with one residual channel scaled `OUTLIER`x by every
    LayerNorm: the activation outliers that break W8A8 BERT."""
    path = str(tmp_path_factory.mktemp("outlier") / "model")
    tiny_classifier.save(path)
    model = kerasft.load(path)
    for weight in model.backbone.weights:
        if "layer_norm" in weight.path and weight.path.endswith("gamma"):
            value = weight.numpy()
            value[3] *= OUTLIER
            weight.assign(value)
    return model


def test_outliers_fail_strict_int8_and_mixed_int8_keeps_sensitive_matmuls(
        outlier_model, gate_data, toy_data, tmp_path):
    texts, labels = gate_data
    directory = str(tmp_path / "export")
    with pytest.raises(ParityError, match=r"int8_strict missed the gate: its agreement's CI "
                                          r"lower end \d+\.\d+% is \d+\.\d points under 98%"
                                          r".*use quantization='int8'"):
        export_model(outlier_model, directory, formats="tflite",
                     quantization=("int8", "int8_strict"), texts=texts, labels=labels,
                     representative_texts=toy_data[0], latency_repeats=2, verbose=False)
    with open(os.path.join(directory + ".failed", "export_report.json")) as f:
        report = json.load(f)
    rows = {r["quantization"]: r for r in report["parity"]["rows"] if r["format"] == "tflite"}
    assert rows["int8"]["passed"] and not rows["int8_strict"]["passed"]
    entry = next(a for a in report["artifacts"] if a["quantization"] == "int8")[
        "mixed_precision"]
    steps = entry["steps"]
    assert entry["held"] and [s["held"] for s in steps] == [False] * (len(steps) - 1) + [True]
    assert steps[0]["top1_agreement_ci"][0] < 0.98 and steps[0]["kept"] == 0
    kept = entry["kept"]
    assert len(kept) == steps[-1]["kept"] > 0
    assert entry["kept_groups"] == steps[-1]["groups"] and entry["kept_groups"]
    assert {k["group"] for k in kept} == set(entry["kept_groups"])
    assert all(k["op"] and k["node"] and "alone in int8 it adds" in k["why"] for k in kept)
    assert "CI lower end was" in kept[0]["why"]
    # The ladder tries each kept set in 16x8 before float.
    order = [(s["kept"], s["kept_as"] == "float") for s in steps]
    assert order == sorted(order) and len(set(order)) == len(order)
    assert all(k["kept_as"] in ("int16", "float") and k["noise_16x8"] >= 0 for k in kept)
    if entry["kept_as"] == "float":
        assert all(k["kept_as"] == "float" for k in kept)
    precision = entry["precision"]
    if entry["kept_as"] == "float":  # the kept matmuls run in float, the others in int8
        kept_ops = sum(precision["float_op_types"].get(op, 0)
                       for op in ("FULLY_CONNECTED", "BATCH_MATMUL"))
        assert kept_ops == len(kept) and precision["int16_flop_share"] == 0.0
    elif all(k["kept_as"] == "float" for k in kept):
        assert precision["int16_flop_share"] == 0.0
    else:
        assert precision["int16_flop_share"] > 0.0
