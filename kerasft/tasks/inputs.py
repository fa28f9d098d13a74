"""Recognizing and validating raw text inputs of task models."""

import numpy as np
import pandas as pd

from kerasft.data.squad import SquadData
from kerasft.errors import DataError


def _is_text_sequence(x):
    if isinstance(x, str):
        return False
    if isinstance(x, pd.Series):  # object or pandas' own string dtype
        return (x.dtype == object or pd.api.types.is_string_dtype(x.dtype)) and (
            len(x) == 0 or isinstance(x.iloc[0], str))
    if isinstance(x, np.ndarray):
        return x.ndim == 1 and (x.dtype.kind in "US" or (
            x.dtype == object and len(x) and isinstance(x[0], str)))
    if isinstance(x, (list, tuple)):
        # Empty lists count as (empty) raw text so they get a clear error.
        return all(isinstance(t, str) for t in x)
    return False


def _is_scalar_sequence(x):
    """A list, tuple, 1-D array or Series of scalars (numbers, None, bytes...):
    never a Keras input of a task model, whose inputs are a dict of
    `[batch, sequence]` arrays; most likely texts that are not strings."""
    if isinstance(x, pd.Series):
        return True
    if isinstance(x, np.ndarray):
        return x.ndim == 1
    return isinstance(x, (list, tuple)) and len(x) > 0 and all(
        x_i is None or isinstance(x_i, (str, bytes, int, float, np.generic)) for x_i in x)


def is_raw_text(x):
    """True for a list of strings, or a pair of such lists, or a list of pairs.

    A list of strings may be a Python list, a tuple, a 1-D numpy array or a
    pandas Series. A sequence of scalars that are not all strings counts
    too, so a stray number or None gets a clear error from `split_texts`
    (naming its index) instead of a Keras data-adapter error.
    """
    if _is_text_sequence(x) or _is_scalar_sequence(x):
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
        values = list(x) if isinstance(x, (list, tuple, np.ndarray, pd.Series)) else None
        if values is not None and not values:
            raise DataError(
                f"The dataset is empty. Received: {name} with 0 examples. "
                "Pass at least one text."
            )
        bad = next((i for i, t in enumerate(values) if not isinstance(t, str)), None) \
            if values is not None else None
        if bad is not None:
            raise DataError(
                f"Every example must be a string. Received: {name}[{bad}]="
                f"{values[bad]!r} of type {type(values[bad]).__name__}. Convert or drop it."
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


def question_context_pairs(x, name="x", context=None, separate=False):
    """`(questions, contexts)` from a `(questions, contexts)` tuple, a list of
    pairs or a `SquadData`; with `separate=True` from `x` and `context` (a
    question and a context, or a list of each). None when `x` is not raw
    text."""
    if separate:
        if isinstance(x, str) != isinstance(context, str):
            raise DataError(
                "Expected a question and a context of the same kind: two strings or "
                f"two lists. Received: question of type {type(x).__name__} "
                f"and context of type {type(context).__name__}.")
        return ([x], [context]) if isinstance(x, str) else (list(x), list(context))
    if isinstance(x, SquadData):
        return list(x.questions), list(x.contexts)
    if isinstance(x, tuple) and len(x) == 2 and not isinstance(x[0], str) and \
            hasattr(x[0], "__len__") and hasattr(x[1], "__len__") and \
            all(isinstance(t, str) for t in list(x[0])[:1] + list(x[1])[:1]):
        return list(x[0]), list(x[1])
    if isinstance(x, (list, tuple)) and len(x) and all(
            isinstance(p, (list, tuple)) and len(p) == 2 for p in x):
        return [p[0] for p in x], [p[1] for p in x]
    if isinstance(x, (list, tuple)):
        raise DataError(
            f"Expected question/context pairs: a (questions, contexts) tuple of two "
            f"lists, a list of (question, context) pairs or a SquadData. Received: "
            f"{name} of type {type(x).__name__} holding {str(x)[:80]}."
        )
    return None


def sorted_by_length(features):
    """`(sorted, inverse)`: unpadded features sorted by length (stable) and
    the permutation `in_input_order` uses to put outputs back."""
    order = np.argsort([len(t) for t in features["token_ids"]], kind="stable")
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    return {k: [v[i] for i in order] for k, v in features.items()}, inverse


def in_input_order(outputs, inverse):
    """Outputs of `sorted_by_length` features (an array or a dict of
    arrays), back in input order."""
    if isinstance(outputs, dict):
        return {k: v[inverse] for k, v in outputs.items()}
    return outputs[inverse]
