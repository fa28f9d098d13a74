"""The explanations a training run writes: `explanations.html`."""

import os

import numpy as np

REPORT_FILE = "explanations.html"


def _take(x, indices):
    """The inputs at `indices`, as the task's `explain` takes them."""
    if isinstance(x, tuple) and len(x) == 2:
        return tuple([list(part)[i] for i in indices] for part in x)
    rows = [list(x)[i] for i in indices]
    return [" ".join(r) if isinstance(r, list) else r for r in rows]  # NER word lists


def pick_examples(model, x, y, n=3):
    """Indices of the `n` most confident right and the `n` most confident
    wrong predictions (single-label classifiers), else the first `2n`."""
    size = len(x[0]) if isinstance(x, tuple) and len(x) == 2 else len(x)
    if model.task_name != "text_classifier":
        return list(range(min(2 * n, size))), None
    probabilities = np.asarray(model.predict(x))
    truth = model.label_vocabulary.encode(list(y))
    predicted = probabilities.argmax(-1)
    confidence = probabilities.max(-1)
    right = np.flatnonzero(predicted == truth)
    wrong = np.flatnonzero(predicted != truth)
    right = right[np.argsort(-confidence[right], kind="stable")][:n]
    wrong = wrong[np.argsort(-confidence[wrong], kind="stable")][:n]
    notes = ["right"] * len(right) + ["wrong"] * len(wrong)
    return [int(i) for i in np.concatenate([right, wrong])], notes


def write_run_explanations(model, x, y, directory, n=3, steps=32):
    """Explains a handful of evaluation examples into
    `directory/explanations.html` (the most confident right and wrong
    predictions of classifiers). Tasks without explanations write nothing.

    Returns:
        The path written, or None.
    """
    from kerasft.tasks.task import Task

    if type(model).explanation_inputs is Task.explanation_inputs:
        return None
    indices, notes = pick_examples(model, x, y, n)
    if not indices:
        return None
    explanations = model.explain(_take(x, indices), steps=steps)
    if notes and model.task_name == "text_classifier":
        truth = [list(y)[i] for i in indices]
        for e, note, label in zip(explanations, notes, truth):
            e.warnings.insert(0, f"{note} prediction; true label: {label}")
    path = os.path.join(directory, REPORT_FILE)
    from kerasft.explain.rendering import explain_html

    explain_html(explanations, path, title="Explanations: most confident right and wrong "
                 "predictions" if notes else "Explanations of evaluation examples")
    return path
