"""`TextData`: the examples a reader returns, and the checks that make one.

Values are checked one by one so that errors name the example: `path, line N`
for files (header = line 1) or `row index N of <DataFrame>` for in-memory data.
"""

import dataclasses
import math
import re
import sys

import pandas as pd

from kerasft.errors import DataError

_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")


@dataclasses.dataclass(frozen=True)
class TextData:
    """Texts, optional second texts and optional labels read from one source.

    Args:
        texts: list of str. One text per example.
        pairs: list of str, or None. The second text of each example for
            sentence-pair tasks. Defaults to `None`.
        labels: list, or None. One label per example (str, int or float, see
            `read_texts`); `None` for unlabeled data. Defaults to `None`.
        source: str. Where the data came from (a path, `"<DataFrame>"`,
            `"<dict>"`); used in error messages. Defaults to `"<memory>"`.
    """

    texts: list
    pairs: list = None
    labels: list = None
    source: str = "<memory>"

    def __len__(self):
        return len(self.texts)


def where(source, lines, index):
    """Names example `index`: `"path, line N"` or `"row index N of <DataFrame>"`."""
    if lines is None:
        return f"row index {index} of {source}"
    return f"{source}, line {lines[index]}"


def _is_missing(value):
    if isinstance(value, str):
        return not value.strip() or value.strip().lower() == "nan"
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists and other non-scalars
        return False


def check_texts(values, column, source, lines):
    """Returns `values` as a list if each is a non-empty string, else raises."""
    for i, value in enumerate(values):
        if isinstance(value, str) and value.strip():
            continue
        empty = isinstance(value, str) or _is_missing(value)
        kind = "non-empty text" if empty else "string"
        raise DataError(
            f"Expected a {kind} in column {column!r} at {where(source, lines, i)}. "
            f"Received: text={value!r} ({type(value).__name__}). Fill in the text "
            "or remove the example."
        )
    return list(values)


def _as_number(value):
    """`value` as an int or float, or None when it is a name (or an integer
    too long for Python to convert, which is kept as a name)."""
    if isinstance(value, (int, float)):
        return value
    try:
        if _INT.match(value.strip()):
            return int(value)
    except ValueError:  # over sys.get_int_max_str_digits() digits
        return None
    return float(value) if _FLOAT.match(value.strip()) else None


def normalize_labels(values, column, source, lines):
    """Checks labels and gives them their natural type (int, float or str)."""
    labels = []
    for i, value in enumerate(values):
        if hasattr(value, "item") and not isinstance(value, str):
            value = value.item()  # numpy scalar -> Python scalar
        if isinstance(value, bool):
            raise DataError(
                f"Expected a label (str or int) in column {column!r} at "
                f"{where(source, lines, i)}. Received: label={value!r} (bool). "
                "Write the labels as names ('yes'/'no') or integer ids (1/0)."
            )
        if _is_missing(value) or not isinstance(value, (str, int, float)):
            raise DataError(
                f"Expected a label (str or int) in column {column!r} at "
                f"{where(source, lines, i)}. Received: label={value!r}. Fill in "
                "the label or remove the example (label_column=None reads none)."
            )
        labels.append(value)
    numbers = [_as_number(v) for v in labels]
    if all(n is not None for n in numbers):
        for i, n in enumerate(numbers):
            if isinstance(n, float) and not math.isfinite(n):
                raise DataError(
                    f"Expected a finite number as label in column {column!r} at "
                    f"{where(source, lines, i)}. Received: label={labels[i]!r}. "
                    "Fix the label (infinity is no class)."
                )
        if all(isinstance(n, int) or n.is_integer() for n in numbers):
            return [int(n) for n in numbers]
        if any(isinstance(n, int) and abs(n) > sys.float_info.max for n in numbers):
            i = next(i for i, n in enumerate(numbers) if isinstance(n, int)
                     and abs(n) > sys.float_info.max)
            raise DataError(
                f"Expected numeric labels that fit in a float in column {column!r} "
                f"(other labels are fractions). Received: label={labels[i]!r:.60} at "
                f"{where(source, lines, i)}. Fix the label."
            )
        return [float(n) for n in numbers]
    if not all(isinstance(v, str) for v in labels):
        i = next(i for i, v in enumerate(labels) if not isinstance(v, str))
        raise DataError(
            f"Expected labels of one type in column {column!r}. Received: "
            f"label={labels[i]!r} at {where(source, lines, i)} among string labels. "
            "Use either names or integer ids for all labels."
        )
    return labels
