"""Properties of `read_po`, `read_po_pairs` and `read_text_pairs`: entries
written as gettext `.po` (escaped as msgfmt does, LF or CRLF, with or
without a BOM) and pairs written as CSV read back exactly; arbitrary lines
read or raise a `DataError` naming the file and line."""

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kerasft.data import read_po, read_po_pairs
from kerasft.data.text_pairs import read_text_pairs
from kerasft.errors import DataError
from data.property_support import (any_text, bom, budget, line_ending, loads_or_data_error,
                                   new_file, no_hang, nonblank_text)

_ESCAPE = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def quote(text):
    return '"' + "".join(_ESCAPE.get(c, c) for c in text) + '"'


@budget(60)
@given(st.lists(st.tuples(nonblank_text, nonblank_text), min_size=1, max_size=5),
       line_ending, bom)
def test_po_round_trip(pairs, ending, prefix):
    """Any characters (U+2028, form feeds, NUL, RTL...) but the escaped ones raw."""
    lines = ['msgid ""', 'msgstr "Content-Type: text/plain; charset=UTF-8\\n"', ""]
    for source, target in pairs:
        lines += [f"msgid {quote(source)}", f"msgstr {quote(target)}", ""]
    path = new_file("django.po", prefix + ending.join(lines).encode("utf-8"))
    with no_hang():
        sources, targets = read_po_pairs(path)
    assert sources == [s for s, _ in pairs]
    assert targets == [t for _, t in pairs]


po_lines = st.one_of(
    any_text, st.builds("{} {}".format, st.sampled_from(
        ["msgid", "msgstr", "msgctxt", "msgid_plural", "msgstr[1]", "#,", "#~"]),
        any_text | any_text.map(lambda t: f'"{t}"')))


@budget(100)
@given(st.lists(po_lines, min_size=1, max_size=8), line_ending, st.binary(max_size=2))
def test_po_arbitrary_lines(lines, ending, junk):
    """Bad escapes (\\8, \\x, a trailing backslash), stray strings, invalid bytes."""
    path = new_file("x.po", ending.join(lines).encode("utf-8") + junk)
    loads_or_data_error(lambda: read_po(path), path, "line")


@pytest.mark.parametrize("escape", ["\\8", "\\9", "\\\u0663"])
def test_non_octal_digit_escape_is_a_data_error(escape):
    path = new_file("x.po", f'msgid "a{escape}"\nmsgstr "b"\n')
    with pytest.raises(DataError, match=r"x\.po, line 1: unknown escape"):
        read_po(path)


def test_po_with_bom_reads():
    path = new_file("x.po", b'\xef\xbb\xbfmsgid "a"\nmsgstr "b"\n')
    assert read_po_pairs(path) == (["a"], ["b"])


def test_po_line_separator_in_a_string_is_text():
    path = new_file("x.po", 'msgid "a\u2028b"\nmsgstr "c\x0cd"\n')
    assert read_po_pairs(path) == (["a\u2028b"], ["c\x0cd"])


def test_po_invalid_byte_names_the_line():
    path = new_file("x.po", b'msgid "a"\nmsgstr "\xff"\n')
    with pytest.raises(DataError, match=r"x\.po.*line 2"):
        read_po(path)


# --- read_text_pairs (CSV/JSONL) ---


@budget(60)
@given(st.lists(st.tuples(nonblank_text, nonblank_text), min_size=1, max_size=5))
def test_text_pairs_round_trip(pairs):
    """Targets are texts: "007", "3.0" and "nan" come back as written."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerows([("text", "label")] + pairs)
    path = new_file("pairs.csv", out.getvalue())
    with no_hang():
        data = read_text_pairs(path)
    assert data.texts == [s for s, _ in pairs]
    assert data.labels == [t for _, t in pairs]


@pytest.mark.parametrize("target", ["007", "3.0", "1e3", "nan", " 5"])
def test_numeric_looking_targets_are_kept(target):
    path = new_file("pairs.csv", f'text,label\nsource,"{target}"\n')
    assert read_text_pairs(path).labels == [target]


def test_non_string_target_names_the_line():
    path = new_file("pairs.jsonl", '{"text": "a", "label": "b"}\n{"text": "a", "label": 3}\n')
    with pytest.raises(DataError, match=r"pairs\.jsonl, line 2"):
        read_text_pairs(path)
