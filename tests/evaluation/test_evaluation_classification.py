import json
import math
import os

import numpy as np
import pytest

from kerasft.evaluation import classification_report, format_report, write_report
from kerasft.utils.files import atomic_file as replace_atomically

Y_TRUE = [0, 0, 0, 1, 1, 2]
Y_PRED = [0, 0, 1, 1, 2, 2]
NAMES = ["a", "b", "c"]


def test_report_matches_hand_computed_example():
    report = classification_report(Y_TRUE, Y_PRED, NAMES)
    assert report["num_examples"] == 6
    assert report["accuracy"] == pytest.approx(4 / 6)
    assert report["labels"] == NAMES
    assert report["confusion_matrix"] == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]
    expected = {
        "a": (1.0, 2 / 3, 0.8, 3),
        "b": (0.5, 0.5, 0.5, 2),
        "c": (0.5, 1.0, 2 / 3, 1),
    }
    for name, (p, r, f, s) in expected.items():
        c = report["per_class"][name]
        assert (c["precision"], c["recall"], c["f1"]) == pytest.approx((p, r, f))
        assert c["support"] == s and type(c["support"]) is int
    assert report["macro"] == pytest.approx(
        {"precision": 2 / 3, "recall": 13 / 18, "f1": 59 / 90})
    assert report["micro"] == pytest.approx({"precision": 4 / 6, "recall": 4 / 6, "f1": 4 / 6})
    assert report["weighted"] == pytest.approx(
        {"precision": 0.75, "recall": 4 / 6, "f1": 61 / 90})
    assert "log_loss" not in report
    json.dumps(report)  # JSON-ready: Python scalars only


def test_class_absent_from_data_is_reported_as_zero():
    report = classification_report([0, 1], [0, 1], np.array([0, 1, 2]))
    assert report["labels"] == ["0", "1", "2"]
    assert report["per_class"]["2"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0,
                                        "support": 0}
    assert report["macro"]["f1"] == pytest.approx(2 / 3)
    assert report["confusion_matrix"][2] == [0, 0, 0]


def test_log_loss_from_probabilities():
    expected = -(math.log(0.8) + math.log(0.6)) / 2
    two_columns = classification_report([0, 1], [0, 1], ["n", "p"],
                                        y_prob=np.array([[0.8, 0.2], [0.4, 0.6]]))
    assert two_columns["log_loss"] == pytest.approx(expected)
    one_column = classification_report([0, 1], [0, 1], ["n", "p"], y_prob=[0.2, 0.6])
    assert one_column["log_loss"] == pytest.approx(expected)
    with pytest.raises(ValueError, match=r"shape \(2, 2\).*Received: y_prob with shape \(2, 3\)"):
        classification_report([0, 1], [0, 1], ["n", "p"], y_prob=np.full((2, 3), 1 / 3))


def test_invalid_inputs():
    with pytest.raises(ValueError, match=r"class ids in \[0, 3\).*y_pred containing 3"):
        classification_report([0, 1], [0, 3], NAMES)
    with pytest.raises(ValueError, match=r"integer class ids.*y_true with shape \(2, 3\)"):
        classification_report(np.eye(2, 3), [0, 1], NAMES)
    with pytest.raises(ValueError, match=r"dtype <U3"):
        classification_report(["pos", "neg"], [0, 1], NAMES)
    with pytest.raises(ValueError, match=r"len\(y_true\)=2, len\(y_pred\)=1"):
        classification_report([0, 1], [0], NAMES)
    with pytest.raises(ValueError, match=r"len\(y_true\)=0"):
        classification_report([], [], NAMES)
    with pytest.raises(ValueError, match=r"distinct label names.*\['a', 'a'\]"):
        classification_report([0], [0], ["a", "a"])


def test_format_report_reads_like_sklearn():
    report = classification_report(Y_TRUE, Y_PRED, NAMES, y_prob=np.full((6, 3), 1 / 3))
    text = format_report(report)
    lines = text.splitlines()
    assert lines[0].split() == ["precision", "recall", "f1-score", "support"]
    assert lines[2].split() == ["a", "1.000", "0.667", "0.800", "3"]
    assert "accuracy" in text and "0.667" in text
    assert any(line.split() == ["macro", "avg", "0.667", "0.722", "0.656", "6"]
               for line in lines)
    assert any(line.split()[:2] == ["log", "loss"] for line in lines)
    assert lines[-4].split() == ["a", "b", "c"]
    assert lines[-3].split() == ["a", "2", "1", "0"]


def test_write_report_is_json_and_leaves_no_temp_files(tmp_path):
    report = classification_report(Y_TRUE, Y_PRED, ["négatif", "b", "c"])
    directory = tmp_path / "out" / "eval"
    path = write_report(report, directory)
    assert path == os.path.join(directory, "metrics.json")
    with open(path, encoding="utf-8") as f:
        assert json.load(f) == report
    write_report({"accuracy": 1.0}, directory)  # overwrite in place
    assert os.listdir(directory) == ["metrics.json"]
    assert os.stat(path).st_mode & 0o044  # not a private temp-file mode


def test_replace_atomically_keeps_old_file_on_failure(tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text("old")
    with pytest.raises(RuntimeError, match="boom"):
        with replace_atomically(path) as f:
            f.write("half")
            raise RuntimeError("boom")
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["metrics.json"]
