"""Readers: CSV, TSV and JSONL files, DataFrames and dicts -> `TextData`.

Errors name the file and the line a text editor shows (header = line 1), or the
row index for in-memory data, and say how to fix the input.
"""

import csv
import io
import json
import os

import pandas as pd

from kerasft.data.text_data import TextData, check_texts, normalize_labels
from kerasft.errors import DataError

_DELIMITERS = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
_JSONL = (".jsonl", ".ndjson")
_NO_LABELS = ", or pass require_labels=False (or label_column=None) for unlabeled data"


def _missing_column(column, argument, found, where, hint=""):
    return DataError(
        f"Expected a column named {column!r} in {where}. Received: columns={found}. "
        f"Pass {argument}= naming the column that holds it{hint}."
    )


def _read_bytes(path):
    if not os.path.isfile(path):
        raise DataError(
            f"Expected an existing data file. Received: source={path!r}, which does "
            f"not exist. Check the path (relative paths start at {os.getcwd()})."
        )
    with open(path, "rb") as f:
        return f.read()


def _decode(path, encoding):
    data = _read_bytes(path)
    try:
        text = data.decode(encoding)
    except LookupError as e:
        raise ValueError(
            f"Expected a text encoding. Received: encoding={encoding!r}. Pass a "
            "Python codec name such as 'utf-8', 'cp1252' or 'latin-1'."
        ) from e
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise DataError(
            f"Could not decode {path}: byte {data[e.start:e.start + 1]!r} at byte "
            f"offset {e.start} (line {line}) is not valid {encoding}. Received: "
            f"encoding={encoding!r}. Pass the file's encoding, e.g. "
            "encoding='cp1252' (Windows) or encoding='latin-1', or save it as UTF-8."
        ) from e
    return text.removeprefix("\ufeff")


def _read_delimited(path, encoding, delimiter):
    content = _decode(path, encoding)
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter, strict=True)
    rows, lines, start = [], [], 1
    # No field is longer than the file: lift the csv module's 128 KB field
    # limit for this read (a valid long cell is not a quoting error).
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(content) + 1))
    try:
        for row in reader:
            if row:  # blank lines are skipped
                rows.append(row)
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as e:
        raise DataError(
            f"Could not parse {path}, line {start}: {e}. Expected fields that are "
            'unquoted or fully quoted, with inner quotes doubled (""). Fix the '
            "quoting; for a TSV file without quoting, read it with pandas.read_csv("
            "path, sep='\\t', quoting=csv.QUOTE_NONE, dtype=str, "
            "keep_default_na=False) and pass the DataFrame."
        ) from e
    finally:
        csv.field_size_limit(limit)
    if not rows:
        raise DataError(
            f"Expected a header line and examples in {path}. Received: an empty "
            "file. Write the header (e.g. text,label) and the examples."
        )
    header = rows[0]
    for row, line in zip(rows[1:], lines[1:]):
        if len(row) != len(header):
            raise DataError(
                f"Expected {len(header)} fields like the header {header} in {path}, "
                f"line {line}. Received: {len(row)} fields {row}. Quote fields "
                f"that contain the delimiter {delimiter!r} or a line break."
            )
    return {name: [r[i] for r in rows[1:]] for i, name in enumerate(header)}, lines[1:]


