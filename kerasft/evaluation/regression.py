"""Regression metrics: MSE, RMSE, MAE, Pearson and Spearman per target."""

import numpy as np
from scipy import stats
from sklearn import metrics

METRICS = ("mse", "rmse", "mae", "pearson", "spearman")


def first_non_finite(array):
    """`(row, column)` of the first NaN or infinite entry of a 2-D array, or
    None when every entry is finite."""
    bad = np.argwhere(~np.isfinite(array))
    return tuple(int(v) for v in bad[0]) if bad.size else None


def _as_matrix(values, name, num_targets=None):
    array = np.asarray(values, dtype="float64")
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or (num_targets is not None and array.shape[1] != num_targets):
        raise ValueError(
            f"Expected {name} of shape (examples,) or (examples, {num_targets or 'targets'})"
            f". Received: {name} with shape {array.shape}. Pass one value per "
            "example and target."
        )
    bad = first_non_finite(array)
    if bad:
        row, column = bad
        raise ValueError(
            f"Expected finite numbers in {name}. Received: {name}[{row}, {column}]="
            f"{array[row, column]}. Drop or fill that example."
        )
    return array


def _correlation(function, a, b):
    # Undefined (None) when either side is constant.
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    return float(function(a, b)[0])


def regression_report(y_true, y_pred, target_names=None):
    """Computes MSE, RMSE, MAE, Pearson's r and Spearman's rho per target.

    Args:
        y_true: array of shape `(n,)` or `(n, num_targets)`. True values.
        y_pred: array of the same shape. Predicted values.
        target_names: list of str or None. One name per target. Defaults to
            `["target"]` for one target, `["target_0", ...]` for several.

    Returns:
        A JSON-ready dict: `"num_examples"`, `"targets"` (names),
        `"per_target"` (`{name: {"mse", "rmse", "mae", "pearson",
        "spearman"}}`) and `"average"` (the mean of each metric over
        targets). A correlation is `None` when the true or predicted values
        of a target are constant (it is undefined there).

    Raises:
        ValueError: empty, mismatched or non-finite inputs, or target names
            that do not match the number of targets.

    Example:

    >>> report = regression_report([1.0, 2.0, 3.0], [1.0, 2.0, 5.0])
    >>> report["per_target"]["target"]["mae"], report["per_target"]["target"]["spearman"]
    (0.6666666666666666, 1.0)
    """
    y_true = _as_matrix(y_true, "y_true")
    y_pred = _as_matrix(y_pred, "y_pred", y_true.shape[1])
    if len(y_true) != len(y_pred) or len(y_true) == 0:
        raise ValueError(
            "Expected y_true and y_pred of the same, non-zero length. Received: "
            f"len(y_true)={len(y_true)}, len(y_pred)={len(y_pred)}. Pass one "
            "prediction per example."
        )
    k = y_true.shape[1]
    names = default_target_names(k) if target_names is None else [str(t) for t in target_names]
    if len(names) != k or len(set(names)) != k:
        raise ValueError(
            f"Expected {k} distinct target names, one per column. Received: "
            f"target_names={names}. Pass the model's target_names."
        )
    per_target = {}
    for j, name in enumerate(names):
        t, p = y_true[:, j], y_pred[:, j]
        mse = float(metrics.mean_squared_error(t, p))
        per_target[name] = {
            "mse": mse,
            "rmse": float(np.sqrt(mse)),
            "mae": float(metrics.mean_absolute_error(t, p)),
            "pearson": _correlation(stats.pearsonr, t, p),
            "spearman": _correlation(stats.spearmanr, t, p),
        }
    average = {}
    for metric in METRICS:
        values = [m[metric] for m in per_target.values()]
        average[metric] = None if None in values else float(np.mean(values))
    return {"num_examples": int(len(y_true)), "targets": names,
            "per_target": per_target, "average": average}


def default_target_names(num_targets):
    """`["target"]`, or `["target_0", "target_1", ...]` for several."""
    return ["target"] if num_targets == 1 else [f"target_{i}" for i in range(num_targets)]


def format_report(report, digits=4):
    """Formats a `regression_report` as a text table, one row per target.

    Args:
        report: dict. The output of `regression_report`.
        digits: int. Decimals shown. Defaults to `4`.

    Returns:
        A multi-line str.
    """
    rows = [(name, report["per_target"][name]) for name in report["targets"]]
    if len(rows) > 1:
        rows.append(("average", report["average"]))
    width = max(len("average"), *(len(name) for name, _ in rows))
    column = max(digits + 4, 9) + 1
    lines = [" " * width + "".join(f"{m:>{column}}" for m in METRICS), ""]
    for name, values in rows:
        cells = "".join(f"{'n/a':>{column}}" if values[m] is None
                        else f"{values[m]:>{column}.{digits}f}" for m in METRICS)
        lines.append(f"{name:>{width}}{cells}")
    lines += ["", f"{report['num_examples']} examples"]
    return "\n".join(lines)


def plot_predictions(y_true, y_pred, target_names, path):
    """Writes a predicted-vs-true scatter plot per target to a PNG file.

    Args:
        y_true: array of shape `(n,)` or `(n, num_targets)`.
        y_pred: array of the same shape.
        target_names: list of str. One name per target.
        path: str or PathLike. The PNG file to write (atomically).

    Returns:
        `path`.
    """
    from matplotlib.figure import Figure

    from kerasft.evaluation.plots import _save

    y_true = _as_matrix(y_true, "y_true")
    y_pred = _as_matrix(y_pred, "y_pred", y_true.shape[1])
    k = y_true.shape[1]
    figure = Figure(figsize=(4 * k, 4))
    for j in range(k):
        ax = figure.add_subplot(1, k, j + 1)
        ax.scatter(y_true[:, j], y_pred[:, j], s=6, alpha=0.5)
        low = min(y_true[:, j].min(), y_pred[:, j].min())
        high = max(y_true[:, j].max(), y_pred[:, j].max())
        ax.plot([low, high], [low, high], color="gray", linewidth=1)
        ax.set_xlabel("true")
        ax.set_ylabel("predicted")
        ax.set_title(str(target_names[j]))
    return _save(figure, path)
