"""The data sets of `bench/export_bench.py`, read by path from the shared
data (never copied): SST-2, GoEmotions (three single-label classes, or all
28 labels) and CoNLL-2003."""

import os

from common import data_path

LABELS = ["negative", "positive"]
# --data goemotions3: GoEmotions texts with exactly one of three labels (ids 0, 3, 27),
# a three-class case with many close calls (neutral vs the two emotions).
GOEMOTIONS3 = {"0": "admiration", "3": "annoyance", "27": "neutral"}


def read_sst2(split, n):
    path = data_path("glue_sst2", f"{split}.tsv")
    with open(path, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f][1:n + 1]
    return [r[0] for r in rows], [LABELS[int(r[1])] for r in rows]


def read_goemotions3(split, n):
    """Up to `n` rows, the same number of each label where the file has them."""
    path = data_path("goemotions", f"{split}.tsv")
    per_label = {label: [] for label in GOEMOTIONS3.values()}
    with open(path, encoding="utf-8") as f:
        for line in f:
            text, ids = line.rstrip("\n").split("\t")[:2]
            if ids in GOEMOTIONS3:
                per_label[GOEMOTIONS3[ids]].append(text)
    rows = []
    for i in range(max(len(v) for v in per_label.values())):
        rows += [(v[i], label) for label, v in per_label.items() if i < len(v)]
    rows = rows[:n]
    return [r[0] for r in rows], [r[1] for r in rows]


def read_goemotions(split, n):
    """The first `n` rows of GoEmotions (multi-label, 28 labels): texts and
    lists of label names."""
    from kerasft.data import read_multi_label

    folder = data_path("goemotions")
    data = read_multi_label(os.path.join(folder, f"{split}.tsv"), text_column=0,
                            label_column=1, header=False,
                            label_names=os.path.join(folder, "labels.txt"))
    return list(data.texts[:n]), [list(labels) for labels in data.labels[:n]]


def read_conll_split(split, n):
    """The first `n` sentences of a CoNLL-2003 split (`train`, `valid`):
    `(sentences, tag_lists)`, each a list of lists of str."""
    from kerasft.data import read_conll

    data = read_conll(os.path.join(data_path("conll2003"), f"{split}.txt"))
    return [list(s) for s in data.tokens[:n]], [list(t) for t in data.tags[:n]]


def read(args, split, n):
    if args.data == "conll":  # sentences (lists of words) and IOB2 tag lists
        return read_conll_split("train" if split == "train" else "valid", n)
    if args.data == "goemotions":
        return read_goemotions("train" if split == "train" else "dev", n)
    if args.data == "goemotions3":
        return read_goemotions3("train" if split == "train" else "dev", n)
    return read_sst2(split, n)
