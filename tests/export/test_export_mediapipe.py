"""The phone contract on real data: MediaPipe Tasks' TextClassifier runs the
exported `.tflite` on raw SST-2 strings and agrees with the Keras model.

The model is the real MiniLM-L6 truncated to 2 layers, with its head fitted
on 400 SST-2 training sentences (so predictions are decisive, not constant).
"""

import os

import numpy as np
import pytest

from kerasft.export import export_model
from kerasft.export.parity import mediapipe_tokenizes_alike

N_HELD_OUT = 60


@pytest.fixture(scope="module")
def minilm(sst2, head_fitter):
    import kerasft

    model = kerasft.TextClassifier.from_pretrained(
        "minilm-l6", labels=["negative", "positive"], sequence_length=128,
        backbone_config={"num_layers": 2})
    texts, labels = sst2("train", 400)
    return head_fitter(model, texts, labels)


@pytest.fixture(scope="module")
def held_out(sst2, minilm):
    texts, labels = sst2("dev", N_HELD_OUT)
    return texts, labels, minilm.predict(texts)


@pytest.fixture(scope="module")
def minilm_export(minilm, held_out, sst2, tmp_path_factory):
    texts, labels, _ = held_out
    directory = str(tmp_path_factory.mktemp("minilm") / "export")
    report = export_model(minilm, directory, formats=("tflite",),
                          quantization=("none", "dynamic"), texts=texts, labels=labels,
                          latency_repeats=5, verbose=False,
                          # 60 texts put the 95% CI's lower end at most at 94%
                          thresholds={"min_top1_agreement": 0.9})
    return directory, report


def _mediapipe_scores(path, texts, labels):
    from mediapipe.tasks.python.core import base_options
    from mediapipe.tasks.python.text import text_classifier

    options = text_classifier.TextClassifierOptions(
        base_options=base_options.BaseOptions(model_asset_path=path))
    classifier = text_classifier.TextClassifier.create_from_options(options)
    try:
        scores = np.zeros((len(texts), len(labels)), dtype="float32")
        for i, text in enumerate(texts):
            for category in classifier.classify(text).classifications[0].categories:
                assert category.category_name == labels[category.index]
                scores[i, category.index] = category.score
    finally:
        classifier.close()
    return scores


def test_model_is_decisive(minilm, held_out):
    _, labels, keras_scores = held_out
    predicted = np.array(minilm.labels)[keras_scores.argmax(-1)]
    assert len(set(predicted)) == 2
    assert (predicted == np.array(labels)).mean() > 0.6


def test_mediapipe_fp32_matches_keras_on_every_text(minilm_export, held_out, minilm):
    texts, _, keras_scores = held_out
    scores = _mediapipe_scores(os.path.join(minilm_export[0], "model.tflite"), texts,
                               minilm.labels)
    np.testing.assert_array_equal(scores.argmax(-1), keras_scores.argmax(-1))
    # Scores: on the texts MediaPipe's tokenizer reads like Hugging Face's
    # (it keeps accents: "amélie" differs, see kerasft.export.parity).
    alike = np.array([mediapipe_tokenizes_alike(t) for t in texts])
    assert alike.sum() >= 50
    assert np.abs(scores - keras_scores)[alike].max() <= 1e-3


def test_mediapipe_dynamic_int8_agrees(minilm_export, held_out, minilm):
    texts, _, keras_scores = held_out
    scores = _mediapipe_scores(os.path.join(minilm_export[0], "model_dynamic.tflite"), texts,
                               minilm.labels)
    assert (scores.argmax(-1) == keras_scores.argmax(-1)).mean() >= 0.98


def test_report_sizes_and_accuracy(minilm_export):
    _, report = minilm_export
    rows = {(r["format"], r["quantization"]): r for r in report["parity"]["rows"]}
    fp32, dynamic = rows[("tflite", "none")], rows[("tflite", "dynamic")]
    assert fp32["max_abs_diff"] <= 1e-4
    assert dynamic["size_mb"] <= 0.3 * fp32["size_mb"]
    assert abs(dynamic["accuracy_delta"]) <= 0.05
    assert rows[("mediapipe", "none")]["top1_agreement"] == 1.0
    assert rows[("mediapipe", "none")]["texts_tokenized_differently"] >= 1  # "amélie"
    assert report["tokenizer_parity"]["mismatches"] == 0
