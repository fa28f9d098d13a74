import numpy as np
import pytest

from kerasft.data.text_blocks import chunk_stream, read_documents, text_blocks, tokenize_documents
from kerasft.errors import DataError


@pytest.fixture(scope="module")
def tokenizer():
    from fixtures_hf import train_byte_level_bpe

    from kerasft.tokenizers import Tokenizer

    return Tokenizer(train_byte_level_bpe(), pad_token="<|endoftext|>")


def test_chunk_stream_overlaps_by_one_and_predicts_each_token_once():
    stream = np.arange(10, dtype="int32")
    blocks = chunk_stream(stream, 4)
    assert [b.tolist() for b in blocks] == [[0, 1, 2, 3, 4], [4, 5, 6, 7, 8], [8, 9]]
    targets = np.concatenate([b[1:] for b in blocks])
    np.testing.assert_array_equal(targets, stream[1:])
    assert [b.tolist() for b in chunk_stream(stream, 4, drop_remainder=True)] == [
        [0, 1, 2, 3, 4], [4, 5, 6, 7, 8]]
    assert [len(b) for b in chunk_stream(np.arange(9), 4)] == [5, 5]


def test_chunk_stream_rejects_bad_block_size():
    with pytest.raises(DataError, match="block_size"):
        chunk_stream(np.arange(5), 0)


def test_tokenize_documents_joins_with_separator(tokenizer):
    eos = tokenizer.token_to_id("<|endoftext|>")
    docs = ["A man in a blue shirt.", "Two dogs play."]
    stream = tokenize_documents(docs, tokenizer, separator_id=eos)
    first = tokenizer.encode([docs[0]])["token_ids"][0]
    second = tokenizer.encode([docs[1]])["token_ids"][0]
    np.testing.assert_array_equal(stream, np.concatenate([first, [eos], second, [eos]]))
    assert tokenizer.decode(stream) == "A man in a blue shirt.Two dogs play."


def test_text_blocks_from_files_and_directories(tokenizer, tmp_path):
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "b.txt").write_text("Two dogs play in the snow.\n", encoding="utf-8")
    (tmp_path / "corpus" / "a.txt").write_text("A man in a blue shirt.\n", encoding="utf-8")
    (tmp_path / "corpus" / "notes.json").write_text("{}", encoding="utf-8")
    docs = read_documents(str(tmp_path / "corpus"))
    assert docs == ["A man in a blue shirt.\n", "Two dogs play in the snow.\n"]  # sorted, .txt only
    assert read_documents([tmp_path / "corpus" / "b.txt"]) == [docs[1]]
    assert read_documents(str(tmp_path / "corpus" / "a.txt")) == [docs[0]]
    blocks = text_blocks(str(tmp_path / "corpus"), tokenizer, 8, separator_id=0)
    stream = tokenize_documents(docs, tokenizer, separator_id=0)
    assert all(len(b) == 9 for b in blocks[:-1])
    np.testing.assert_array_equal(np.concatenate([b[1:] for b in blocks]), stream[1:])


def test_texts_are_texts(tokenizer):
    assert read_documents(["hello there", "a.txt is a name"]) == ["hello there", "a.txt is a name"]


def test_read_documents_errors(tmp_path):
    (tmp_path / "a.txt").write_text("text", encoding="utf-8")
    with pytest.raises(DataError, match="Text file not found"):
        read_documents(str(tmp_path / "missing.txt"))
    with pytest.raises(DataError, match="Text file not found"):
        read_documents(["corpus/missing.txt"])
    with pytest.raises(DataError, match="mixes file paths and texts"):
        read_documents([str(tmp_path / "a.txt"), "some text"])
    with pytest.raises(DataError, match=r"x\[1\]=3"):
        read_documents(["text", 3])
    with pytest.raises(DataError, match="Expected texts"):
        read_documents([])
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="No text files"):
        read_documents(str(tmp_path / "empty"))
    (tmp_path / "latin1.txt").write_bytes("Grüße".encode("latin-1"))
    with pytest.raises(DataError, match="not valid utf-8"):
        read_documents(str(tmp_path / "latin1.txt"))
    assert read_documents(str(tmp_path / "latin1.txt"), encoding="latin-1") == ["Grüße"]


def test_text_blocks_needs_two_tokens(tokenizer):
    with pytest.raises(DataError, match="Too little text"):
        text_blocks(["a"], tokenizer, 8)
