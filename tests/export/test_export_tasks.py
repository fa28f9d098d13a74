"""Every task head exports through the parity gate, and the standalone
runners in export/ (no TensorFlow, no kerasft) give the Keras model's
answers: labels at the saved thresholds, regression values, entity spans,
answer spans."""

import json
import os

import keras
import numpy as np
import pytest

import kerasft as kft
from kerasft.data import iob2_tags
from kerasft.export import export_model

pytest.importorskip("onnxruntime")
pytest.importorskip("tf2onnx")

FORMATS = ("saved_model", "tflite", "onnx")
TEXTS = ["Bob is in Paris with Kim", "the market news of Rome was good",
         "it was a good film and Sam liked it in New York"]
CONTEXT = ("The film opened in Paris. Critics liked it. It was made by Kim Lee in Rome, "
           "and it is Bob who wrote the music for it.")


def export(model, tmp_path, **kwargs):
    directory = str(tmp_path / "export")
    report = export_model(model, directory, formats=FORMATS, latency_repeats=3,
                                     verbose=False, **kwargs)
    assert report["passed"], report["parity"]["rows"]
    with open(os.path.join(directory, "export_config.json"), encoding="utf-8") as f:
        return directory, report, json.load(f)


@pytest.fixture(scope="module")
def multi_label(tmp_path_factory):
    keras.utils.set_random_seed(3)
    model = kft.MultiLabelClassifier.from_pretrained(
        "tiny-bert", labels=["city", "film", "person"], sequence_length=16,
        thresholds=[0.5, 0.45, 0.55])
    return model, export(model, tmp_path_factory.mktemp("ml"),
                         texts=TEXTS, labels=[["person", "city"], ["city"], ["film"]])


@pytest.mark.parametrize("runner", ["onnx", "litert"])
def test_multi_label_runner_applies_the_saved_thresholds(multi_label, runner, run_runner):
    model, (directory, report, config) = multi_label
    assert config["task_config"]["thresholds"] == pytest.approx([0.5, 0.45, 0.55])
    assert "micro_f1" in report["parity"]["rows"][0]
    want = model.predict_records(TEXTS)
    assert [w["labels"] for w in want] == model.predict_labels(TEXTS)
    got = run_runner(runner, directory, TEXTS)
    assert [r["labels"] for r in got] == [w["labels"] for w in want]
    for r, w in zip(got, want):
        assert r["scores"] == pytest.approx(w["scores"], abs=1e-5)


def test_multi_label_saved_model_returns_decisions(multi_label):
    import tensorflow as tf

    model, (directory, _, _) = multi_label
    loaded = tf.saved_model.load(os.path.join(directory, "saved_model", "1"))
    out = loaded.signatures["serving_default"](text=tf.constant(TEXTS))
    np.testing.assert_allclose(out["probabilities"].numpy(), model.predict(TEXTS), atol=1e-5)
    np.testing.assert_array_equal(out["predicted"].numpy(),
                                  model.predict(TEXTS) >= model.thresholds)


def test_pair_regressor_exports_and_runs_on_pairs(tmp_path, run_runner):
    keras.utils.set_random_seed(4)
    model = kft.TextRegressor.from_pretrained(
        "tiny-bert", target_names=["similarity"], sequence_length=24, target_mean=[2.5],
        target_std=[1.5])
    pairs = [(a, b) for a, b in zip(TEXTS, reversed(TEXTS))]
    directory, report, config = export(model, tmp_path, texts=pairs, labels=[1.0, 4.0, 2.5])
    assert config["task_config"]["target_names"] == ["similarity"]
    assert "rmse" in report["parity"]["rows"][0]
    saved = next(r for r in report["parity"]["rows"] if r["format"] == "saved_model")
    assert saved["max_abs_diff"] < 1e-4  # pairs run through the ids signature
    want = model.predict(([a for a, _ in pairs], [b for _, b in pairs]))[:, 0]
    for runner in ("onnx", "litert"):
        got = run_runner(runner, directory, ["\t".join(p) for p in pairs], "--pairs")
        np.testing.assert_allclose([r["predictions"]["similarity"] for r in got], want,
                                   atol=1e-4)


