import collections

import pytest

from kerasft.data import TextData, read_texts, train_test_split
from kerasft.errors import DataError


def make_data(counts):
    labels = [label for label, count in counts.items() for _ in range(count)]
    return [f"text {i}" for i in range(len(labels))], labels


def test_stratified_split_keeps_class_proportions():
    texts, labels = make_data({"a": 60, "b": 30, "c": 10})
    train, test = train_test_split(texts, labels, test_size=0.2, seed=1)
    assert collections.Counter(test.labels) == {"a": 12, "b": 6, "c": 2}
    assert collections.Counter(train.labels) == {"a": 48, "b": 24, "c": 8}
    assert sorted(train.texts + test.texts) == sorted(texts)
    # each part keeps the original order and stays aligned with its labels
    assert train.texts == sorted(train.texts, key=texts.index)
    assert all(labels[texts.index(t)] == y for t, y in zip(test.texts, test.labels))
    assert test.source == "<list> (test split)"


def test_split_is_seed_deterministic():
    texts, labels = make_data({0: 50, 1: 50})
    first = train_test_split(texts, labels, seed=7)
    assert train_test_split(texts, labels, seed=7) == first
    assert train_test_split(texts, labels, seed=8)[1].texts != first[1].texts


def test_split_text_data_with_pairs_and_int_test_size():
    data = read_texts({"text": list("abcdef"), "pair": list("uvwxyz"), "label": [0, 1] * 3},
                      text_pair_column="pair")
    train, test = train_test_split(data, test_size=2, stratify=False)
    assert len(train) == 4 and len(test) == 2
    assert [data.pairs[data.texts.index(t)] for t in test.texts] == test.pairs
    assert train.source == "<dict> (train split)"
    with pytest.raises(ValueError, match=r"inside the TextData"):
        train_test_split(data, [0, 1] * 3)


def test_too_rare_label_is_named():
    texts, labels = make_data({"common": 10, "rare": 1})
    with pytest.raises(DataError, match=r"\{'rare': 1\}.*stratify=False"):
        train_test_split(texts, labels)
    train, test = train_test_split(texts, labels, stratify=False)
    assert len(train) + len(test) == 11


def test_part_smaller_than_number_of_labels():
    texts, labels = make_data({"a": 4, "b": 4, "c": 4})
    with pytest.raises(DataError, match=r"each of the 3 labels.*10 train / 2 test"):
        train_test_split(texts, labels, test_size=2)


def test_bad_arguments():
    texts, labels = make_data({"a": 5, "b": 5})
    for bad in (0.0, 1.0, 0, 10, True, "0.2"):
        with pytest.raises(ValueError, match=r"Received: test_size="):
            train_test_split(texts, labels, test_size=bad)
    with pytest.raises(DataError, match=r"lengths=\{'texts': 10, 'labels': 9\}"):
        train_test_split(texts, labels[:-1])
    with pytest.raises(ValueError, match=r"labels=None, stratify=True"):
        train_test_split(TextData(texts))
