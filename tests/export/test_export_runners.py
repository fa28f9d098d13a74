"""The standalone runners in export/ classify like the Keras model."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Runs a runner and fails if it imported TensorFlow or kerasft (MediaPipe
# imports TensorFlow by itself when it is installed, so only kerasft there).
_WRAPPER = """
import runpy, sys
runner, forbid = sys.argv[1], sys.argv[2].split(",")
sys.argv = sys.argv[1:2] + sys.argv[3:]
runpy.run_path(runner, run_name="__main__")
leaked = [m for m in forbid if m in sys.modules]
assert not leaked, f"the runner imported {leaked}"
"""


def run_runner(name, directory, texts, *extra, forbid=("tensorflow", "kerasft")):
    runner = os.path.join(ROOT, "export", f"run_{name}.py")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=os.path.join(ROOT, "export"))
    proc = subprocess.run(
        [sys.executable, "-c", _WRAPPER, runner, ",".join(forbid), directory, *texts,
         "--json", *extra],
        capture_output=True, text=True, timeout=300, env=env, cwd="/")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


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
def test_runner_matches_keras(tiny_export, tiny_classifier, reference, name, extra, tolerance):
    texts, want = reference
    results = run_runner(name, tiny_export[0], texts, *extra)
    got = np.array([[r["scores"][label] for label in tiny_classifier.labels] for r in results])
    np.testing.assert_allclose(got, want, atol=tolerance)
    if tolerance < 1e-3:
        assert [r["label"] for r in results] == [tiny_classifier.labels[i] for i in want.argmax(-1)]


def test_mediapipe_runner_matches_keras(tiny_export, tiny_classifier, reference):
    texts, want = reference
    # The accented text differs by design (MediaPipe keeps accents); ASCII ones match.
    results = run_runner("mediapipe", tiny_export[0], texts[:-1], forbid=("kerasft",))
    got = np.array([[r["scores"][label] for label in tiny_classifier.labels] for r in results])
    np.testing.assert_allclose(got, want[:-1], atol=1e-3)
    assert [r["label"] for r in results] == [tiny_classifier.labels[i]
                                             for i in want[:-1].argmax(-1)]


def test_runner_plain_output_and_bad_directory(tiny_export, tmp_path):
    runner = os.path.join(ROOT, "export", "run_onnx.py")
    proc = subprocess.run([sys.executable, runner, tiny_export[0], "a good movie"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    label, score, text = proc.stdout.strip().split("\t")
    assert label in ("neg", "pos") and 0.5 <= float(score) <= 1 and text == "a good movie"
    proc = subprocess.run([sys.executable, runner, str(tmp_path), "x"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0 and "not a kerasft export" in proc.stderr
