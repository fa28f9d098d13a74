"""Evaluation: classification reports and plots."""

from kerasft.evaluation.classification import classification_report
from kerasft.evaluation.classification import format_report
from kerasft.evaluation.classification import write_report
from kerasft.evaluation.plots import plot_confusion_matrix
from kerasft.evaluation.plots import plot_training_curves

__all__ = [
    "classification_report",
    "format_report",
    "plot_confusion_matrix",
    "plot_training_curves",
    "write_report",
]
