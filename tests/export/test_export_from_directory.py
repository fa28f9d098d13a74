"""`kerasft.runs.export_from_directory`: load a saved model or run, export it."""

import os

import numpy as np
import pytest

from kerasft.errors import ExportError
from kerasft.runs import export_from_directory, resolve_model_directory


def test_exports_a_run_directory(tiny_classifier, toy_data, tmp_path):
    tiny_classifier.save(str(tmp_path / "run" / "model"))
    texts, labels = toy_data
    report = export_from_directory(str(tmp_path / "run"), str(tmp_path / "export"),
                                   formats="tflite", texts=texts, labels=labels,
                                   latency_repeats=2, verbose=False)
    assert report["passed"]
    keras_row = report["parity"]["rows"][0]
    assert keras_row["accuracy"] == pytest.approx(
        float(np.mean(np.array(tiny_classifier.predict_labels(texts)) == np.array(labels))))
    assert os.path.isfile(tmp_path / "export" / "model.tflite")


def test_resolve_model_directory_errors(tmp_path):
    with pytest.raises(ExportError, match="Expected a saved kerasft model directory .* "
                                          "Received: model_dir="):
        resolve_model_directory(str(tmp_path))
