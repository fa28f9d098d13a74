"""Properties of `read_texts` (CSV, TSV, JSONL) and `read_fasttext`: any file
either reads back what was written or raises a `DataError` naming the file
and the line; never a csv/json/pandas traceback, never a hang."""

import csv
import io
import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kerasft.data import read_fasttext, read_texts
from kerasft.errors import DataError
from data.property_support import (any_text, bom, budget, line_ending, loads_or_data_error,
                              new_file, no_hang, nonblank_text)

label_names = st.from_regex(r"[A-Za-z][A-Za-z_-]{0,8}", fullmatch=True).filter(
    lambda s: s.lower() not in ("nan", "inf", "infinity"))
labels = st.one_of(st.lists(label_names, min_size=1, max_size=6),
                   st.lists(st.integers(-10**6, 10**6), min_size=1, max_size=6))


def _rows(labels_list, texts):
    n = min(len(labels_list), len(texts))
    return texts[:n], labels_list[:n]


def _delimited(texts, labels_list, delimiter, ending, prefix, quote_all=False):
    # Python 3.11's writer leaves a bare "\r" unquoted when the line ends
    # with "\n", which no reader can tell from a line break: quote those.
    quote_all = quote_all or any("\r" in t for t in texts)
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator=ending,
                        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerow(["text", "label"])
    writer.writerows(zip(texts, labels_list))
    return prefix + out.getvalue().encode("utf-8")


@budget(60)
@given(labels, st.lists(nonblank_text, min_size=1, max_size=6),
       st.sampled_from([(",", "d.csv"), ("\t", "d.tsv")]), line_ending, bom, st.booleans())
def test_delimited_round_trip(labels_list, texts, format, ending, prefix, quote_all):
    texts, labels_list = _rows(labels_list, texts)
    delimiter, name = format
    content = _delimited(texts, labels_list, delimiter, ending, prefix, quote_all)
    path = new_file(name, content)
    with no_hang():
        data = read_texts(path)
    assert data.texts == texts
    assert data.labels == labels_list


@budget(60)
@given(labels, st.lists(nonblank_text, min_size=1, max_size=6), line_ending, bom,
       st.booleans())
def test_jsonl_round_trip(labels_list, texts, ending, prefix, ascii):
    texts, labels_list = _rows(labels_list, texts)
    lines = [json.dumps({"text": t, "label": y}, ensure_ascii=ascii)
             for t, y in zip(texts, labels_list)]
    path = new_file("d.jsonl", prefix + ending.join(lines).encode("utf-8"))
    with no_hang():
        data = read_texts(path)
    assert data.texts == texts
    assert data.labels == labels_list


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(-10**400, 10**400)
    | st.floats() | any_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
    max_leaves=6)


wrong_records = st.one_of(
    st.fixed_dictionaries({"text": nonblank_text | json_values,
                           "label": label_names | st.integers() | json_values}),
    st.dictionaries(st.sampled_from(["text", "label", "other"]), json_values))


@budget(150)
@given(st.lists(wrong_records, min_size=1, max_size=5), st.integers(0, 40) | st.just(0),
       line_ending)
def test_jsonl_wrong_types_and_truncation(records, cut, ending):
    """Numbers, lists, dicts, bools and huge numbers where strings go, and a
    truncated last line: read, or a DataError naming the line."""
    content = ending.join(json.dumps(r) for r in records)
    content = content[:len(content) - cut] if cut else content
    path = new_file("d.jsonl", content)
    data = loads_or_data_error(lambda: read_texts(path), path, "line")
    if data is not None:
        assert all(isinstance(t, str) and t.strip() for t in data.texts)
        assert all(isinstance(y, (str, int, float)) and not isinstance(y, bool)
                   for y in data.labels)


raw_rows = st.lists(st.lists(any_text, max_size=4), min_size=1, max_size=6)


@budget(100)
@given(raw_rows, st.sampled_from(["d.csv", "d.tsv"]), line_ending, bom,
       st.binary(max_size=3), st.integers(0, 200))
def test_delimited_ragged_rows_and_garbage(rows, name, ending, prefix, junk, at):
    """Ragged rows, empty fields, stray quotes and invalid UTF-8 bytes."""
    delimiter = "," if name.endswith("csv") else "\t"
    text = ending.join(delimiter.join(row) for row in [["text", "label"]] + rows)
    content = text.encode("utf-8")
    content = prefix + content[:at] + junk + content[at:]
    path = new_file(name, content)
    data = loads_or_data_error(lambda: read_texts(path), path, "line")
    if data is not None:
        assert len(data.texts) == len(data.labels)


