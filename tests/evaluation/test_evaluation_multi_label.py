import json
import math

import numpy as np
import pytest

from kerasft.evaluation import multi_label_report, tune_thresholds, write_report
from kerasft.evaluation.multi_label import format_report

Y_TRUE = [[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1]]
Y_PRED = [[1, 0, 0], [0, 1, 1], [1, 0, 0], [0, 0, 1]]
NAMES = ["a", "b", "c"]


def test_report_matches_hand_computed_example():
    report = multi_label_report(Y_TRUE, Y_PRED, NAMES)
    assert report["num_examples"] == 4
    assert report["labels"] == NAMES
    expected = {"a": (1.0, 1.0, 1.0, 2), "b": (1.0, 0.5, 2 / 3, 2), "c": (0.5, 0.5, 0.5, 2)}
    for name, (p, r, f, s) in expected.items():
        c = report["per_label"][name]
        assert (c["precision"], c["recall"], c["f1"]) == pytest.approx((p, r, f))
        assert c["support"] == s and type(c["support"]) is int
    # micro: tp 4, fp 1, fn 2
    assert report["micro"] == pytest.approx({"precision": 4 / 5, "recall": 4 / 6, "f1": 8 / 11})
    assert report["macro"] == pytest.approx(
        {"precision": 5 / 6, "recall": 2 / 3, "f1": 13 / 18})
    assert report["samples"]["f1"] == pytest.approx((2 / 3 * 3 + 1) / 4)
    assert report["subset_accuracy"] == pytest.approx(1 / 4)  # only the last row is exact
    assert report["hamming_loss"] == pytest.approx(3 / 12)  # 3 wrong decisions of 12
    assert report["label_cardinality"] == pytest.approx({"true": 1.5, "predicted": 1.25})
    assert "log_loss" not in report and "average_precision" not in report
    json.dumps(report)


def test_probabilities_add_log_loss_and_average_precision():
    y_true = [[1, 0], [0, 1]]
    y_prob = [[0.8, 0.4], [0.3, 0.9]]
    report = multi_label_report(y_true, [[1, 0], [0, 1]], ["x", "y"], y_prob=y_prob)
    expected = -(math.log(0.8) + math.log(0.6) + math.log(0.7) + math.log(0.9)) / 4
    assert report["log_loss"] == pytest.approx(expected)
    assert report["average_precision"] == pytest.approx(1.0)  # each label ranked perfectly
    with pytest.raises(ValueError, match=r"y_prob of shape \(2, 2\).*Received: y_prob with shape \(2, 3\)"):
        multi_label_report(y_true, y_true, ["x", "y"], y_prob=np.full((2, 3), 0.5))


def test_label_absent_from_data_is_reported_as_zero():
    report = multi_label_report([[1, 0], [1, 0]], [[1, 0], [1, 0]], ["x", "y"])
    assert report["per_label"]["y"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0,
                                        "support": 0}
    assert report["macro"]["f1"] == pytest.approx(0.5)
    assert report["micro"]["f1"] == pytest.approx(1.0)


def test_tune_thresholds_maximizes_each_label_f1():
    y_true = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 0]])
    y_prob = np.array([[0.3, 0.9, 0.7], [0.35, 0.6, 0.2], [0.1, 0.55, 0.1], [0.2, 0.1, 0.3]])
    thresholds = tune_thresholds(y_true, y_prob, grid=[0.25, 0.5, 0.75])
    # label 0: 0.25 catches both positives and nothing else (F1 1.0);
    # label 1: 0.25 and 0.5 both give tp 2, fp 1 (F1 0.8), 0.75 gives F1 0;
    #          the tie goes to the threshold closest to the default 0.5;
    # label 2: no positive example -> the default.
    np.testing.assert_allclose(thresholds, [0.25, 0.5, 0.5])
    default = tune_thresholds(y_true, y_prob, grid=[0.25, 0.75], default=0.3)
    assert default[2] == 0.3 and default[1] == 0.25


def test_tuned_thresholds_beat_the_fixed_one():
    rng = np.random.RandomState(0)
    y_true = rng.rand(200, 4) < 0.3
    y_prob = np.clip(0.25 * y_true + 0.3 * rng.rand(200, 4), 0, 1)  # all below 0.55
    thresholds = tune_thresholds(y_true, y_prob)
    tuned = multi_label_report(y_true, y_prob >= thresholds, list("abcd"))
    fixed = multi_label_report(y_true, y_prob >= 0.5, list("abcd"))
    assert tuned["macro"]["f1"] > fixed["macro"]["f1"] + 0.2


def test_format_report_shows_labels_averages_and_thresholds(tmp_path):
    report = multi_label_report(Y_TRUE, Y_PRED, NAMES, y_prob=np.asarray(Y_PRED) * 0.8 + 0.1)
    report["thresholds"] = {"a": 0.5, "b": 0.25, "c": 0.75}
    text = format_report(report)
    lines = text.splitlines()
    assert "threshold" in lines[0]
    row_b = next(line for line in lines if line.split()[:1] == ["b"])
    assert row_b.split() == ["b", "1.000", "0.500", "0.667", "2", "0.250"]
    assert any(line.split()[:2] == ["micro", "avg"] and "0.727" in line for line in lines)
    assert any(line.split()[:2] == ["subset", "accuracy"] and "0.250" in line for line in lines)
    assert any("hamming loss" in line for line in lines)
    assert "log loss" in text
    path = write_report(report, tmp_path)
    assert json.loads(open(path).read())["thresholds"]["b"] == 0.25


def test_invalid_inputs():
    with pytest.raises(ValueError, match="multi-hot matrix of 0/1 of shape \\(examples, 3\\)"):
        multi_label_report([[1, 0], [0, 1]], [[1, 0], [0, 1]], NAMES)
    with pytest.raises(ValueError, match="Received: y_pred with shape \\(2, 3\\) and dtype float64"):
        multi_label_report([[1, 0, 0], [0, 1, 0]], [[0.9, 0, 0], [0, 1, 0]], NAMES)
    with pytest.raises(ValueError, match="same, non-zero length"):
        multi_label_report([[1, 0, 0]], [[1, 0, 0], [0, 1, 0]], NAMES)
    with pytest.raises(ValueError, match="distinct label names"):
        multi_label_report([[1, 0]], [[1, 0]], ["a", "a"])
    with pytest.raises(ValueError, match="grid of thresholds in \\(0, 1\\)"):
        tune_thresholds([[1]], [[0.5]], grid=[0.0, 0.5])
    with pytest.raises(ValueError, match="y_prob of shape \\(1, 2\\)"):
        tune_thresholds([[1, 0]], [[0.5, 0.5, 0.5]])
