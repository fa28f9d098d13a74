"""Properties of `read_regression` and `read_stsb`: finite targets written
to CSV/JSONL/STS-B files read back exactly; any target value reads as a
finite float or raises a `DataError` naming the line."""

import csv
import io
import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kerasft.data import read_regression, read_stsb
from kerasft.errors import DataError
from data.property_support import (any_text, budget, line_ending, loads_or_data_error,
                                   new_file, no_hang, nonblank_text)

finite = st.floats(allow_nan=False, allow_infinity=False)


@budget(50)
@given(st.lists(st.tuples(nonblank_text, finite), min_size=1, max_size=5), line_ending,
       st.sampled_from(["d.csv", "d.tsv", "d.jsonl"]))
def test_round_trip(rows, ending, name):
    if name.endswith("jsonl"):
        content = ending.join(json.dumps({"text": t, "label": y}) for t, y in rows)
    else:
        out = io.StringIO(newline="")
        writer = csv.writer(out, delimiter="," if name.endswith("csv") else "\t",
                            lineterminator=ending, quoting=csv.QUOTE_ALL)
        writer.writerows([("text", "label")] + [(t, repr(y)) for t, y in rows])
        content = out.getvalue()
    path = new_file(name, content)
    with no_hang():
        data = read_regression(path)
    assert data.texts == [t for t, _ in rows]
    assert data.labels == [y for _, y in rows]


targets = st.one_of(st.integers(), st.integers(-10**400, 10**400), st.floats(),
                    st.booleans(), st.none(), any_text, st.lists(st.integers(), max_size=2),
                    st.dictionaries(any_text, st.integers(), max_size=1))


@budget(100)
@given(st.lists(targets, min_size=1, max_size=4))
def test_any_target_value(values):
    lines = [json.dumps({"text": "t", "label": y}) for y in values]
    path = new_file("d.jsonl", "\n".join(lines))
    data = loads_or_data_error(lambda: read_regression(path), path, "line")
    if data is not None:
        assert all(isinstance(y, float) and math.isfinite(y) for y in data.labels)


stsb_text = nonblank_text.filter(lambda t: not set(t) & set("\t\n\r"))


@budget(40)
@given(st.lists(st.tuples(finite, stsb_text, stsb_text), min_size=1, max_size=5),
       line_ending)
def test_stsb_round_trip(rows, ending):
    lines = [f"main-captions\tMSRvid\t2012test\t{i:04d}\t{y!r}\t{a}\t{b}"
             for i, (y, a, b) in enumerate(rows)]
    path = new_file("sts-train.csv", ending.join(lines))
    with no_hang():
        data = read_stsb(path)
    assert data.labels == [y for y, _, _ in rows]
    assert data.texts == [a for _, a, _ in rows]
    assert data.pairs == [b for _, _, b in rows]


@budget(60)
@given(st.lists(st.lists(any_text, max_size=8).map("\t".join), min_size=1, max_size=5),
       line_ending, st.binary(max_size=2))
def test_stsb_arbitrary_lines(lines, ending, junk):
    path = new_file("sts-dev.csv", ending.join(lines).encode("utf-8") + junk)
    loads_or_data_error(lambda: read_stsb(path), path, "line")


def test_huge_integer_target_is_a_data_error():
    path = new_file("d.jsonl", '{"text": "a", "label": 1%s}' % ("0" * 400))
    with pytest.raises(DataError, match=r"finite number.*d\.jsonl, line 1"):
        read_regression(path)
