"""Multi-label classification: sigmoid probabilities -> the labels at or
above their thresholds.

Numpy only (see `kerasft.decoding`). `task_config`: `{"labels": [...],
"thresholds": [one per label]}`; the output is `probabilities`,
`[n, num_labels]`.
"""

import numpy as np

INPUT_FIELDS = ("text",)
WINDOWED = False


def decisions(outputs, task_config):
    """Boolean `[n, num_labels]`: probability >= the label's threshold.

    Raises:
        ValueError: thresholds, labels and probability columns disagree.
    """
    labels = list(task_config["labels"])
    thresholds = np.asarray(task_config["thresholds"], dtype="float64")
    probabilities = np.asarray(outputs["probabilities"], dtype="float64")
    if probabilities.ndim != 2 or not (
            probabilities.shape[1] == len(labels) == thresholds.size):
        raise ValueError(
            "Expected one probability column and one threshold per label. Received: "
            f"probabilities shape={probabilities.shape}, {len(labels)} labels, "
            f"{thresholds.size} thresholds. Check the task_config.")
    return probabilities >= thresholds


def decode(outputs, task_config, state=None):
    """Probabilities -> `{"labels": [chosen, in label order], "scores"}`.

    Args:
        outputs: dict. `probabilities`, `[n, num_labels]`.
        task_config: dict. `labels` and their decision `thresholds`.
        state: unused (no windows).

    Returns:
        list of n dicts; `labels` may be empty.
    """
    labels = list(task_config["labels"])
    chosen = decisions(outputs, task_config)
    probabilities = np.asarray(outputs["probabilities"], dtype="float64")
    return [{"labels": [labels[j] for j in np.flatnonzero(keep)],
             "scores": {str(n): float(p) for n, p in zip(labels, row)}}
            for keep, row in zip(chosen, probabilities)]


def format_record(result):
    """`label,label<TAB>text`."""
    return f"{','.join(map(str, result['labels']))}\t{result['text']}"