def test_ner_runners_return_the_keras_entities(tmp_path, run_runner):
    keras.utils.set_random_seed(5)
    model = kft.TokenClassifier.from_pretrained(
        "tiny-bert", tags=iob2_tags(["LOC", "PER"]), sequence_length=8, window_overlap=2)
    directory, _, config = export(model, tmp_path)
    assert config["task_config"]["window_overlap"] == 2
    assert os.path.isfile(os.path.join(directory, config["decoding_module"]))
    assert any("serving_default takes ids" in n for n in
               json.load(open(os.path.join(directory, "export_report.json")))["notes"])
    want = model.predict(TEXTS)  # the long texts need several 8-token windows
    for runner in ("onnx", "litert"):
        got = run_runner(runner, directory, TEXTS)
        assert [r["text"] for r in got] == TEXTS
        for r, w in zip(got, want):
            assert [(e["type"], e["start"], e["end"], e["text"]) for e in r["entities"]] == \
                [(e["type"], e["start"], e["end"], e["text"]) for e in w]
            assert [e["score"] for e in r["entities"]] == pytest.approx(
                [e["score"] for e in w], abs=1e-5)
    assert sum(len(w) for w in want) > 0  # a random head still tags something


def test_qa_runners_return_the_keras_answers(tmp_path, run_runner):
    keras.utils.set_random_seed(6)
    model = kft.QuestionAnswerer.from_pretrained(
        "tiny-bert", sequence_length=32, doc_stride=8, max_question_length=8)
    directory, _, config = export(model, tmp_path)
    assert config["task_config"]["doc_stride"] == 8
    assert config["outputs"] == ["end_logits", "start_logits"]  # MediaPipe BERT QA order
    contexts = [CONTEXT, "It is Kim."]
    want = model.predict(["who wrote the music?"] * 2, contexts)
    for runner in ("onnx", "litert"):
        got = run_runner(runner, directory, contexts, "--question", "who wrote the music?")
        assert [(r["answer"], r["start"], r["end"]) for r in got] == \
            [(w["answer"], w["start"], w["end"]) for w in want]
        assert [r["score"] for r in got] == pytest.approx([w["score"] for w in want], abs=1e-4)


def test_xlnet_qa_runners_score_no_answer_at_the_last_token(tmp_path):
    """XLNet's `<cls>` closes each window; the runners get `cls_position`
    from export_config.json and answer like Keras. `--question` may come
    before the contexts."""
    import subprocess
    import sys

    import fixtures_hf as hf

    keras.utils.set_random_seed(0)
    checkpoint = hf.write_encoder_checkpoint("xlnet", tmp_path / "xlnet")
    model = kft.QuestionAnswerer.from_pretrained(
        checkpoint, sequence_length=24, max_question_length=6, doc_stride=4)
    directory, _, config = export(model, tmp_path)
    assert config["task_config"]["cls_position"] == "last"
    contexts = ["the film was bad. it is kim and the film was good.", "it is lee."]
    want = model.predict(["who is it?"] * 2, contexts)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for runner in ("onnx", "litert"):
        proc = subprocess.run(
            [sys.executable, os.path.join(root, "export", f"run_{runner}.py"), directory,
             "--question", "who is it?", *contexts, "--json"],
            capture_output=True, text=True, timeout=300,
            env=dict(os.environ, PYTHONPATH=os.path.join(root, "export")))
        assert proc.returncode == 0, proc.stderr[-2000:]
        got = json.loads(proc.stdout.strip().splitlines()[-1])
        assert [(r["answer"], r["start"], r["end"]) for r in got] == \
            [(w["answer"], w["start"], w["end"]) for w in want]
        assert [r["score"] for r in got] == pytest.approx([w["score"] for w in want], abs=1e-4)