def _read_jsonl(path, encoding, wanted, optional):
    """Reads the `wanted` keys ({key: argument name}); `optional` keys are read
    when the first object has them."""
    columns, lines = {k: [] for k in wanted if k not in optional}, []
    for number, line in enumerate(_decode(path, encoding).split("\n"), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise DataError(
                f"Expected one JSON object per line in {path}, line {number}. "
                f"Received: invalid JSON ({e.msg}, column {e.colno}). Fix the line: "
                "JSONL holds one complete object per line."
            ) from e
        if not isinstance(record, dict):
            raise DataError(
                f"Expected a JSON object in {path}, line {number}. Received: "
                f"{line[:60]!r}. Write one object per line, e.g. "
                '{"text": "...", "label": "pos"}.'
            )
        if not lines:
            wanted = {k: v for k, v in wanted.items()
                      if k in record or k not in optional}
            columns = {key: [] for key in wanted}
        for key, argument in wanted.items():
            if key not in record:
                hint = _NO_LABELS if argument == "label_column" else ""
                where = f"{path}, line {number}"
                raise _missing_column(key, argument, list(record), where, hint)
            columns[key].append(record[key])
        lines.append(number)
    return columns, lines


def _read_file(path, encoding, delimiter, wanted, optional):
    extension = os.path.splitext(path)[1].lower()
    if delimiter is not None:
        if not isinstance(delimiter, str) or len(delimiter) != 1:
            raise ValueError(
                "Expected a one-character delimiter. Received: "
                f"delimiter={delimiter!r}. Pass e.g. delimiter=',' or '\\t'."
            )
        return _read_delimited(path, encoding, delimiter)
    if extension in _DELIMITERS:
        return _read_delimited(path, encoding, _DELIMITERS[extension])
    if extension in _JSONL:
        return _read_jsonl(path, encoding, wanted, optional)
    _read_bytes(path)  # a missing file is reported as missing
    raise DataError(
        "Expected a .csv, .tsv, .tab, .jsonl or .ndjson file. Received: "
        f"source={path!r}. Rename it, pass delimiter=',' (or '\\t') to read it as "
        "delimited text, use read_fasttext() for fastText files, or load it with "
        "pandas and pass the DataFrame."
    )


def _in_memory_columns(source):
    if isinstance(source, pd.DataFrame):
        return {c: source.iloc[:, i].tolist() for i, c in enumerate(source.columns)}
    columns = {key: list(values) for key, values in source.items()}
    lengths = {key: len(values) for key, values in columns.items()}
    if len(set(lengths.values())) > 1:
        raise DataError(
            f"Expected lists of one length in the dict. Received: lengths={lengths}."
            " Give every column one value per example."
        )
    return columns


def _read_headerless(path, encoding, delimiter, indices):
    """Fields of a headerless delimited file, split on `delimiter` with
    quoting disabled (stray quotes are text)."""
    columns, lines = {i: [] for i in indices}, []
    for number, line in enumerate(_decode(path, encoding).split("\n"), 1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        fields = line.split(delimiter)
        if len(fields) <= max(indices):
            raise DataError(
                f"Expected at least {max(indices) + 1} fields in {path}, line "
                f"{number}. Received: {len(fields)} fields {fields[:8]}. Fix the "
                f"line, or pass the 0-based index of each column (delimiter "
                f"{delimiter!r})."
            )
        for i in indices:
            columns[i].append(fields[i])
        lines.append(number)
    return columns, lines


def read_columns(source, columns, optional=(), encoding="utf-8", delimiter=None,
                 header=True):
    """Reads raw, unparsed column values (for task readers that parse labels
    themselves: label lists, numeric targets).

    Args:
        source: str, PathLike, `pandas.DataFrame` or dict of lists.
        columns: dict of column -> the argument that named it (for errors),
            e.g. `{"text": "text_column"}`. With `header=False`, columns are
            0-based field indices.
        optional: columns that may be absent (then left out of the result).
        encoding: str. Text encoding of files. Defaults to `"utf-8"`.
        delimiter: str or None. As in `read_texts`. Defaults to `None`.
        header: bool. `False` reads a headerless delimited file whose lines
            are split on the delimiter with quoting disabled (STS-B,
            GoEmotions). Defaults to `True`.

    Returns:
        `(values, lines, name)`: dict column -> list of values, the file line
        of each example (None for in-memory data), the source's name.

    Raises:
        DataError: a missing file or column, a short line, or no examples.
    """
    optional = set(optional)
    if isinstance(source, (pd.DataFrame, dict)):
        name, lines = f"<{type(source).__name__}>", None
        found = _in_memory_columns(source)
    elif isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
        if header:
            found, lines = _read_file(name, encoding, delimiter, dict(columns), optional)
        else:
            bad = [c for c in columns if isinstance(c, bool) or not isinstance(c, int)]
            extension = os.path.splitext(name)[1].lower()
            delimiter = delimiter or _DELIMITERS.get(extension)
            if bad or delimiter is None:
                raise ValueError(
                    "Expected 0-based integer columns and a .csv/.tsv file (or a "
                    "delimiter) for a headerless file. Received: columns="
                    f"{list(columns)}, source={name!r}, delimiter={delimiter!r}. "
                    "Pass column indices, and delimiter='\\t' if needed."
                )
            found, lines = _read_headerless(name, encoding, delimiter, list(columns))
    else:
        raise TypeError(
            "Expected a file path, a pandas DataFrame or a dict of lists. "
            f"Received: source={source!r} of type {type(source).__name__}."
        )
    for column, argument in columns.items():
        if column not in found and column not in optional:
            raise _missing_column(column, argument, list(found), name)
    values = {c: found[c] for c in columns if c in found}
    if not any(len(v) for v in values.values()):
        raise DataError(
            f"Expected at least one example in {name}. Received: 0 rows. Check "
            "that the right file was passed and that it has rows below the header."
        )
    return values, lines, name


def read_text_columns(source, text_column, text_pair_column=None, columns=None,
                      optional=(), **options):
    """`read_columns` for task readers: the checked texts (and second texts
    of pairs) plus the raw values of the task's own `columns`.

    Args:
        source, optional, **options: as in `read_columns` (`encoding`,
            `delimiter`, `header`).
        text_column, text_pair_column: as in `read_texts`.
        columns: dict of extra column -> the argument that named it.

    Returns:
        `(texts, pairs, values, lines, name)`; `pairs` is None without a
        `text_pair_column`.
    """
    wanted = {text_column: "text_column"}
    if text_pair_column is not None:
        wanted[text_pair_column] = "text_pair_column"
    wanted.update(columns or {})
    values, lines, name = read_columns(source, wanted, optional, **options)
    texts = check_texts(values[text_column], str(text_column), name, lines)
    pairs = None
    if text_pair_column is not None:
        pairs = check_texts(values[text_pair_column], str(text_pair_column), name, lines)
    return texts, pairs, values, lines, name


def read_texts(
    source,
    text_column="text",
    label_column="label",
    text_pair_column=None,
    encoding="utf-8",
    delimiter=None,
    require_labels=True,
):
    """Reads texts (and labels) from a file, a DataFrame or a dict of lists.

    Files are read by extension: `.csv`, `.tsv`/`.tab` (CSV quoting rules:
    quoted fields may hold delimiters, doubled quotes and line breaks) and
    `.jsonl`/`.ndjson` (one JSON object per line). Blank lines are skipped.
    Labels keep their natural type: int when every label is an integer (`"3"`,
    `3` or `3.0`), float when they are numbers but not all integers, str
    otherwise. Empty, `"nan"` and `NaN` labels are errors, never new classes.

    Args:
        source: str, PathLike, `pandas.DataFrame` or dict of lists.
        text_column: str. Column holding the texts. Defaults to `"text"`.
        label_column: str or None. Column holding the labels; `None` reads no
            labels. Defaults to `"label"`.
        text_pair_column: str or None. Column holding the second text of
            sentence-pair examples. Defaults to `None`.
        encoding: str. Text encoding of files. Defaults to `"utf-8"`.
        delimiter: str or None. Field delimiter; when set, the file is read as
            delimited text whatever its extension. Defaults to `None`.
        require_labels: bool. Whether a missing label column is an error; pass
            `False` for prediction inputs (for JSONL, labels are then read if
            the first object has them). Defaults to `True`.

    Returns:
        A `TextData`.

    Raises:
        DataError: a missing file or column, an unknown extension, bytes not
            valid in `encoding`, bad JSON or quoting, an empty or non-string
            text, a missing label, or no examples at all.

    Example:

    >>> data = read_texts({"text": ["good", "bad"], "label": [1, 0]})
    >>> data.texts, data.labels
    (['good', 'bad'], [1, 0])
    """
    if label_column is None:
        require_labels = False
    if isinstance(source, (pd.DataFrame, dict)):
        name, lines = f"<{type(source).__name__}>", None
        columns = _in_memory_columns(source)
    elif isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
        wanted = {text_column: "text_column", text_pair_column: "text_pair_column"}
        wanted = {k: v for k, v in wanted.items() if k is not None}
        if label_column is not None:
            wanted[label_column] = "label_column"
        optional = () if require_labels else (label_column,)
        columns, lines = _read_file(name, encoding, delimiter, wanted, optional)
    else:
        raise TypeError(
            "Expected a file path, a pandas DataFrame or a dict of lists. "
            f"Received: source={source!r} of type {type(source).__name__}."
        )
    checked = [(text_column, "text_column"), (text_pair_column, "text_pair_column")]
    if require_labels:
        checked.append((label_column, "label_column"))
    for column, argument in checked:
        if column is not None and column not in columns:
            hint = _NO_LABELS if argument == "label_column" else ""
            raise _missing_column(column, argument, list(columns), name, hint)
    if not columns[text_column]:
        raise DataError(
            f"Expected at least one example in {name}. Received: 0 rows. Check "
            "that the right file was passed and that it has rows below the header."
        )
    pairs = labels = None
    if text_pair_column is not None:
        pairs = check_texts(columns[text_pair_column], text_pair_column, name, lines)
    if label_column is not None and label_column in columns:
        labels = normalize_labels(columns[label_column], label_column, name, lines)
    texts = check_texts(columns[text_column], text_column, name, lines)
    return TextData(texts=texts, pairs=pairs, labels=labels, source=name)
