"""Evaluation: task reports (classification, regression, embeddings...) and plots."""

from kerasft.evaluation.classification import (
    classification_report,
    format_report,
    write_report,
)
from kerasft.evaluation.embedding import retrieval_report, similarity_report
from kerasft.evaluation.generation import (
    Perplexity,
    bleu,
    chrf,
    perplexity,
    translation_report,
)
from kerasft.evaluation.multi_label import multi_label_report, tune_thresholds
from kerasft.evaluation.ner import ner_report
from kerasft.evaluation.plots import plot_confusion_matrix, plot_training_curves
from kerasft.evaluation.regression import plot_predictions, regression_report
from kerasft.evaluation.squad import squad_report

__all__ = [
    "Perplexity",
    "bleu",
    "chrf",
    "perplexity",
    "translation_report",
    "classification_report",
    "format_report",
    "multi_label_report",
    "ner_report",
    "plot_confusion_matrix",
    "plot_predictions",
    "plot_training_curves",
    "regression_report",
    "retrieval_report",
    "similarity_report",
    "squad_report",
    "tune_thresholds",
    "write_report",
]
