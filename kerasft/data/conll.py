"""CoNLL-style token/tag files and in-memory (tokens, tags) lists -> `TokenData`.

A CoNLL file holds one token per line with whitespace- (or tab-) separated
columns; a blank line ends a sentence; `-DOCSTART-` lines separate documents.
Tags are normalized to IOB2 (see `kerasft.data.tag_schemes`). Errors name the
file and the line a text editor shows (first line = 1).
"""

import dataclasses

import numpy as np

from kerasft.data.readers import _decode
from kerasft.data.tag_schemes import to_iob2
from kerasft.errors import DataError

DOCSTART = "-DOCSTART-"


class TagLists(list):
    """Tag sequences (one list per sentence) that remember where they came from.

    A plain `list` with two attributes, so errors about a tag (an unknown
    entity type at evaluation...) can name the file and line.

    Args:
        tags: list of lists of str.
        source: str. A path, or `"<memory>"`.
        lines: list of lists of int, or None. The line of each tag.
    """

    def __init__(self, tags, source="<memory>", lines=None):
        super().__init__(tags)
        self.source = source
        self.lines = lines

    def where(self, sentence, token):
        """`"path, line N"` for a file, `"y[s][t] (sentence s, token t)"` else."""
        if self.lines is not None:
            return f"{self.source}, line {self.lines[sentence][token]}"
        return f"y[{sentence}][{token}] (sentence {sentence}, token {token})"


@dataclasses.dataclass(frozen=True)
class TokenData:
    """Sentences as token lists, with optional IOB2 tag lists.

    Args:
        tokens: list of lists of str. One list of tokens per sentence.
        tags: `TagLists` or None. One IOB2 tag per token; None when
            unlabeled.
        source: str. Where the data came from (named in errors).
    """

    tokens: list
    tags: TagLists = None
    source: str = "<memory>"

    def __len__(self):
        return len(self.tokens)


def _column(index, count, name, where):
    resolved = index if index >= 0 else count + index
    if not 0 <= resolved < count:
        raise DataError(
            f"Expected a {name} column at index {index}. Received: a line with "
            f"{count} column(s) at {where}. Pass {name}_column= with an index "
            f"in [{-count}, {count})."
        )
    return resolved


def read_conll(path, token_column=0, tag_column=-1, scheme="auto", encoding="utf-8",
               require_tags=True, delimiter=None):
    """Reads a CoNLL-style file of tokens and entity tags.

    Args:
        path: str. The file.
        token_column: int. Column of the tokens. Defaults to 0 (first).
        tag_column: int. Column of the tags. Defaults to -1 (last).
        scheme: str. Tag scheme of the file: `"auto"`, `"iob1"`, `"iob2"`
            or `"bioes"`; tags are converted to IOB2. Defaults to `"auto"`.
        encoding: str. Defaults to `"utf-8"`.
        require_tags: bool. If False, only tokens are read (tags is None).
            Defaults to True.
        delimiter: str or None. Column separator; None splits on any
            whitespace (spaces or tabs). Defaults to None.

    Returns:
        `TokenData`.

    Raises:
        DataError: a missing or empty file, a line with too few columns or a
            different number of columns than the file's first line, a tag
            that is not in the scheme; each names the file and line.

    Example:

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "train.txt")
    >>> _ = open(path, "w").write("-DOCSTART- O\\n\\nPeter B-PER\\nruns O\\n")
    >>> data = read_conll(path)
    >>> data.tokens, data.tags
    ([['Peter', 'runs']], [['B-PER', 'O']])
    """
    text = _decode(path, encoding)
    tokens, tags, lines = [], [], []
    sentence, sentence_tags, sentence_lines = [], [], []
    width = None

    def close():
        if sentence:
            tokens.append(list(sentence))
            tags.append(list(sentence_tags))
            lines.append(list(sentence_lines))
            sentence.clear()
            sentence_tags.clear()
            sentence_lines.clear()

    # Lines end at "\n" (or "\r\n"), as editors count them; `splitlines`
    # would also break at U+2028, form feeds and other characters of tokens.
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            close()
            continue
        fields = line.split(delimiter) if delimiter else line.split()
        if fields[0] == DOCSTART:
            close()
            continue
        where = f"{path}, line {number}"
        if width is None:
            width = len(fields)
        elif len(fields) != width:
            raise DataError(
                f"Expected {width} columns on every line, as on the first line of "
                f"{path}. Received: {len(fields)} column(s) at {where}: {line!r}. "
                "Fix or remove the line (a blank line ends a sentence)."
            )
        token_index = _column(token_column, width, "token", where)
        sentence.append(fields[token_index])
        sentence_lines.append(number)
        if require_tags:
            tag_index = _column(tag_column, width, "tag", where)
            if tag_index == token_index:
                raise DataError(
                    f"Expected separate token and tag columns. Received: a line "
                    f"with {width} column(s) at {where}: {line!r}. Add the tag "
                    "column, or pass require_tags=False for unlabeled data."
                )
            sentence_tags.append(fields[tag_index])
    close()
    if not tokens:
        raise DataError(
            f"Expected sentences (one token per line, a blank line between "
            f"sentences) in {path}. Received: no tokens. Check the file and its "
            "format."
        )
    if not require_tags:
        return TokenData(tokens=tokens, tags=None, source=str(path))
    normalized = [
        to_iob2(t, scheme, where=lambda j, ls=ls: f"{path}, line {ls[j]}")
        for t, ls in zip(tags, lines)
    ]
    return TokenData(tokens=tokens, tags=TagLists(normalized, str(path), lines),
                     source=str(path))