def test_csv_cell_over_128_kb_reads():
    """A valid quoted 200 KB cell (the csv module's default limit is 128 KB)."""
    text = "long, \"quoted\" text " * 10_000
    path = new_file("d.csv", _delimited([text, "short"], ["a", "b"], ",", "\n", b""))
    data = read_texts(path)
    assert data.texts == [text, "short"]
    assert data.labels == ["a", "b"]
    jsonl = new_file("d.jsonl", json.dumps({"text": text, "label": "a"}))
    assert read_texts(jsonl).texts == [text]


@budget(30)
@given(st.integers(130_000, 400_000), st.sampled_from([",", "\t"]))
def test_very_long_cells(size, delimiter):
    text = ("x" * (size - 1)) + "é"
    name = "d.csv" if delimiter == "," else "d.tsv"
    path = new_file(name, _delimited([text], [1], delimiter, "\n", b""))
    with no_hang():
        assert read_texts(path).texts == [text]


def test_unterminated_quote_names_the_line():
    path = new_file("d.csv", 'text,label\nok,a\n"open,b\nmore,c\n')
    with pytest.raises(DataError, match=r"d\.csv, line 3"):
        read_texts(path)


# --- fastText ---

fasttext_texts = nonblank_text.filter(
    lambda t: "\n" not in t and not t.strip().startswith("__label__"))


@budget(60)
@given(st.lists(st.tuples(label_names, fasttext_texts), min_size=1, max_size=6),
       line_ending, bom)
def test_fasttext_round_trip(examples, ending, prefix):
    content = ending.join(f"__label__{y} {t}" for y, t in examples)
    path = new_file("d.txt", prefix + content.encode("utf-8"))
    with no_hang():
        data = read_fasttext(path)
    assert data.texts == [t.strip() for _, t in examples]
    assert data.labels == [y for y, _ in examples]


@budget(60)
@given(st.lists(any_text, min_size=1, max_size=6), line_ending, st.binary(max_size=2))
def test_fasttext_arbitrary_lines(lines, ending, junk):
    path = new_file("d.txt", ending.join(lines).encode("utf-8") + junk)
    data = loads_or_data_error(lambda: read_fasttext(path), path, "line", "0 lines")
    if data is not None:
        assert all(t.strip() for t in data.texts)


number_labels = st.one_of(
    st.integers(), st.integers(-10**400, 10**400), st.floats(), st.booleans(),
    st.from_regex(r"[+-]?[0-9]{1,5000}", fullmatch=True),
    st.from_regex(r"[+-]?[0-9]{1,3}(\.[0-9]*)?[eE][+-]?[0-9]{1,4}", fullmatch=True))


@budget(100)
@given(st.lists(number_labels, min_size=1, max_size=4))
def test_jsonl_number_labels_of_any_size(values):
    """Huge ints, 5000-digit strings, 1e400, NaN, bools: labels that read
    are finite ints/floats/names (never a bool), else a DataError."""
    lines = [json.dumps({"text": "t", "label": y}) for y in values]
    path = new_file("d.jsonl", "\n".join(lines))
    data = loads_or_data_error(lambda: read_texts(path), path, "line")
    if data is not None:
        for label in data.labels:
            assert not isinstance(label, bool)
            assert isinstance(label, (int, str)) or math.isfinite(label)


def test_huge_integer_labels_stay_integers():
    path = new_file("d.jsonl", '{"text": "a", "label": 1%s}\n' % ("0" * 400))
    assert read_texts(path).labels == [10**400]


def test_huge_integer_among_fraction_labels_is_refused():
    path = new_file("d.jsonl", '{"text": "a", "label": 1%s}\n{"text": "b", "label": 0.5}'
                    % ("0" * 400))
    with pytest.raises(DataError, match=r"fit in a float.*d\.jsonl, line 1"):
        read_texts(path)


def test_integer_label_over_4300_digits_is_a_name():
    path = new_file("d.csv", "text,label\na,%s\n" % ("1" * 5000))
    assert read_texts(path).labels == ["1" * 5000]


def test_infinite_label_is_refused():
    path = new_file("d.csv", "text,label\na,1\nb,1e400\n")
    with pytest.raises(DataError, match=r"finite number as label.*d\.csv, line 3"):
        read_texts(path)


def test_bool_labels_are_refused():
    path = new_file("d.jsonl", '{"text": "a", "label": true}\n{"text": "b", "label": false}')
    with pytest.raises(DataError, match=r"d\.jsonl, line 1\. Received: label=True \(bool\)"):
        read_texts(path)
