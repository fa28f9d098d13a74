"""Raw text -> fixed-length token blocks for causal language modelling.

The recipe of Hugging Face's `run_clm`: tokenize every document, join the
token streams (with an end-of-text separator between documents), and cut
the stream into blocks. Each block holds `block_size + 1` tokens and
overlaps the next by one, so inputs are `block[:-1]`, targets `block[1:]`,
and every token of the stream after the first is predicted exactly once.
"""

import os

import numpy as np

from kerasft.data.splits import train_test_split
from kerasft.data.text_data import TextData
from kerasft.errors import DataError

TEXT_EXTENSIONS = (".txt", ".text", ".md", ".raw")


def _looks_like_path(text):
    return "\n" not in text and text.lower().endswith(TEXT_EXTENSIONS) and len(text) < 4096


def _files_in(directory):
    found = []
    for root, dirs, names in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [os.path.join(root, n) for n in sorted(names)
                  if n.lower().endswith(TEXT_EXTENSIONS) and not n.startswith(".")]
    if not found:
        raise DataError(
            f"No text files in the directory {directory}. Expected files ending in "
            f"{', '.join(TEXT_EXTENSIONS)}. Received: an empty or unrelated directory."
        )
    return found


def read_text_file(path, encoding="utf-8"):
    """The content of one text file (newlines normalised to `\\n`).

    Raises:
        DataError: the file is missing, unreadable or not in `encoding`.
    """
    try:
        with open(path, encoding=encoding, newline=None) as f:
            return f.read().removeprefix("\ufeff")  # a BOM is no text
    except FileNotFoundError:
        raise DataError(
            f"Text file not found. Received: {path!r}. Check the path."
        ) from None
    except UnicodeDecodeError as e:
        raise DataError(
            f"{path} is not valid {encoding} text (byte {e.start}). Received: "
            f"encoding={encoding!r}. Pass the file's encoding."
        ) from None
    except OSError as e:
        raise DataError(f"Could not read {path}: {e}.") from None


def read_documents(x, encoding="utf-8"):
    """Documents from texts, text file paths or directories.

    Args:
        x: a path (str or `os.PathLike`) of a text file or a directory
            (every `.txt`/`.text`/`.md`/`.raw` file below it, sorted); or a
            list of paths; or a list of texts. A list of strings is read as
            paths when every string is an existing file or directory.
        encoding: str. Encoding of the files.

    Returns:
        list of str, one per document (a text, or a whole file).

    Raises:
        DataError: no documents, a missing file, a list that mixes paths
            and texts, or a non-string item.
    """
    if isinstance(x, (str, os.PathLike)):
        x = [x]
    if not isinstance(x, (list, tuple)) or not x:
        raise DataError(
            "Expected texts, text file paths or a directory. Received: "
            f"{type(x).__name__} {x!r:.80}."
        )
    for i, item in enumerate(x):
        if not isinstance(item, (str, os.PathLike)):
            raise DataError(
                f"Every item must be a text or a path. Received: x[{i}]={item!r} of "
                f"type {type(item).__name__}."
            )
    is_path = [isinstance(item, os.PathLike) or (
        len(item) < 4096 and "\n" not in item and os.path.exists(item)) for item in x]
    if all(is_path):
        documents = []
        for item in x:
            item = os.fspath(item)
            files = _files_in(item) if os.path.isdir(item) else [item]
            documents += [read_text_file(f, encoding) for f in files]
        return documents
    if any(is_path):
        first_text = is_path.index(False)
        raise DataError(
            "The list mixes file paths and texts. Received: x[{0}]={1!r:.60} is not an "
            "existing file while x[{2}] is. Pass only paths or only texts.".format(
                first_text, x[first_text], is_path.index(True))
        )
    missing = [item for item in x if _looks_like_path(item)]
    if len(missing) == len(x):
        raise DataError(
            f"Text file not found. Received: {missing[0]!r}. Check the path (or pass "
            "the text itself)."
        )
    return list(x)


def tokenize_documents(documents, tokenizer, separator_id=None):
    """One token stream: each document's ids (no special tokens), followed
    by `separator_id` when given."""
    encodings = tokenizer.tokenizer.encode_batch(list(documents), add_special_tokens=False)
    parts = []
    for enc in encodings:
        parts.append(np.asarray(enc.ids, dtype="int32"))
        if separator_id is not None:
            parts.append(np.asarray([separator_id], dtype="int32"))
    if not parts:
        return np.zeros(0, dtype="int32")
    return np.concatenate(parts)


def chunk_stream(stream, block_size, drop_remainder=False):
    """Cuts a token stream into blocks of `block_size + 1` tokens, each
    overlapping the next by one token.

    The last block may be shorter (at least 2 tokens) unless
    `drop_remainder`.
    """
    if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 1:
        raise DataError(f"`block_size` must be an integer >= 1. Received: {block_size!r}.")
    blocks = []
    for start in range(0, max(len(stream) - 1, 0), block_size):
        block = stream[start:start + block_size + 1]
        if len(block) < block_size + 1 and drop_remainder:
            break
        blocks.append(block)
    return blocks


def text_blocks(x, tokenizer, block_size, separator_id=None, drop_remainder=False,
                encoding="utf-8"):
    """Texts, files or directories -> list of token blocks.

    Args:
        x: see `read_documents`.
        tokenizer: `kerasft.tokenizers.Tokenizer`.
        block_size: int. Inputs per block; each block holds one more token.
        separator_id: int or None. Token between documents (end of text).
        drop_remainder: bool. Drop a last block shorter than the others.
        encoding: str. Encoding of the files.

    Returns:
        list of int32 arrays.

    Raises:
        DataError: see `read_documents`; or fewer than two tokens in all.
    """
    documents = read_documents(x, encoding=encoding)
    stream = tokenize_documents(documents, tokenizer, separator_id)
    blocks = chunk_stream(stream, block_size, drop_remainder)
    if not blocks:
        raise DataError(
            f"Too little text to train on: {len(stream)} token(s) in "
            f"{len(documents)} document(s). Received a corpus that needs at least 2 "
            f"tokens{' and one full block of ' + str(block_size + 1) if drop_remainder else ''}."
        )
    return blocks


def split_documents(data, fraction, seed):
    """Splits the documents of `data` (a `TextData`) into `(rest, part)`;
    a single document is split by its non-empty lines.

    Raises:
        DataError: fewer than two documents or lines.
    """
    texts = data.texts if len(data.texts) > 1 else [
        line for line in data.texts[0].splitlines(keepends=True) if line.strip()]
    if len(texts) < 2:
        raise DataError(
            f"{data.source} cannot be split for validation/test: it holds "
            f"{len(texts)} non-empty line(s). Pass data.validation / data.test files."
        )
    return train_test_split(TextData(texts=texts, source=data.source),
                            test_size=fraction, seed=seed, stratify=False)
