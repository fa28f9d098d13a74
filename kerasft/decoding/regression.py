"""Regression: one value per target, in the targets' own units.

Numpy only (see `kerasft.decoding`). `task_config`: `{"target_names":
[...]}`; the output is `predictions`, `[n, num_targets]` (the
standardization is inside the model).
"""

import numpy as np

INPUT_FIELDS = ("text",)
WINDOWED = False


def decode(outputs, task_config, state=None):
    """Predictions -> `{"predictions": {target: value}}`.

    Args:
        outputs: dict. `predictions`, `[n, num_targets]` (or `[n]` for one
            target).
        task_config: dict. `target_names` in output order.
        state: unused (no windows).

    Returns:
        list of n dicts.

    Raises:
        ValueError: the number of columns is not the number of targets.
    """
    names = list(task_config["target_names"])
    values = np.asarray(outputs["predictions"], dtype="float64")
    values = values.reshape(len(values), -1)
    if values.shape[1] != len(names):
        raise ValueError(
            f"Expected one prediction column per target {names}. Received: "
            f"predictions shape={values.shape}. Check the task_config's target_names.")
    return [{"predictions": {n: float(v) for n, v in zip(names, row)}} for row in values]


def format_record(result):
    """Values (4 decimals), then the text, tab-separated."""
    return "\t".join([f"{v:.4f}" for v in result["predictions"].values()] + [result["text"]])
