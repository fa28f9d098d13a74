"""Properties of `read_documents`, `read_text_file`, `chunk_stream` and
`text_blocks`: texts and files (any characters, LF/CRLF, a BOM) read back;
blocks cover the token stream exactly; bad inputs raise a `DataError`."""

import os

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from kerasft.data import read_documents, text_blocks
from kerasft.data.text_blocks import chunk_stream
from kerasft.errors import DataError
from data.property_support import (any_text, bom, budget, loads_or_data_error, new_file,
                                   no_hang, nonblank_text)


@budget(60)
@given(st.lists(any_text, min_size=1, max_size=4), st.sampled_from(["\n", "\r\n", "\r"]), bom)
def test_files_read_back(texts, ending, prefix):
    paths = [new_file(f"doc{i}.txt", prefix + t.replace("\n", ending).encode("utf-8"))
             for i, t in enumerate(texts)]
    with no_hang():
        documents = read_documents(paths)
    assert documents == [t.replace("\r\n", "\n").replace("\r", "\n") for t in texts]


def _exists(text):
    """Texts such as "/" or "." name existing folders: read_documents would
    read them as paths (by design), so the properties of texts skip them."""
    return len(text) < 4096 and "\x00" not in text and os.path.exists(text)


@budget(60)
@given(st.lists(nonblank_text, min_size=1, max_size=4))
def test_texts_are_documents(texts):
    assume(not any(_exists(t) for t in texts))
    try:
        with no_hang():
            documents = read_documents(texts)
    except DataError as e:  # every item looks like a missing file
        assert "Text file not found" in str(e)
        return
    assert documents == texts


@budget(60)
@given(st.binary(max_size=20))
def test_invalid_bytes(content):
    path = new_file("doc.txt", content)
    loads_or_data_error(lambda: read_documents(path), path, "byte", "line")


@budget(60)
@given(st.lists(st.integers(0, 99), max_size=50), st.integers(1, 12), st.booleans())
def test_blocks_cover_the_stream(stream, block_size, drop):
    stream = np.asarray(stream, dtype="int32")
    blocks = chunk_stream(stream, block_size, drop_remainder=drop)
    assert all(2 <= len(b) <= block_size + 1 for b in blocks)
    if blocks and not drop:
        joined = np.concatenate([b[:-1] for b in blocks] + [blocks[-1][-1:]])
        assert joined.tolist() == stream.tolist()


@pytest.mark.parametrize("block_size", [True, 0, 2.0, "8"])
def test_block_size_must_be_a_positive_int(block_size):
    with pytest.raises(DataError, match="block_size"):
        chunk_stream(np.arange(5), block_size)


class _Encoding:
    def __init__(self, ids):
        self.ids = ids


class _Tokenizer:
    """One id per character (code point mod 100): enough for the stream."""

    class tokenizer:
        @staticmethod
        def encode_batch(texts, add_special_tokens=False):
            return [_Encoding([ord(c) % 100 for c in t]) for t in texts]


@budget(40)
@given(st.lists(any_text, min_size=1, max_size=3), st.integers(1, 8))
def test_text_blocks_of_any_text(texts, block_size):
    assume(not any(_exists(t) for t in texts))
    try:
        blocks = text_blocks(texts, _Tokenizer(), block_size, separator_id=0)
    except DataError as e:
        assert "Too little text" in str(e) or "Text file not found" in str(e)
        return
    assert sum(len(b) - 1 for b in blocks) == sum(len(t) + 1 for t in texts) - 1


def test_bom_is_not_part_of_the_document():
    path = new_file("doc.txt", b"\xef\xbb\xbfhello\r\nworld")
    assert read_documents(path) == ["hello\nworld"]
