"""Classification metrics: a JSON-ready report, a text table, and `metrics.json`."""

import json
import os

import numpy as np
from sklearn import metrics

from kerasft.utils.files import atomic_file

AVERAGES = ("macro", "micro", "weighted")
METRICS_FILENAME = "metrics.json"


def _as_class_ids(values, name, num_classes):
    ids = np.asarray(values)
    if ids.ndim != 1 or not (ids.size == 0 or np.issubdtype(ids.dtype, np.integer)):
        raise ValueError(
            f"Expected {name} as a 1-D sequence of integer class ids. Received: "
            f"{name} with shape {ids.shape} and dtype {ids.dtype}. Encode labels "
            "with LabelVocabulary.encode, and take argmax of probabilities."
        )
    bad = ids[(ids < 0) | (ids >= num_classes)]
    if bad.size:
        raise ValueError(
            f"Expected class ids in [0, {num_classes}) (one per label name). "
            f"Received: {name} containing {int(bad[0])}. Pass the label_names of "
            "the vocabulary the ids were encoded with."
        )
    return ids


def _as_probabilities(y_prob, n, num_classes):
    prob = np.asarray(y_prob, dtype="float64")
    if prob.ndim == 1 and num_classes == 2:  # P(class 1) of a binary model
        prob = np.stack([1.0 - prob, prob], axis=-1)
    if prob.shape != (n, num_classes):
        raise ValueError(
            f"Expected y_prob of shape ({n}, {num_classes}) (examples, classes). "
            f"Received: y_prob with shape {prob.shape}. Pass the model's "
            "predicted class probabilities."
        )
    return prob


def classification_report(y_true, y_pred, label_names, y_prob=None):
    """Computes accuracy, precision, recall, F1 and the confusion matrix.

    Every class in `label_names` is reported, even if absent from the data
    (scikit-learn with `labels=range(len(label_names))`, `zero_division=0`).

    Args:
        y_true: sequence of int. True class ids.
        y_pred: sequence of int. Predicted class ids.
        label_names: list. Class names in class-id order (stored as str).
        y_prob: array of shape `(n, num_classes)`, or None. Predicted
            probabilities; when given, the report includes `"log_loss"`.
            Defaults to `None`.

    Returns:
        A JSON-ready dict: `"num_examples"`, `"accuracy"`, `"macro"`,
        `"micro"` and `"weighted"` (each `{"precision", "recall", "f1"}`),
        `"per_class"` (`{name: {"precision", "recall", "f1", "support"}}`),
        `"labels"` (names in class-id order), `"confusion_matrix"` (list of
        rows; row = true class, column = predicted class, in `"labels"` order)
        and, with `y_prob`, `"log_loss"`.

    Raises:
        ValueError: empty or mismatched inputs, ids out of range, duplicate
            label names, or `y_prob` of the wrong shape.

    Example:

    >>> report = classification_report([0, 1, 1], [0, 1, 0], ["neg", "pos"])
    >>> round(report["accuracy"], 3), report["confusion_matrix"]
    (0.667, [[1, 0], [1, 1]])
    """
    names = check_label_names(label_names)
    y_true, y_pred = check_pair(_as_class_ids(y_true, "y_true", len(names)),
                                _as_class_ids(y_pred, "y_pred", len(names)))
    k = len(names)
    classes = list(range(k))
    report = {
        "num_examples": int(len(y_true)),
        "accuracy": float(metrics.accuracy_score(y_true, y_pred)),
    }
    for average in AVERAGES:
        p, r, f, _ = metrics.precision_recall_fscore_support(
            y_true, y_pred, labels=classes, average=average, zero_division=0
        )
        report[average] = {"precision": float(p), "recall": float(r), "f1": float(f)}
    p, r, f, s = metrics.precision_recall_fscore_support(
        y_true, y_pred, labels=classes, average=None, zero_division=0
    )
    report["per_class"] = {
        name: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
               "support": int(s[i])}
        for i, name in enumerate(names)
    }
    report["labels"] = names
    matrix = metrics.confusion_matrix(y_true, y_pred, labels=classes)
    report["confusion_matrix"] = matrix.tolist()
    if y_prob is not None:
        prob = _as_probabilities(y_prob, len(y_true), k)
        report["log_loss"] = float(metrics.log_loss(y_true, prob, labels=classes))
    return report


