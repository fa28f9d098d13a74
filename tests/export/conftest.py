"""Fixtures of the export tests: a tiny trained classifier and its export,
and the 2-layer MiniLM classifier on real SST-2 texts (built once each)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def read_sst2(path, n, start=0):
    """`n` (text, label) pairs of the SST-2 file at `path`, read in place."""
    with open(path, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f][1 + start:1 + start + n]
    return [r[0] for r in rows], [("negative", "positive")[int(r[1])] for r in rows]


def fit_head(model, texts, labels):
    """Fits the classifier's Dense head by logistic regression on frozen
    backbone features: a real, decisive classifier in seconds."""
    import keras
    from sklearn.linear_model import LogisticRegression

    dense = model.get_layer("logits")
    features = keras.Model(model.inputs, dense.input)
    x = model.preprocessor.pad(model.preprocessor.encode(texts), model.preprocessor.sequence_length)
    h = features.predict(x, batch_size=32, verbose=0)
    y = model.label_vocabulary.encode(labels)
    clf = LogisticRegression(C=1.0, max_iter=2000).fit(h, y)
    if len(model.labels) == 2:  # binary LR: one row; softmax over [-z/2, z/2]
        w = np.concatenate([-clf.coef_, clf.coef_]).T / 2
        b = np.array([-clf.intercept_[0], clf.intercept_[0]]) / 2
    else:
        w, b = clf.coef_.T, clf.intercept_
    dense.set_weights([w.astype("float32"), b.astype("float32")])
    return model


@pytest.fixture(scope="session")
def sst2(shared_data):
    """`sst2(split, n, start=0)` -> (texts, labels) read from the external
    test data (see `shared_data` in tests/conftest.py)."""
    return lambda split, n, start=0: read_sst2(shared_data("glue_sst2", f"{split}.tsv"), n,
                                               start)


@pytest.fixture(scope="session")
def head_fitter():
    """`head_fitter(model, texts, labels)` fits the Dense head (see `fit_head`)."""
    return fit_head


@pytest.fixture(scope="session")
def toy_data():
    from helpers import toy_sentiment

    return toy_sentiment()


@pytest.fixture(scope="session")
def gate_data():
    """256 distinct labeled toy texts ("<pos> and <pos>", "<neg>, <neg>", ...):
    enough for a quantized artifact that agrees on all of them to clear the
    gate (the 95% interval's lower end reaches 98% from 189 texts)."""
    import itertools

    from helpers import NEGATIVE, POSITIVE

    texts, labels = [], []
    for words, label in ((POSITIVE, "pos"), (NEGATIVE, "neg")):
        for joiner in (" and ", ", "):
            for a, b in itertools.product(words, repeat=2):
                texts.append(a + joiner + b)
                labels.append(label)
    return texts, labels


@pytest.fixture(scope="session")
def tiny_classifier(toy_data):
    import keras

    import kerasft

    keras.utils.set_random_seed(7)
    model = kerasft.TextClassifier.from_pretrained(
        "tiny-bert", labels=["neg", "pos"], sequence_length=16, dropout=0.0)
    texts, labels = toy_data
    model.fit(texts, labels, epochs=4, batch_size=8, verbose=0)
    return model


@pytest.fixture(scope="session")
def tiny_export(tiny_classifier, gate_data, tmp_path_factory):
    """All formats, fp32 and dynamic-range, of the tiny classifier."""
    from kerasft.export import export_model

    directory = str(tmp_path_factory.mktemp("tiny") / "export")
    texts, labels = gate_data
    report = export_model(tiny_classifier, directory, quantization=("none", "dynamic"),
                          texts=texts, labels=labels, latency_repeats=3, verbose=False)
    return directory, report


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


def _run_runner(name, directory, texts, *extra, forbid=("tensorflow", "kerasft")):
    runner = os.path.join(ROOT, "export", f"run_{name}.py")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=os.path.join(ROOT, "export"))
    proc = subprocess.run(
        [sys.executable, "-c", _WRAPPER, runner, ",".join(forbid), directory, *texts,
         "--json", *extra],
        capture_output=True, text=True, timeout=300, env=env, cwd="/")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def run_runner():
    """`run_runner(name, export_dir, texts, *args)`: runs export/run_<name>.py
    as a subprocess with --json, failing if it imports TensorFlow or kerasft."""
    return _run_runner
