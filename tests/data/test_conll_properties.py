"""Properties of `read_conll`: generated sentences written as CoNLL (spaces
or tabs, LF or CRLF, with or without a BOM) read back the same tokens and
IOB2 tags; arbitrary lines read or raise a `DataError` naming the line."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kerasft.data import read_conll
from kerasft.data.conll import DOCSTART
from kerasft.errors import DataError
from data.property_support import (any_text, bom, budget, line_ending,
                                   loads_or_data_error, new_file, no_hang)

token_chars = st.characters(codec="utf-8", exclude_characters="\ufeff")
# Tokens of space-separated files hold no whitespace; of tab-separated files,
# no tab and no line break ("\n", "\r"), but any other character.
spaced_tokens = st.text(token_chars, min_size=1, max_size=12).filter(
    lambda t: not any(c.isspace() for c in t) and t != DOCSTART)
tabbed_tokens = st.text(token_chars, min_size=1, max_size=12).filter(
    lambda t: t.strip() and not set(t) & set("\t\n\r") and t.split()[0] != DOCSTART)
entity = st.sampled_from(["PER", "LOC", "ORG", "MISC", "Ünïcødé"])


@st.composite
def tagged_sentence(draw, tokens):
    spans = draw(st.lists(st.tuples(st.none() | entity, st.integers(1, 3)),
                          min_size=1, max_size=4))
    tags = []
    for kind, length in spans:
        tags += ["O"] * length if kind is None else \
            [f"B-{kind}"] + [f"I-{kind}"] * (length - 1)
    return [draw(tokens) for _ in tags], tags


def _conll(sentences, separator, ending, docstart):
    lines = [f"{DOCSTART}{separator}O", ""] if docstart else []
    for tokens, tags in sentences:
        lines += [f"{t}{separator}{y}" for t, y in zip(tokens, tags)] + [""]
    return ending.join(lines)


@budget(40)
@given(st.data(), st.sampled_from([" ", "\t"]), line_ending, bom, st.booleans())
def test_round_trip(data, separator, ending, prefix, docstart):
    tokens = spaced_tokens if separator == " " else tabbed_tokens
    sentences = data.draw(st.lists(tagged_sentence(tokens), min_size=1, max_size=4))
    content = prefix + _conll(sentences, separator, ending, docstart).encode("utf-8")
    path = new_file("train.txt", content)
    with no_hang():
        read = read_conll(path, delimiter=None if separator == " " else "\t")
    assert read.tokens == [tokens for tokens, _ in sentences]
    assert read.tags == [tags for _, tags in sentences]


@budget(80)
@given(st.lists(st.lists(any_text, max_size=4).map(" ".join), min_size=1, max_size=8),
       line_ending, st.binary(max_size=2), st.integers(-3, 3), st.integers(-3, 3),
       st.sampled_from([None, "\t"]))
def test_arbitrary_lines(lines, ending, junk, token_column, tag_column, delimiter):
    """Ragged lines, bad tags, control characters, invalid bytes."""
    path = new_file("train.txt", ending.join(lines).encode("utf-8") + junk)
    read = lambda: read_conll(path, token_column=token_column,  # noqa: E731
                              tag_column=tag_column, delimiter=delimiter)
    data = loads_or_data_error(read, path, "line")
    if data is not None:
        assert len(data.tokens) == len(data.tags)
        assert all(len(t) == len(y) for t, y in zip(data.tokens, data.tags))


def test_tab_separated_token_with_a_unicode_line_separator():
    """Lines end at "\\n" only: U+2028, form feeds and the like are text."""
    path = new_file("train.txt", "Pe\u2028ter\tB-PER\nru\x0cns\tO\n")
    data = read_conll(path, delimiter="\t")
    assert data.tokens == [["Pe\u2028ter", "ru\x0cns"]]


def test_line_numbers_count_newlines_only():
    path = new_file("train.txt", "a\x0cb O\nc O\n")
    with pytest.raises(DataError, match=r"train\.txt, line 2"):
        read_conll(path)
