"""The standalone runners in export/ classify like the Keras model."""

import os
import subprocess
import sys

import numpy as np
import pytest


@pytest.fixture(scope="module")
def reference(tiny_classifier, toy_data):
    texts = sorted(set(toy_data[0]))[:10] + ["Café owners say it was great"]
    return texts, tiny_classifier.predict(texts)


@pytest.mark.parametrize("name,extra,tolerance", [
    ("litert", (), 1e-5),
    ("onnx", (), 1e-5),
    ("litert", ("--quantization", "dynamic"), 0.05),
    ("onnx", ("--model", "model_dynamic.onnx"), 0.05),
])
def test_runner_matches_keras(tiny_export, tiny_classifier, reference, name, extra, tolerance,
                              run_runner):
    texts, want = reference
    results = run_runner(name, tiny_export[0], texts, *extra)
    got = np.array([[r["scores"][label] for label in tiny_classifier.labels] for r in results])
    np.testing.assert_allclose(got, want, atol=tolerance)
    if tolerance < 1e-3:
        assert [r["label"] for r in results] == [tiny_classifier.labels[i] for i in want.argmax(-1)]


def test_mediapipe_runner_matches_keras(tiny_export, tiny_classifier, reference, run_runner):
    texts, want = reference
    # The accented text differs by design (MediaPipe keeps accents); ASCII ones match.
    results = run_runner("mediapipe", tiny_export[0], texts[:-1], forbid=("kerasft",))
    got = np.array([[r["scores"][label] for label in tiny_classifier.labels] for r in results])
    np.testing.assert_allclose(got, want[:-1], atol=1e-3)
    assert [r["label"] for r in results] == [tiny_classifier.labels[i]
                                             for i in want[:-1].argmax(-1)]


def test_runner_plain_output_and_bad_directory(tiny_export, tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    runner = os.path.join(root, "export", "run_onnx.py")
    proc = subprocess.run([sys.executable, runner, tiny_export[0], "a good movie"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    label, score, text = proc.stdout.strip().split("\t")
    assert label in ("neg", "pos") and 0.5 <= float(score) <= 1 and text == "a good movie"
    proc = subprocess.run([sys.executable, runner, str(tmp_path), "x"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0 and "not a kerasft export" in proc.stderr
