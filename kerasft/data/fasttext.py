"""Reading fastText files: one `__label__<name> <text>` example per line."""

import os

from kerasft.data.readers import _decode
from kerasft.data.text_data import TextData, check_texts, normalize_labels
from kerasft.errors import DataError


def read_fasttext(path, encoding="utf-8", label_prefix="__label__"):
    """Reads a fastText file: one `__label__<name> <text>` example per line.

    Args:
        path: str or PathLike. The file.
        encoding: str. Text encoding. Defaults to `"utf-8"`.
        label_prefix: str. Prefix marking the label. Defaults to `"__label__"`.

    Returns:
        A `TextData` of stripped texts with one label per line (int when every
        label is an integer, str otherwise).

    Raises:
        DataError: a missing file, bytes not valid in `encoding`, a line without
            a label or a text, a line with several labels, or no examples.
    """
    path = os.fspath(path)
    texts, labels, lines = [], [], []
    for number, line in enumerate(_decode(path, encoding).split("\n"), 1):
        if not line.strip():
            continue
        words = line.split(maxsplit=1)
        text = words[1].strip() if len(words) == 2 else ""
        if not words[0].startswith(label_prefix) or text.startswith(label_prefix):
            raise DataError(
                f"Expected one {label_prefix}<name> label, then the text, in {path}, "
                f"line {number}. Received: line={line[:60]!r}. Fix the line "
                "(multi-label lines are not supported), or pass label_prefix= if "
                "the file uses another prefix."
            )
        texts.append(text)
        labels.append(words[0][len(label_prefix):])
        lines.append(number)
    if not texts:
        raise DataError(
            f"Expected at least one example in {path}. Received: 0 lines. Check "
            "that the right file was passed."
        )
    texts = check_texts(texts, "text", path, lines)
    labels = normalize_labels(labels, "label", path, lines)
    return TextData(texts, labels=labels, source=path)
