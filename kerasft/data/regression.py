"""Reading real-valued targets: CSV/TSV/JSONL files with one or more
numeric columns (`read_regression`) and STS Benchmark files (`read_stsb`)."""

import math

from kerasft.data.readers import read_text_columns
from kerasft.data.text_data import TextData, where
from kerasft.errors import DataError


def _number(value, column, place):
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: ints over 1e308
        number = None
    if number is None or isinstance(value, bool) or not math.isfinite(number):
        raise DataError(
            f"Expected a finite number in column {column!r} at {place}. Received: "
            f"target={value!r}. Fill in the target or remove the example."
        )
    return number


def read_regression(source, text_column="text", target_column="label",
                    text_pair_column=None, encoding="utf-8", delimiter=None,
                    header=True, require_targets=True):
    """Reads texts (or pairs) and numeric targets.

    Args:
        source: str, PathLike, `pandas.DataFrame` or dict of lists.
        text_column, text_pair_column: column names, or 0-based indices with
            `header=False`.
        target_column: a column, a list of columns (several targets), or
            None (no targets).
        encoding, delimiter: as in `read_texts`.
        header: bool. `False` reads a headerless file, split on the delimiter
            with quoting disabled (see `read_stsb`). Defaults to `True`.
        require_targets: bool. Whether missing target columns are an error.

    Returns:
        A `TextData` whose `labels` are floats (one target) or lists of
        floats (several), or None.

    Raises:
        DataError: as `read_texts`, plus a target that is empty, not a number
            or not finite (NaN, inf), naming the file and line.
    """
    several = isinstance(target_column, (list, tuple))
    targets = list(target_column) if several else \
        ([] if target_column is None else [target_column])
    optional = () if require_targets else targets
    texts, pairs, values, lines, name = read_text_columns(
        source, text_column, text_pair_column, {t: "target_column" for t in targets},
        optional, encoding=encoding, delimiter=delimiter, header=header)
    labels = None
    if targets and all(t in values for t in targets):
        rows = [[_number(values[t][i], t, where(name, lines, i)) for t in targets]
                for i in range(len(texts))]
        labels = rows if several else [row[0] for row in rows]
    return TextData(texts=texts, pairs=pairs, labels=labels, source=name)


def read_stsb(path):
    """Reads an STS Benchmark file (`sts-train.csv`...): sentence pairs and
    similarity scores (0-5), tab-separated without header or quoting."""
    return read_regression(path, text_column=5, text_pair_column=6, target_column=4,
                           header=False, delimiter="\t")
