"""Multi-label metrics: a JSON-ready report, a text table, threshold tuning.

Inputs are multi-hot matrices of shape `(examples, labels)`. The headline
numbers are micro and macro F1; subset accuracy (every label of an example
right) and the Hamming loss (fraction of wrong label decisions) complete them.
"""

import numpy as np
from sklearn import metrics

from kerasft.evaluation.classification import check_label_names, check_pair

AVERAGES = ("micro", "macro", "weighted", "samples")
DEFAULT_GRID = tuple(np.round(np.arange(0.05, 0.951, 0.025), 3).tolist())


def _as_multi_hot(values, name, num_labels):
    array = np.asarray(values)
    if array.ndim != 2 or array.shape[1] != num_labels or not (
            array.size == 0 or np.isin(array, (0, 1)).all()):
        raise ValueError(
            f"Expected {name} as a multi-hot matrix of 0/1 of shape (examples, "
            f"{num_labels}). Received: {name} with shape {array.shape} and dtype "
            f"{array.dtype}. Encode label lists with the model's vocabulary "
            "(MultiLabelClassifier.encode_targets) and threshold probabilities."
        )
    return array.astype("int64")


def _as_probabilities(y_prob, shape, name="y_prob"):
    prob = np.asarray(y_prob, dtype="float64")
    if prob.shape != shape:
        raise ValueError(
            f"Expected {name} of shape {shape} (examples, labels). Received: "
            f"{name} with shape {prob.shape}. Pass the model's sigmoid outputs."
        )
    return prob


def multi_label_report(y_true, y_pred, label_names, y_prob=None):
    """Computes micro/macro F1, per-label scores, Hamming loss, subset accuracy.

    Every label in `label_names` is reported, even if absent from the data
    (`zero_division=0`).

    Args:
        y_true: array of shape `(n, num_labels)`. True multi-hot labels.
        y_pred: array of shape `(n, num_labels)`. Predicted multi-hot labels.
        label_names: list. Label names in column order (stored as str).
        y_prob: array of shape `(n, num_labels)`, or None. Predicted
            probabilities; when given, the report includes
            `"average_precision"` (macro, over labels with a positive
            example) and `"log_loss"` (mean binary cross-entropy).

    Returns:
        A JSON-ready dict: `"num_examples"`, `"micro"`, `"macro"`,
        `"weighted"` and `"samples"` (each `{"precision", "recall", "f1"}`),
        `"subset_accuracy"`, `"hamming_loss"`, `"label_cardinality"`
        (`{"true", "predicted"}` mean labels per example), `"per_label"`
        (`{name: {"precision", "recall", "f1", "support"}}`) and `"labels"`.

    Raises:
        ValueError: empty or mismatched inputs, non-binary matrices, duplicate
            label names, or `y_prob` of the wrong shape.

    Example:

    >>> report = multi_label_report([[1, 0], [1, 1]], [[1, 0], [1, 0]], ["a", "b"])
    >>> report["subset_accuracy"], report["hamming_loss"], report["micro"]["f1"]
    (0.5, 0.25, 0.8)
    """
    names = check_label_names(label_names, per="column")
    y_true, y_pred = check_pair(_as_multi_hot(y_true, "y_true", len(names)),
                                _as_multi_hot(y_pred, "y_pred", len(names)))
    report = {"num_examples": int(len(y_true))}
    for average in AVERAGES:
        p, r, f, _ = metrics.precision_recall_fscore_support(
            y_true, y_pred, average=average, zero_division=0)
        report[average] = {"precision": float(p), "recall": float(r), "f1": float(f)}
    report["subset_accuracy"] = float(metrics.accuracy_score(y_true, y_pred))
    report["hamming_loss"] = float(metrics.hamming_loss(y_true, y_pred))
    report["label_cardinality"] = {"true": float(y_true.sum(1).mean()),
                                   "predicted": float(y_pred.sum(1).mean())}
    p, r, f, s = metrics.precision_recall_fscore_support(
        y_true, y_pred, average=None, zero_division=0)
    report["per_label"] = {
        name: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
               "support": int(s[i])}
        for i, name in enumerate(names)
    }
    report["labels"] = names
    if y_prob is not None:
        prob = _as_probabilities(y_prob, y_true.shape)
        present = y_true.sum(0) > 0
        report["average_precision"] = float(metrics.average_precision_score(
            y_true[:, present], prob[:, present], average="macro")) if present.any() else 0.0
        clipped = np.clip(prob, 1e-7, 1 - 1e-7)
        report["log_loss"] = float(-np.mean(
            y_true * np.log(clipped) + (1 - y_true) * np.log(1 - clipped)))
    return report


