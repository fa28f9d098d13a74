"""(source, target) text pairs for sequence-to-sequence tasks."""

from kerasft.data.po_files import read_po_pairs
from kerasft.data.readers import read_text_columns
from kerasft.data.text_data import TextData, check_texts


def read_text_pairs(path, text_column="text", target_column="label", text_pair_column=None,
                    encoding="utf-8", require_targets=True):
    """Pairs from a gettext `.po` file (msgid -> msgstr), or from a
    CSV/TSV/JSONL file with sources in `text_column` and targets in
    `target_column`.

    Returns:
        `TextData`: sources in `texts`, targets (str) in `labels`.

    Raises:
        DataError: see `read_po_pairs` and `read_texts`.
    """
    if str(path).endswith(".po"):
        sources, targets = read_po_pairs(path, encoding=encoding or "utf-8")
        return TextData(texts=sources, labels=targets, source=str(path))
    # Targets are texts, read as written ("007" stays "007"), not class labels.
    columns = {target_column: "label_column"} if require_targets else {}
    texts, _, values, lines, name = read_text_columns(
        path, text_column, text_pair_column, columns, encoding=encoding)
    labels = None
    if require_targets:
        labels = check_texts(values[target_column], str(target_column), name, lines)
    return TextData(texts=texts, labels=labels, source=name)