def token_data(tokens, tags=None, scheme="auto", name="x"):
    """Checks in-memory `(tokens, tags)` lists and returns `TokenData`.

    Args:
        tokens: list of lists of str. One list of tokens per sentence.
        tags: list of lists of str, or None. One tag per token.
        scheme: str. Tag scheme of `tags` (see `read_conll`).
        name: str. The argument name used in errors. Defaults to `"x"`.

    Raises:
        DataError: no sentences, an empty sentence, a token that is not a
            non-blank string, a different number of tags than tokens, a tag
            outside the scheme.
    """
    if isinstance(tokens, TokenData):
        return tokens
    if not isinstance(tokens, (list, tuple, np.ndarray)) or len(tokens) == 0:
        raise DataError(
            f"Expected a non-empty list of token lists. Received: {name} of type "
            f"{type(tokens).__name__} with {len(tokens) if hasattr(tokens, '__len__') else 0}"
            " sentences. Pass e.g. [['Peter', 'runs'], ...]."
        )
    checked = []
    for i, sentence in enumerate(tokens):
        if isinstance(sentence, str) or not isinstance(sentence, (list, tuple, np.ndarray)):
            raise DataError(
                f"Expected each sentence as a list of tokens. Received: {name}[{i}]="
                f"{sentence!r}. Split the sentence into tokens."
            )
        if len(sentence) == 0:
            raise DataError(
                f"Expected at least one token per sentence. Received: an empty "
                f"sentence at {name}[{i}]. Drop it."
            )
        for j, token in enumerate(sentence):
            if not isinstance(token, str) or not token.strip():
                raise DataError(
                    f"Expected tokens that are non-blank strings. Received: "
                    f"{name}[{i}][{j}]={token!r}. Fix or drop the token."
                )
        checked.append(list(sentence))
    if tags is None:
        return TokenData(tokens=checked)
    if isinstance(tags, TagLists):
        located = tags
    else:
        located = TagLists(list(tags))
    if len(located) != len(checked):
        raise DataError(
            f"Expected one tag list per sentence. Received: {len(checked)} "
            f"sentences and {len(located)} tag lists. Pass lists of the same length."
        )
    normalized = []
    for i, (sentence, sentence_tags) in enumerate(zip(checked, located)):
        if isinstance(sentence_tags, str) or len(sentence_tags) != len(sentence):
            count = 1 if isinstance(sentence_tags, str) else len(sentence_tags)
            raise DataError(
                f"Expected one tag per token. Received: {len(sentence)} tokens and "
                f"{count} tags in sentence {i} (at {located.where(i, 0)}). Fix the "
                "tags of that sentence."
            )
        normalized.append(to_iob2(sentence_tags, scheme,
                                  where=lambda j, i=i: located.where(i, j)))
    return TokenData(tokens=checked,
                     tags=TagLists(normalized, located.source, located.lines),
                     source=located.source)


def split_token_data(data, fraction, seed=0):
    """Splits sentences at random into `(rest, part)` with `fraction` in part.

    Raises:
        ValueError: `fraction` leaves a part empty.
    """
    n = len(data)
    count = int(np.ceil(fraction * n)) if 0 < fraction < 1 else 0
    if not 0 < count < n:
        raise ValueError(
            f"Expected a fraction in (0, 1) that leaves both parts non-empty. "
            f"Received: fraction={fraction!r} for {n} sentences."
        )
    order = np.random.RandomState(seed).permutation(n)
    part_index, rest_index = np.sort(order[:count]), np.sort(order[count:])

    def take(indices, label):
        tags = None
        if data.tags is not None:
            lines = data.tags.lines
            tags = TagLists([data.tags[i] for i in indices], data.tags.source,
                            None if lines is None else [lines[i] for i in indices])
        return TokenData(tokens=[data.tokens[i] for i in indices], tags=tags,
                         source=f"{data.source} ({label} split)")

    return take(rest_index, "train"), take(part_index, "held-out")