def table_rows(names, columns, digits=3):
    """`(row, header)` of a right-aligned text table like scikit-learn's:
    `row(name, values)` formats one line (floats with `digits` decimals);
    `header` names the `columns`; the row `names` (and "weighted avg") size
    the first column."""
    width = max(len("weighted avg"), *(len(str(n)) for n in names))
    column = max(digits + 3, 9) + 1

    def row(name, values):
        cells = "".join(f"{v:>{column}.{digits}f}" if isinstance(v, float)
                        else f"{v:>{column}}" for v in values)
        return f"{name:>{width}}{cells}"

    return row, " " * width + "".join(f"{h:>{column}}" for h in columns)


def check_label_names(label_names, per="class"):
    """The label names as distinct strs, one per class (or column).

    Raises:
        ValueError: no names, or repeated names.
    """
    names = [str(name) for name in label_names]
    if not names or len(set(names)) != len(names):
        raise ValueError(
            f"Expected distinct label names, one per {per}. Received: "
            f"label_names={names}. Pass LabelVocabulary.names."
        )
    return names


def check_pair(y_true, y_pred):
    """`(y_true, y_pred)` after checking they have the same, non-zero length.

    Raises:
        ValueError: different or zero lengths.
    """
    if len(y_true) != len(y_pred) or len(y_true) == 0:
        raise ValueError(
            "Expected y_true and y_pred of the same, non-zero length. Received: "
            f"len(y_true)={len(y_true)}, len(y_pred)={len(y_pred)}. Pass one "
            "prediction per example."
        )
    return y_true, y_pred


def format_report(report, digits=3):
    """Formats a report as a text table (like scikit-learn's).

    Args:
        report: dict. The output of `classification_report`.
        digits: int. Decimals shown. Defaults to `3`.

    Returns:
        A multi-line str: per-class rows, accuracy, the averages, the log
        loss when present, and the confusion matrix.
    """
    names = report["labels"]
    row, header = table_rows(names, ("precision", "recall", "f1-score", "support"), digits)
    width = max(len("weighted avg"), *(len(name) for name in names))
    lines = [header, ""]
    for name in names:
        c = report["per_class"][name]
        lines.append(row(name, [c["precision"], c["recall"], c["f1"], c["support"]]))
    n = report["num_examples"]
    lines += ["", row("accuracy", ["", "", report["accuracy"], n])]
    for average in AVERAGES:
        a = report[average]
        lines.append(row(f"{average} avg", [a["precision"], a["recall"], a["f1"], n]))
    if "log_loss" in report:
        lines.append(row("log loss", ["", "", report["log_loss"], n]))
    cell = max(5, *(len(str(v)) for r in report["confusion_matrix"] for v in r),
               *(len(name) for name in names))
    lines += ["", "confusion matrix (rows: true, columns: predicted)",
              " " * width + "".join(f"{name:>{cell + 1}}" for name in names)]
    for name, counts in zip(names, report["confusion_matrix"]):
        lines.append(f"{name:>{width}}" + "".join(f"{v:>{cell + 1}}" for v in counts))
    return "\n".join(lines)


def write_report(report, directory):
    """Writes a report to `directory/metrics.json` atomically.

    Args:
        report: dict. The output of `classification_report` (any JSON-ready
            dict works).
        directory: str or PathLike. Created if missing.

    Returns:
        The path of `metrics.json`.
    """
    directory = os.fspath(directory)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, METRICS_FILENAME)
    with atomic_file(path) as f:
        json.dump(report, f, indent=2, ensure_ascii=False)
        f.write("\n")
    return path