def tune_thresholds(y_true, y_prob, grid=DEFAULT_GRID, default=0.5):
    """Per-label decision thresholds that maximize each label's F1.

    For each label, every threshold of `grid` is tried (predict the label
    when probability >= threshold); the one with the highest F1 wins, ties
    going to the threshold closest to `default`. A label without a positive
    example in `y_true` keeps `default`, as F1 is undefined for it.

    Args:
        y_true: array of shape `(n, num_labels)`. True multi-hot labels.
        y_prob: array of shape `(n, num_labels)`. Predicted probabilities.
        grid: sequence of float in (0, 1). Candidate thresholds. Defaults to
            0.05, 0.075, ..., 0.95.
        default: float. Threshold of labels that cannot be tuned. Defaults
            to `0.5`.

    Returns:
        A float64 array of `num_labels` thresholds.

    Example:

    >>> tune_thresholds([[1], [0], [1]], [[0.3], [0.2], [0.9]], grid=[0.25, 0.5]).tolist()
    [0.25]
    """
    y_true = np.asarray(y_true)
    y_true = _as_multi_hot(y_true, "y_true", y_true.shape[-1] if y_true.ndim == 2 else -1)
    prob = _as_probabilities(y_prob, y_true.shape)
    grid = np.asarray(sorted(grid), dtype="float64")
    if grid.ndim != 1 or not grid.size or grid.min() <= 0 or grid.max() >= 1:
        raise ValueError(
            "Expected a non-empty grid of thresholds in (0, 1). Received: "
            f"grid={grid.tolist()}. Pass e.g. grid=[0.1, 0.2, ..., 0.9]."
        )
    # predictions[g, i, j] = prob[i, j] >= grid[g]
    predicted = prob[None, :, :] >= grid[:, None, None]
    positive = y_true[None, :, :].astype(bool)
    tp = (predicted & positive).sum(1)
    fp = (predicted & ~positive).sum(1)
    fn = (~predicted & positive).sum(1)
    f1 = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
    # Highest F1, then closest to `default`.
    score = f1 - 1e-9 * np.abs(grid - default)[:, None]
    thresholds = grid[np.argmax(score, axis=0)]
    return np.where(y_true.sum(0) > 0, thresholds, default)


def format_report(report, digits=3):
    """Formats a `multi_label_report` as a text table.

    Args:
        report: dict. The output of `multi_label_report` (a `"thresholds"`
            entry, `{name: float}`, adds a column).
        digits: int. Decimals shown. Defaults to `3`.

    Returns:
        A multi-line str: per-label rows, the averages, subset accuracy,
        Hamming loss and, when present, average precision and log loss.
    """
    names = report["labels"]
    thresholds = report.get("thresholds")
    width = max(len("subset accuracy"), *(len(name) for name in names))
    column = max(digits + 3, 9) + 1
    headers = ["precision", "recall", "f1-score", "support"]
    if thresholds:
        headers.append("threshold")

    def row(name, values):
        cells = "".join(f"{v:>{column}.{digits}f}" if isinstance(v, float)
                        else f"{v:>{column}}" for v in values)
        return f"{name:>{width}}{cells}"

    lines = [" " * width + "".join(f"{h:>{column}}" for h in headers), ""]
    for name in names:
        c = report["per_label"][name]
        values = [c["precision"], c["recall"], c["f1"], c["support"]]
        if thresholds:
            values.append(float(thresholds[name]))
        lines.append(row(name, values))
    n = report["num_examples"]
    lines.append("")
    for average in AVERAGES:
        a = report[average]
        lines.append(row(f"{average} avg", [a["precision"], a["recall"], a["f1"], n]))
    lines += ["", row("subset accuracy", ["", "", report["subset_accuracy"], n]),
              row("hamming loss", ["", "", report["hamming_loss"], n])]
    for key, title in (("average_precision", "avg precision"), ("log_loss", "log loss")):
        if key in report:
            lines.append(row(title, ["", "", report[key], n]))
    cardinality = report["label_cardinality"]
    lines.append(f"labels per example: true {cardinality['true']:.{digits}f}, "
                 f"predicted {cardinality['predicted']:.{digits}f}")
    return "\n".join(lines)
