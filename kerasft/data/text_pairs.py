"""(source, target) text pairs for sequence-to-sequence tasks."""

from kerasft.data.po_files import read_po_pairs
from kerasft.data.readers import read_texts
from kerasft.data.text_data import TextData


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
    data = read_texts(path, text_column=text_column,
                      label_column=target_column if require_targets else None,
                      text_pair_column=text_pair_column, encoding=encoding,
                      require_labels=require_targets)
    labels = None if data.labels is None else [str(t) for t in data.labels]
    return TextData(texts=data.texts, labels=labels, source=data.source)
