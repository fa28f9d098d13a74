import pytest

from kerasft.data import check_few_shot, label_pairs
from kerasft.errors import DataError

TEXTS = ["a", "b", "c", "d", "e", "f"]
LABELS = ["x", "x", "y", "y", "z", "z"]


def test_setfit_pairs_one_positive_and_one_negative_per_example_and_round():
    first, second, scores = label_pairs(TEXTS, LABELS, num_iterations=3, seed=0)
    assert len(first) == len(second) == len(scores) == 2 * 3 * len(TEXTS)
    label = dict(zip(TEXTS, LABELS))
    for a, b, s in zip(first, second, scores):
        assert a != b  # never a text with itself
        assert (label[a] == label[b]) == (s == 1.0)
    assert sorted(set(scores.tolist())) == [0.0, 1.0]
    assert scores.mean() == 0.5
    for text in TEXTS:  # every example anchors 3 positives and 3 negatives
        assert sum(1 for a, s in zip(first, scores) if a == text and s == 1) == 3
        assert sum(1 for a, s in zip(first, scores) if a == text and s == 0) == 3


def test_pairs_depend_on_the_seed_only():
    one = label_pairs(TEXTS, LABELS, 2, seed=5)
    two = label_pairs(TEXTS, LABELS, 2, seed=5)
    other = label_pairs(TEXTS, LABELS, 2, seed=6)
    assert one[0] == two[0] and one[1] == two[1]
    assert (one[0], one[1]) != (other[0], other[1])


def test_exact_duplicates_count_once():
    texts, labels = check_few_shot(["a", "b", "a", "c", "d"], [1, 1, 1, 2, 2])
    assert texts == ["a", "b", "c", "d"] and labels == [1, 1, 2, 2]


@pytest.mark.parametrize("texts,labels,match", [
    (["a", "b", "c"], ["x", "x", "y"], r"class 'y' with 1 \(row 2\)"),
    (["a", "b", "a", "c"], ["x", "y", "y", "y"],
     r"two labels. Received: texts\[0\] labelled 'x' and texts\[2\] labelled 'y'"),
    (["a", "b", "c"], ["x", "y", "z"], r"class 'x' with 1 \(row 0\)"),
    (["a", "b"], ["x", "x"], "at least two classes"),
    (["a", "  ", "c", "d"], ["x", "x", "y", "y"], r"texts\[1\]='  ' \(row 1\)"),
    (["a", None, "c", "d"], ["x", "x", "y", "y"], r"texts\[1\]=None"),
    (["a", "b"], ["x"], "2 texts and 1 labels"),
    # a duplicate leaves its class one distinct example
    (["a", "a", "c", "d"], ["x", "x", "y", "y"], r"class 'x' with 1 \(row 0\)"),
])
def test_bad_examples(texts, labels, match):
    with pytest.raises(DataError, match=match):
        label_pairs(texts, labels)


def test_classes_to_cover():
    with pytest.raises(DataError, match="More classes than examples. Received: 5 classes and 4"):
        check_few_shot(["a", "b", "c", "d"], ["x", "x", "y", "y"], classes="xyzuv")
    with pytest.raises(DataError, match=r"no example of \['z'\]"):
        check_few_shot(["a", "b", "c", "d"], ["x", "x", "y", "y"], classes="xyz")


@pytest.mark.parametrize("value", [0, -1, 1.5, "3"])
def test_bad_iterations(value):
    with pytest.raises(DataError, match="num_iterations"):
        label_pairs(TEXTS, LABELS, num_iterations=value)
