"""Single-label classification: softmax probabilities -> label and scores.

Numpy only (see `kerasft.decoding`). `task_config`: `{"labels": [names in
output order]}`; the output is `probabilities`, `[n, num_labels]`.
"""

import numpy as np

INPUT_FIELDS = ("text",)
WINDOWED = False
OUTPUT = "probabilities"


def check_outputs(outputs, labels, name=OUTPUT):
    """`outputs[name]` as a float array `[n, len(labels)]`.

    Raises:
        ValueError: the output is missing or has another number of columns.
    """
    if name not in outputs:
        raise ValueError(
            f"Expected a model output named {name!r}. Received: outputs with "
            f"{sorted(outputs)}. Pass the outputs by the export's output names.")
    values = np.asarray(outputs[name], dtype="float64")
    if values.ndim != 2 or values.shape[1] != len(labels):
        raise ValueError(
            f"Expected {name} of shape [n, {len(labels)}] (one column per label). "
            f"Received: shape={values.shape}. Check the task_config's labels.")
    return values


def decode(outputs, task_config, state=None):
    """Probabilities -> `{"label", "score", "scores": {label: probability}}`.

    Args:
        outputs: dict. `probabilities`, `[n, num_labels]`.
        task_config: dict. `labels`: names in output order (str or int; the
            `scores` keys are their strings).
        state: unused (no windows).

    Returns:
        list of n dicts: `label` (the most probable, ties to the first),
        `score` (its probability) and `scores`.
    """
    labels = list(task_config["labels"])
    probabilities = check_outputs(outputs, labels)
    records = []
    for row in probabilities:
        best = int(row.argmax())
        records.append({"label": labels[best], "score": float(row[best]),
                        "scores": {str(n): float(p) for n, p in zip(labels, row)}})
    return records


def format_record(result):
    """`label<TAB>score<TAB>text`."""
    return f"{result['label']}\t{result['score']:.4f}\t{result['text']}"
