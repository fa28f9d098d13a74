"""`train_test_split`: a seeded, stratified split of examples into two `TextData`."""

import collections
import math

import numpy as np
from sklearn import model_selection

from kerasft.data.text_data import TextData
from kerasft.errors import DataError


def _test_count(test_size, n):
    if isinstance(test_size, float) and 0.0 < test_size < 1.0:
        count = math.ceil(test_size * n)  # rounds like scikit-learn
    elif isinstance(test_size, int) and not isinstance(test_size, bool):
        count = test_size
    else:
        count = 0
    if not 0 < count < n:
        raise ValueError(
            "Expected test_size as a fraction in (0, 1) or a count in [1, n) that "
            f"leaves both parts non-empty. Received: test_size={test_size!r} for "
            f"n={n} examples. Pass e.g. test_size=0.2."
        )
    return count


def _check_stratifiable(labels, n_test, n, source):
    counts = collections.Counter(labels)
    rare = {label: count for label, count in counts.items() if count < 2}
    if rare:
        raise DataError(
            "Expected at least 2 examples of each label to stratify. Received: "
            f"{rare} (label: examples) in {source}. Add examples of these labels, "
            "drop them, or pass stratify=False."
        )
    smaller = min(n_test, n - n_test)
    if smaller < len(counts):
        raise DataError(
            f"Expected at least one example of each of the {len(counts)} labels "
            f"in both parts. Received: a split of {n - n_test} train / {n_test} "
            f"test examples. Pass a test_size closer to 0.5, or stratify=False."
        )


def _take(data, indices, part):
    def pick(values):
        return None if values is None else [values[i] for i in indices]

    return TextData(
        texts=pick(data.texts),
        pairs=pick(data.pairs),
        labels=pick(data.labels),
        source=f"{data.source} ({part} split)",
    )


def train_test_split(
    texts, labels=None, test_size=0.2, seed=0, stratify=True, pairs=None
):
    """Splits examples into a train and a test part, keeping label proportions.

    The split is deterministic for a given `seed`. With `stratify=True`, each
    label is split in the same proportion (scikit-learn's stratified split);
    a label with fewer than 2 examples, or more labels than examples in a part,
    raises a `DataError` instead of silently falling back to a random split.
    Each part keeps the examples in their original order.

    Args:
        texts: list of str, or a `TextData` (then `labels` and `pairs` come
            from it).
        labels: list, or None. One label per text. Defaults to `None`.
        test_size: float or int. Fraction (in `(0, 1)`) or number of examples
            in the test part. Defaults to `0.2`.
        seed: int. Random seed of the shuffle. Defaults to `0`.
        stratify: bool. Whether to keep label proportions. Defaults to `True`.
        pairs: list of str, or None. Second texts of sentence pairs. Defaults
            to `None`.

    Returns:
        A tuple `(train, test)` of `TextData`.

    Raises:
        DataError: lengths differ, or a label is too rare to stratify.
        ValueError: a bad `test_size`, or `stratify=True` without labels.

    Example:

    >>> texts, labels = ["a", "b", "c", "d"], [0, 0, 1, 1]
    >>> train, test = train_test_split(texts, labels, test_size=0.5)
    >>> sorted(test.labels)
    [0, 1]
    """
    if isinstance(texts, TextData):
        if labels is not None or pairs is not None:
            raise ValueError(
                "Expected labels and pairs inside the TextData. Received: "
                f"labels={labels is not None}, pairs={pairs is not None} as well. "
                "Pass either a TextData or lists."
            )
        data = texts
    else:
        data = TextData(list(texts), pairs=pairs, labels=labels, source="<list>")
    lengths = {"texts": len(data.texts)}
    for name, values in (("labels", data.labels), ("pairs", data.pairs)):
        if values is not None:
            lengths[name] = len(values)
    if len(set(lengths.values())) > 1:
        raise DataError(
            f"Expected one label (and pair) per text. Received: lengths={lengths}. "
            "Pass lists of the same length."
        )
    n = len(data.texts)
    n_test = _test_count(test_size, n)
    if stratify and data.labels is None:
        raise ValueError(
            "Expected labels to stratify by. Received: labels=None, stratify=True. "
            "Pass the labels, or stratify=False."
        )
    if stratify:
        _check_stratifiable(data.labels, n_test, n, data.source)
    train, test = model_selection.train_test_split(
        np.arange(n),
        test_size=n_test,
        random_state=seed,
        stratify=data.labels if stratify else None,
    )
    return _take(data, np.sort(train), "train"), _take(data, np.sort(test), "test")
