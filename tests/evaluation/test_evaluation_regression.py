import json
import math

import numpy as np
import pytest

from kerasft.evaluation import plot_predictions, regression_report, write_report
from kerasft.evaluation.regression import format_report


def test_report_matches_hand_computed_example():
    report = regression_report([1.0, 2.0, 3.0, 4.0], [2.0, 2.0, 3.0, 6.0])
    assert report["num_examples"] == 4 and report["targets"] == ["target"]
    m = report["per_target"]["target"]
    # errors 1, 0, 0, 2
    assert m["mse"] == pytest.approx(5 / 4)
    assert m["rmse"] == pytest.approx(math.sqrt(5 / 4))
    assert m["mae"] == pytest.approx(3 / 4)
    # deviations from the means: true (-1.5, -.5, .5, 1.5), predicted (-1.25, -1.25, -.25, 2.75)
    assert m["pearson"] == pytest.approx(6.5 / math.sqrt(5 * 10.75))
    # ranks: true (1, 2, 3, 4), predicted (1.5, 1.5, 3, 4)
    assert m["spearman"] == pytest.approx(4.5 / math.sqrt(5 * 4.5))
    assert report["average"] == pytest.approx(m)
    json.dumps(report)


def test_several_targets_are_reported_by_name_and_averaged():
    y_true = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]])
    y_pred = np.array([[1.0, 12.0], [2.0, 18.0], [4.0, 30.0]])
    report = regression_report(y_true, y_pred, ["small", "large"])
    assert report["targets"] == ["small", "large"]
    assert report["per_target"]["small"]["mae"] == pytest.approx(1 / 3)
    assert report["per_target"]["large"]["mae"] == pytest.approx(4 / 3)
    assert report["average"]["mae"] == pytest.approx(5 / 6)
    assert report["per_target"]["large"]["mse"] == pytest.approx(8 / 3)
    text = format_report(report)
    assert text.splitlines()[0].split() == ["mse", "rmse", "mae", "pearson", "spearman"]
    assert [line.split()[0] for line in text.splitlines()[2:5]] == ["small", "large", "average"]


def test_constant_predictions_have_no_correlation():
    report = regression_report([1.0, 2.0, 3.0], [2.0, 2.0, 2.0])
    assert report["per_target"]["target"]["pearson"] is None
    assert report["per_target"]["target"]["spearman"] is None
    assert report["per_target"]["target"]["mse"] == pytest.approx(2 / 3)
    assert report["average"]["pearson"] is None
    assert "n/a" in format_report(report)


def test_invalid_inputs():
    with pytest.raises(ValueError, match=r"finite numbers in y_true. Received: y_true\[1, 0\]=nan"):
        regression_report([1.0, float("nan")], [1.0, 2.0])
    with pytest.raises(ValueError, match="same, non-zero length"):
        regression_report([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match=r"Received: y_pred with shape \(2, 2\)"):
        regression_report([1.0, 2.0], [[1.0, 1.0], [2.0, 2.0]])
    with pytest.raises(ValueError, match="Expected 1 distinct target names"):
        regression_report([1.0, 2.0], [1.0, 2.0], ["a", "b"])


def test_plot_predictions_and_write_report(tmp_path):
    y_true, y_pred = [[1.0, 5.0], [2.0, 4.0]], [[1.5, 5.0], [2.0, 3.0]]
    path = plot_predictions(y_true, y_pred, ["x", "y"], tmp_path / "p.png")
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    report = regression_report(y_true, y_pred, ["x", "y"])
    written = write_report(report, tmp_path)
    assert json.loads(open(written).read())["per_target"]["x"]["mae"] == pytest.approx(0.25)
