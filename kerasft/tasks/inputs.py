"""Recognizing and validating raw text inputs of task models."""

import numpy as np

from kerasft.errors import DataError


def _is_text_sequence(x):
    if isinstance(x, str):
        return False
    try:
        import pandas as pd

        if isinstance(x, pd.Series):
            return x.dtype == object and (len(x) == 0 or isinstance(x.iloc[0], str))
    except ImportError:  # pragma: no cover
        pass
    if isinstance(x, np.ndarray):
        return x.ndim == 1 and (x.dtype.kind in "US" or (x.dtype == object and len(x) and isinstance(x[0], str)))
    if isinstance(x, (list, tuple)):
        # Empty lists count as (empty) raw text so they get a clear error.
        return all(isinstance(t, str) for t in x)
    return False


def is_raw_text(x):
    """True for a list of strings, or a pair of such lists, or a list of pairs.

    A list that holds any string counts, so a stray non-string gets a clear
    error from `split_texts` instead of a Keras data-adapter error.
    """
    if _is_text_sequence(x):
        return True
    if isinstance(x, list) and any(isinstance(t, str) for t in x):
        return True
    if isinstance(x, tuple) and len(x) == 2 and all(_is_text_sequence(p) for p in x):
        return True
    if isinstance(x, (list, tuple)) and len(x) and all(
        isinstance(p, (list, tuple)) and len(p) == 2 and all(isinstance(t, str) for t in p)
        for p in x
    ):
        return True
    return False


def split_texts(x, name="x"):
    """Normalizes raw input to `(texts, pairs_or_None)` and validates it.

    Accepts a list of strings, a tuple `(texts_a, texts_b)` of two equally
    long lists, or a list of `(text_a, text_b)` pairs.

    Raises:
        DataError: empty input, an empty or non-string text (names the row),
            or pairs of different lengths.
    """
    if isinstance(x, tuple) and len(x) == 2 and all(_is_text_sequence(p) for p in x):
        texts, pairs = list(x[0]), list(x[1])
        if len(texts) != len(pairs):
            raise DataError(
                "Both texts of a sentence pair need one entry per example. "
                f"Received: {len(texts)} first texts and {len(pairs)} second texts."
            )
    elif _is_text_sequence(x):
        texts, pairs = list(x), None
    elif isinstance(x, (list, tuple)) and len(x) and all(
        isinstance(p, (list, tuple)) and len(p) == 2 for p in x
    ):
        texts, pairs = [p[0] for p in x], [p[1] for p in x]
    else:
        if isinstance(x, (list, tuple, np.ndarray)) and len(x) == 0:
            raise DataError(
                f"The dataset is empty. Received: {name} with 0 examples. "
                "Pass at least one text."
            )
        bad = next((i for i, t in enumerate(x) if not isinstance(t, str)), None) \
            if isinstance(x, (list, tuple, np.ndarray)) else None
        if bad is not None:
            raise DataError(
                f"Every example must be a string. Received: {name}[{bad}]="
                f"{x[bad]!r} of type {type(x[bad]).__name__}. Convert or drop it."
            )
        raise DataError(
            f"Expected raw texts: a list of strings, a tuple of two lists "
            f"(sentence pairs) or a list of (text, text) pairs. Received: "
            f"{name} of type {type(x).__name__}."
        )
    if not texts:
        raise DataError(
            f"The dataset is empty. Received: {name} with 0 examples. "
            "Pass at least one text."
        )
    for column, values in (("text", texts), ("second text", pairs or [])):
        for i, t in enumerate(values):
            if not isinstance(t, str):
                raise DataError(
                    f"Every {column} must be a string. Received: {name}[{i}]="
                    f"{t!r}. Convert or drop it."
                )
            if not t.strip():
                raise DataError(
                    f"Empty {column} at {name}[{i}] (row {i}). Every example needs "
                    "non-blank text; drop or fill that row."
                )
    return texts, pairs
