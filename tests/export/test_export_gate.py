"""The gate on real texts: kept by `fit`, saved with the model, used by
default, judged by the lower end of a 95% Wilson interval."""

import json
import os

import pytest

import kerasft
from kerasft.errors import ConfigError, ExportError, ParityError
from kerasft.export import export_model
from kerasft.export.parity import agreement_gate, failures
from kerasft.tasks.parity_texts import ParityTexts, select_parity_texts


def test_fit_keeps_its_training_texts_with_labels(tiny_classifier, toy_data):
    kept = tiny_classifier.parity_texts()
    assert kept["source"] == "training" and kept["total"] == len(toy_data[0])
    assert kept["texts"] == toy_data[0] and kept["labels"] == toy_data[1]


def test_validation_texts_win_and_are_stratified_and_capped():
    texts = [f"text {i}" for i in range(3000)]
    labels = ["a"] * 2400 + ["b"] * 600
    holder = ParityTexts()
    holder.keep_parity_texts(["x", "y"], ["a", "b"], validation_data=(texts, labels))
    kept = holder.parity_texts()
    assert kept["source"] == "validation" and kept["total"] == 3000
    assert len(kept["texts"]) == 1000 and kept["labels"].count("b") == 200
    assert all(t == f"text {texts.index(t)}" and labels[texts.index(t)] == y
               for t, y in zip(kept["texts"], kept["labels"]))
    pairs = select_parity_texts([("q", "a"), ("r", "b")], None, cap=1)
    assert pairs["texts"] in ([["q", "a"]], [["r", "b"]]) and pairs["labels"] is None
    assert select_parity_texts([["pre", "split", "words"]]) is None  # not kept


def test_kept_texts_survive_save_and_load(tiny_classifier, tmp_path):
    tiny_classifier.save(str(tmp_path / "model"))
    loaded = kerasft.load(str(tmp_path / "model"))
    assert loaded.parity_texts() == tiny_classifier.parity_texts()
    with open(tmp_path / "model" / "parity_texts.json", "w") as f:
        f.write("{not json")
    with pytest.raises(ConfigError, match="parity_texts.json .*Delete the file"):
        kerasft.load(str(tmp_path / "model"))


def test_default_gate_uses_kept_texts_and_names_the_texts_needed(tiny_classifier, tmp_path):
    # 64 kept texts that all agree: the interval's lower end is 94.3% < 98%.
    directory = str(tmp_path / "export")
    with pytest.raises(ParityError, match=r"tflite \(dynamic.*top-1 agreement = 100.00% "
                                          r"\(95% CI 94.3.*over 64 outputs\).*about 189 "
                                          "texts would settle it"):
        export_model(tiny_classifier, directory, formats="tflite", quantization=("none", "dynamic"),
                     latency_repeats=2, verbose=False)
    with open(os.path.join(directory + ".failed", "export_report.json")) as f:
        report = json.load(f)
    assert report["parity"]["texts"] == 64
    assert "64 of the 64 training texts kept by fit" in report["parity"]["texts_source"]
    rows = {(r["format"], r["quantization"]): r for r in report["parity"]["rows"]}
    assert rows[("tflite", "none")]["passed"]  # fp32 keeps its tolerance gate
    dynamic = rows[("tflite", "dynamic")]
    assert dynamic["compared"] == 64 and dynamic["texts_needed"] == 189
    assert dynamic["top1_agreement_ci"][0] == pytest.approx(64 / (64 + 1.959964 ** 2))
    assert "accuracy" in dynamic  # training labels came along


def test_agreement_gate_under_the_bar_cannot_be_settled():
    row = {"format": "tflite", "quantization": "int8", "file": "m.tflite",
           "max_abs_diff": 0.1, "top1_agreement": 0.97,
           **agreement_gate(0.97, 1000, 0.98)}
    assert not row["passed"] and row["texts_needed"] is None
    assert row["top1_agreement_ci"][0] < 0.97 < row["top1_agreement_ci"][1]
    (line,) = failures([row])
    assert "over 1000 outputs" in line and "more texts will not settle it" in line
    assert agreement_gate(0.995, 2000, 0.98)["passed"]


def test_labels_without_texts_refused(tiny_classifier, tmp_path):
    with pytest.raises(ExportError, match="Parity labels need their texts"):
        export_model(tiny_classifier, str(tmp_path / "x"), labels=["pos"], verbose=False)
