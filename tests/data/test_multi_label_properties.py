"""Properties of `read_multi_label` and `parse_label_lists`: label lists
written as "a,b" strings or JSON lists read back (repeats counted once);
any label cell reads or raises a `DataError` naming the line."""

import csv
import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kerasft.data import parse_label_lists, read_multi_label
from kerasft.errors import DataError
from data.property_support import (any_text, budget, line_ending, loads_or_data_error,
                                   new_file, no_hang)

names = st.from_regex(r"[A-Za-z][A-Za-z _-]{0,8}[A-Za-z]", fullmatch=True)
label_lists = st.lists(names, min_size=1, max_size=4) | \
    st.lists(st.integers(0, 10**6), min_size=1, max_size=4)


def _csv(texts, cells, ending):
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=ending, quoting=csv.QUOTE_ALL)
    writer.writerow(["text", "labels"])
    writer.writerows(zip(texts, cells))
    return out.getvalue()


@budget(60)
@given(st.lists(label_lists, min_size=1, max_size=5), st.booleans(), line_ending)
def test_round_trip(lists, as_json, ending):
    kinds = {type(lists[0][0])}
    lists = [y for y in lists if {type(v) for v in y} == kinds]
    cells = [json.dumps(y) if as_json else ",".join(map(str, y)) for y in lists]
    path = new_file("d.csv", _csv(["t"] * len(cells), cells, ending))
    with no_hang():
        data = read_multi_label(path)
    assert data.labels == [list(dict.fromkeys(y)) for y in lists]


label_cells = st.one_of(
    any_text, st.from_regex(r"[+\-²³0-9١٢, ]{0,12}", fullmatch=True),
    st.lists(st.integers(-10**30, 10**30) | any_text | st.floats() | st.booleans(),
             max_size=3).map(json.dumps),
    st.just("[" * 3000))


@budget(120)
@given(st.lists(label_cells, min_size=1, max_size=4), st.booleans())
def test_arbitrary_label_cells(cells, allow_empty):
    """Digits of other scripts, superscripts, signs, floats, bools, bad JSON."""
    path = new_file("d.csv", _csv(["t"] * len(cells), cells, "\n"))
    read = lambda: read_multi_label(path, allow_empty_labels=allow_empty)  # noqa: E731
    data = loads_or_data_error(read, path, "line")
    if data is not None:
        for labels in data.labels:
            assert all(isinstance(v, (int, str)) and not isinstance(v, bool) for v in labels)


@budget(60)
@given(st.lists(st.lists(st.integers() | any_text, max_size=3) | any_text, min_size=1,
                max_size=4))
def test_parse_label_lists_in_memory(values):
    try:
        with no_hang():
            lists = parse_label_lists(values)
    except DataError as e:
        assert "row index" in str(e)
        return
    assert len(lists) == len(values)


@pytest.mark.parametrize("cell", ["²", "+-3", "3,²"])
def test_digit_like_labels_do_not_crash(cell):
    path = new_file("d.csv", _csv(["t"], [cell], "\n"))
    labels = read_multi_label(path).labels[0]
    assert all(isinstance(v, str) for v in labels)


def test_deeply_nested_json_list_is_a_data_error():
    path = new_file("d.csv", _csv(["t"], ["[" * 3000], "\n"))
    with pytest.raises(DataError, match=r"d\.csv, line 2"):
        read_multi_label(path)
