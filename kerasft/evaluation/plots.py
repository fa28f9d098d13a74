"""PNG plots of a confusion matrix and of training curves (matplotlib, Agg).

Figures are drawn on `matplotlib.figure.Figure` with an Agg canvas, never
through `pyplot`: no display is needed and no global backend state changes.
"""

import math
import os

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from kerasft.utils.files import atomic_file

_MAX_ANNOTATED_CLASSES = 30


def _save(figure, path):
    FigureCanvasAgg(figure)
    path = os.fspath(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with atomic_file(path, mode="wb") as f:
        figure.savefig(f, format="png", dpi=120, bbox_inches="tight")
    return path


def plot_confusion_matrix(matrix, label_names, path, normalize=False):
    """Draws a confusion matrix as a PNG heat map.

    Args:
        matrix: array-like of shape `(k, k)`. Counts; row = true class,
            column = predicted class (`classification_report`'s
            `"confusion_matrix"`).
        label_names: list. The `k` class names, in matrix order.
        path: str or PathLike. The PNG file to write (atomically).
        normalize: bool. Whether to show each row as fractions of the true
            class (recall on the diagonal). Defaults to `False`.

    Returns:
        The path written.

    Raises:
        ValueError: `matrix` is not square or does not match `label_names`.
    """
    matrix = np.asarray(matrix, dtype="float64")
    names = [str(name) for name in label_names]
    if matrix.ndim != 2 or matrix.shape != (len(names), len(names)):
        raise ValueError(
            f"Expected a square matrix with one row and column per label "
            f"({len(names)} labels). Received: matrix with shape {matrix.shape}. "
            "Pass the report's confusion_matrix and labels."
        )
    if normalize:
        totals = matrix.sum(axis=1, keepdims=True)
        matrix = np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
    k = len(names)
    size = min(max(4.0, 0.55 * k + 2.5), 24.0)
    figure = Figure(figsize=(size + 1.0, size))
    ax = figure.add_subplot()
    image = ax.imshow(matrix, cmap="Blues", vmin=0.0, vmax=1.0 if normalize else None)
    figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks(range(k), labels=names, rotation=45 if k > 4 else 0,
                  ha="right" if k > 4 else "center", rotation_mode="anchor")
    ax.set_yticks(range(k), labels=names)
    ax.set_xlabel("Predicted label")
    ax.set_ylabel("True label")
    suffix = " (normalized by true label)" if normalize else ""
    ax.set_title("Confusion matrix" + suffix)
    if k <= _MAX_ANNOTATED_CLASSES:
        threshold = (1.0 if normalize else matrix.max()) / 2.0
        for i in range(k):
            for j in range(k):
                value = matrix[i, j]
                text = f"{value:.2f}" if normalize else f"{int(round(value))}"
                color = "white" if value > threshold else "black"
                ax.text(j, i, text, ha="center", va="center", color=color,
                        fontsize=9 if k <= 12 else 7)
    return _save(figure, path)


def _curves(history):
    """Groups a history dict into `[(name, train values, val values), ...]`."""
    names = [key for key in history if not key.startswith("val_")]
    names += [key[4:] for key in history
              if key.startswith("val_") and key[4:] not in history]
    names.sort(key=lambda name: name != "loss")  # loss first, others in order
    return [(name, history.get(name), history.get("val_" + name)) for name in names]


def _epochs(values, num_epochs):
    # With validation_freq > 1, validation values exist every `step` epochs.
    step = max(1, num_epochs // len(values)) if len(values) < num_epochs else 1
    return np.arange(1, len(values) + 1) * step


def plot_training_curves(history, path):
    """Draws loss and metrics per epoch, with their validation counterparts.

    Args:
        history: `keras.callbacks.History` (what `fit` returns) or its
            `.history` dict (`{"loss": [...], "val_loss": [...], ...}`).
        path: str or PathLike. The PNG file to write (atomically).

    Returns:
        The path written.

    Raises:
        ValueError: the history holds no values.
    """
    logs = getattr(history, "history", history)
    logs = {key: [float(v) for v in values]
            for key, values in dict(logs).items() if len(values)}
    if not logs:
        raise ValueError(
            "Expected a training history with at least one epoch. Received: "
            f"history={getattr(history, 'history', history)!r}. Pass what "
            "model.fit returns, after training for one epoch or more."
        )
    curves = _curves(logs)
    num_epochs = max(len(values) for values in logs.values())
    columns = min(3, len(curves))
    rows = math.ceil(len(curves) / columns)
    figure = Figure(figsize=(4.5 * columns, 3.4 * rows), layout="constrained")
    for index, (name, train, val) in enumerate(curves):
        ax = figure.add_subplot(rows, columns, index + 1)
        for values, label, style in ((train, "train", "-o"),
                                     (val, "validation", "--s")):
            if values:
                ax.plot(_epochs(values, num_epochs), values, style, label=label,
                        markersize=3 if num_epochs > 20 else 5)
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
        ax.legend()
    return _save(figure, path)
