"""Reading multi-label data: label lists per example, from files (CSV, TSV,
JSONL, DataFrames) with `read_multi_label`, or from Python values with
`parse_label_lists`."""

import json
import os

import numpy as np

from kerasft.data.readers import read_text_columns
from kerasft.data.text_data import _INT, TextData, where
from kerasft.errors import DataError


def _label_items(value, separator, place):
    """One example's labels as a list of str/int items."""
    if isinstance(value, str):
        value = value.strip()
        if not value.startswith("["):
            return [v.strip() for v in value.split(separator) if v.strip()]
        try:
            value = json.loads(value)
        except (json.JSONDecodeError, RecursionError) as e:
            reason = getattr(e, "msg", "nested too deeply")
            raise DataError(
                f"Expected a JSON list of labels at {place}. Received: labels="
                f"{value[:60]!r} ({reason}). Fix the list, e.g. [\"anger\", \"fear\"]."
            ) from e
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    items = list(value) if isinstance(value, (list, tuple, set)) else [value]
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (str, int, np.integer)):
            raise DataError(
                f"Expected labels that are str or int at {place}. Received: "
                f"label={item!r} ({type(item).__name__}). Give each example a "
                "list of label names, e.g. ['anger', 'fear']."
            )
    return [item.strip() if isinstance(item, str) else int(item) for item in items]


def parse_label_lists(values, source="y", lines=None, separator=",",
                      split_strings=True, label_type=None):
    """Label lists, one per example, with one label type (int or str).

    An example's labels are a list (tuple, set, array), a JSON list string
    (`'["anger", "fear"]'`) or, with `split_strings`, labels joined by
    `separator` (`"anger,fear"`). Repeats count once. With `label_type`
    None, labels that are all integers (`3` or `"3"`) become int, otherwise
    str; `label_type=int` converts what looks like an int, `str` everything.

    Raises:
        DataError: a label that is not str or int, a bad JSON list, or a bare
            string when `split_strings=False`; each names the row or line.
    """
    lists = []
    for i, value in enumerate(values):
        place = where(source, lines, i)
        if isinstance(value, str) and not split_strings:
            raise DataError(
                f"Expected a list of labels per example at {place}. Received: "
                f"{value!r}, a string. Pass [[...], ...] (e.g. [['anger', 'fear']]),"
                " or read files with read_multi_label, which splits label strings."
            )
        lists.append(list(dict.fromkeys(_label_items(value, separator, place))))
    def as_int(v):  # None for names: "²" and "+-3" are not ints
        if isinstance(v, int):
            return v
        return int(v) if _INT.match(v) and len(v) < 4000 else None

    if label_type is None:
        label_type = int if all(as_int(v) is not None for v in flatten_labels(lists)) \
            else str
    if label_type is int:
        return [[v if as_int(v) is None else as_int(v) for v in labels] for labels in lists]
    return [[str(v) for v in labels] for labels in lists]


def column_key(column, reader_options):
    """A column as the reader wants it: command-line `"1"` -> `1` for
    headerless files (`header: false` in the reader options)."""
    if reader_options.get("header", True) is False and isinstance(column, str) and \
            column.isdigit():
        return int(column)
    return column


def flatten_labels(lists):
    """All labels of all examples, in order."""
    return [label for labels in lists for label in labels]


def _label_names(label_names):
    if not isinstance(label_names, (str, os.PathLike)):
        return list(label_names)
    path = os.fspath(label_names)
    if not os.path.isfile(path):
        raise DataError(
            "Expected a file of label names, one per line. Received: "
            f"label_names={path!r}, which does not exist. Check the path."
        )
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f.read().split("\n") if line.strip()]


def _apply_label_names(labels, names, source, lines):
    for i, example in enumerate(labels):
        bad = [v for v in example if not isinstance(v, int) or not 0 <= v < len(names)]
        if bad:
            raise DataError(
                f"Expected label ids in [0, {len(names)}) indexing label_names at "
                f"{where(source, lines, i)}. Received: label={bad[0]!r}. Fix the "
                "id, or drop label_names if the labels are names already."
            )
    return [[names[v] for v in example] for example in labels]


def read_multi_label(source, text_column="text", label_column="labels",
                     text_pair_column=None, label_separator=",", label_names=None,
                     allow_empty_labels=False, encoding="utf-8", delimiter=None,
                     header=True, require_labels=True):
    """Reads texts and label lists from a file, a DataFrame or a dict of lists.

    The label column holds each example's labels joined by `label_separator`
    (`anger,fear`), or a JSON list (`["anger", "fear"]`; in CSV, as a
    string), or in memory a list. Headerless files (`header=False`) are split
    on the delimiter with quoting disabled and columns are 0-based indices:
    GoEmotions reads with `text_column=0, label_column=1, header=False,
    label_names="labels.txt"`.

    Args:
        source: str, PathLike, `pandas.DataFrame` or dict of lists.
        text_column, label_column, text_pair_column: column names, or 0-based
            indices with `header=False`. `label_column=None` reads no labels.
        label_separator: str. Separator of labels in a string. Defaults to ",".
        label_names: list, path of a file with one name per line, or None.
            When given, labels are integer ids into it, replaced by the names.
        allow_empty_labels: bool. Whether an example may have no label. Off
            by default: an empty label cell is more often a mistake than a
            statement, so it is a data error naming the line.
        encoding, delimiter: as in `read_texts`.
        header: bool. Whether the file has a header line. Defaults to `True`.
        require_labels: bool. Whether a missing label column is an error.

    Returns:
        A `TextData` whose `labels` are lists of int or str labels.

    Raises:
        DataError: as `read_texts`, plus an empty label list (without
            `allow_empty_labels`), a label id outside `label_names`, or a bad
            JSON list; each names the file and line (or row index).
    """
    columns = {} if label_column is None else {label_column: "label_column"}
    optional = () if require_labels else (label_column,)
    texts, pairs, values, lines, name = read_text_columns(
        source, text_column, text_pair_column, columns, optional, encoding=encoding,
        delimiter=delimiter, header=header)
    labels = None
    if label_column is not None and label_column in values:
        labels = parse_label_lists(values[label_column], name, lines, label_separator)
        if label_names is not None:
            labels = _apply_label_names(labels, _label_names(label_names), name, lines)
        empty = next((i for i, example in enumerate(labels) if not example), None)
        if empty is not None and not allow_empty_labels:
            raise DataError(
                f"Expected at least one label in column {label_column!r} at "
                f"{where(name, lines, empty)}. Received: labels="
                f"{values[label_column][empty]!r}. Fill in the labels, or pass "
                "allow_empty_labels=True if examples without labels are intended "
                "(the model then learns to predict none for them)."
            )
    return TextData(texts=texts, pairs=pairs, labels=labels, source=name)
