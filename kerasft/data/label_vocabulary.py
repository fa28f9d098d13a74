"""`LabelVocabulary`: maps labels (str or int) to class ids and back."""

import json
import os

import numpy as np

from kerasft.errors import DataError
from kerasft.utils.files import atomic_file

FILENAME = "labels.json"


def _python_scalar(value):
    if isinstance(value, np.generic):
        return value.item()  # numpy scalar (np.int64, np.str_) -> Python scalar
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()
    return value


class LabelVocabulary:
    """An ordered set of labels; a label's position is its class id.

    Labels are all str or all int (ints stay ints through `save`/`load`).
    `from_labels` builds the vocabulary from data in a deterministic order:
    ints numerically, strings alphabetically.

    Args:
        labels: list of str or list of int. The labels in class-id order.

    Raises:
        ValueError: `labels` is empty, has duplicates, or mixes types.

    Example:

    >>> vocabulary = LabelVocabulary.from_labels(["pos", "neg", "pos"])
    >>> vocabulary.names
    ['neg', 'pos']
    >>> vocabulary.encode(["pos", "neg"]).tolist()
    [1, 0]
    >>> vocabulary.decode([1])
    ['pos']
    """

    def __init__(self, labels):
        if isinstance(labels, (str, bytes, dict, set, frozenset)):
            raise ValueError(
                "Expected a list of labels in class-id order. Received: "
                f"labels={labels!r:.80} ({type(labels).__name__}). Pass e.g. "
                "['neg', 'pos'] or [0, 1]."
            )
        labels = [_python_scalar(label) for label in labels]
        types = {type(label) for label in labels}
        if not labels or not (types == {str} or types == {int}):
            raise ValueError(
                "Expected a non-empty list of labels that are all str or all int. "
                f"Received: labels={labels!r}. Pass e.g. ['neg', 'pos'] or [0, 1]."
            )
        duplicates = sorted({label for label in labels if labels.count(label) > 1})
        if duplicates:
            raise ValueError(
                f"Expected each label once. Received: duplicates={duplicates} in "
                f"labels={labels!r}. Remove the repeats, or build the vocabulary "
                "with LabelVocabulary.from_labels(labels)."
            )
        self.labels = labels
        self._ids = {label: i for i, label in enumerate(labels)}

    @classmethod
    def from_labels(cls, labels):
        """Builds a vocabulary of the unique `labels`, sorted.

        Args:
            labels: iterable of str or int. Labels as read from the data.

        Returns:
            A `LabelVocabulary`.
        """
        unique = {_python_scalar(label) for label in labels}
        try:
            ordered = sorted(unique)
        except TypeError:  # mixed types: __init__ says what is wrong
            ordered = list(unique)
        return cls(ordered)

    @property
    def names(self):
        """The labels as strings, in class-id order (for reports and exports)."""
        return [str(label) for label in self.labels]

    def __len__(self):
        return len(self.labels)

    def __eq__(self, other):
        return isinstance(other, LabelVocabulary) and self.labels == other.labels

    def __repr__(self):
        return f"LabelVocabulary({self.labels!r})"

    def encode(self, labels, source=None):
        """Maps labels to class ids.

        Args:
            labels: iterable of labels.
            source: str or None. Where the labels came from, named in errors.
                Defaults to `None`.

        Returns:
            An int32 `np.ndarray` of class ids.

        Raises:
            DataError: a label is not in the vocabulary.
        """
        ids = []
        for index, label in enumerate(labels):
            label = _python_scalar(label)
            if label not in self._ids or isinstance(label, bool):
                raise DataError(self._unknown_label_message(label, index, source))
            ids.append(self._ids[label])
        return np.asarray(ids, dtype="int32")

    def _unknown_label_message(self, label, index, source):
        where = f"row index {index}" + (f" of {source}" if source else "")
        if str(label) in self.names:
            fix = (
                f"The vocabulary holds {type(self.labels[0]).__name__} labels; "
                "convert the labels to that type."
            )
        else:
            fix = (
                "Fix the label, or build the vocabulary from all the data "
                "(LabelVocabulary.from_labels)."
            )
        return (
            f"Expected one of the known labels {self.labels}. Received: "
            f"label={label!r} at {where}. {fix}"
        )

    def decode(self, ids):
        """Maps class ids to labels.

        Args:
            ids: iterable of int. Class ids in `[0, len(self))`.

        Returns:
            A list of labels.

        Raises:
            ValueError: an id is out of range.
        """
        labels = []
        for class_id in np.asarray(ids).reshape(-1).tolist():
            if not isinstance(class_id, int) or not 0 <= class_id < len(self):
                raise ValueError(
                    f"Expected integer class ids in [0, {len(self)}). Received: "
                    f"id={class_id!r}. Pass ids predicted for this vocabulary "
                    "(e.g. argmax over the class axis)."
                )
            labels.append(self.labels[class_id])
        return labels

    def get_config(self):
        return {"labels": list(self.labels)}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def save(self, path):
        """Writes the vocabulary as JSON (atomically).

        Args:
            path: str or PathLike. A `.json` file, or a directory to write
                `labels.json` into.

        Returns:
            The path written.
        """
        path = os.fspath(path)
        if os.path.isdir(path):
            path = os.path.join(path, FILENAME)
        with atomic_file(path) as f:
            json.dump(self.get_config(), f, ensure_ascii=False, indent=2)
        return path

    @classmethod
    def load(cls, path):
        """Reads a vocabulary written by `save`.

        Args:
            path: str or PathLike. A `.json` file, or a directory holding
                `labels.json`.

        Returns:
            A `LabelVocabulary`.

        Raises:
            DataError: the file is missing or is not a saved vocabulary.
        """
        path = os.fspath(path)
        if os.path.isdir(path):
            path = os.path.join(path, FILENAME)
        try:
            with open(path, encoding="utf-8") as f:
                config = json.load(f)
            return cls.from_config(config)
        except (OSError, ValueError, TypeError, RecursionError) as e:
            raise DataError(
                'Expected a label vocabulary file ({"labels": [...]}) written by '
                f"LabelVocabulary.save. Received: path={path!r} ({e}). Pass the "
                f"{FILENAME} saved with the model."
            ) from e
