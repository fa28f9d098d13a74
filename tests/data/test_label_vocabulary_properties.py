"""Properties of `LabelVocabulary`: built from any str or int labels it
encodes and decodes back, and survives save/load; saved files of any
content load or raise a `DataError` naming the file."""

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kerasft.data import LabelVocabulary
from kerasft.errors import DataError
from data.property_support import any_text, budget, loads_or_data_error, new_file

labels = st.lists(any_text, min_size=1, max_size=8) | \
    st.lists(st.integers(-10**20, 10**20), min_size=1, max_size=8)


@budget(80)
@given(labels, st.data())
def test_encode_decode_save_load(values, data):
    vocabulary = LabelVocabulary.from_labels(values)
    assert sorted(set(values)) == vocabulary.labels
    ids = vocabulary.encode(values)
    assert vocabulary.decode(ids) == values
    path = vocabulary.save(new_file("labels.json", b""))
    assert LabelVocabulary.load(path) == vocabulary
    np_values = np.asarray(values if isinstance(values[0], str) else
                           [v for v in values if abs(v) < 2**62] or [0])
    assert LabelVocabulary.from_labels(np_values).labels == sorted(set(np_values.tolist()))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | any_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=2),
    max_leaves=6)


@budget(100)
@given(json_values | st.fixed_dictionaries({"labels": json_values}))
def test_load_any_json(document):
    path = new_file("labels.json", json.dumps(document))
    vocabulary = loads_or_data_error(lambda: LabelVocabulary.load(path), path)
    if vocabulary is not None:
        assert isinstance(document, dict) and vocabulary.labels == document["labels"]


@budget(60)
@given(st.lists(json_values, max_size=5))
def test_construction_from_any_values(values):
    try:
        vocabulary = LabelVocabulary(values)
    except ValueError as e:
        assert "Received: " in str(e)
        return
    assert vocabulary.labels == values


@pytest.mark.parametrize("content", ['{"labels": "neg"}', "[" * 100_000, b"\xff"])
def test_load_refuses_what_save_never_writes(content):
    path = new_file("labels.json", content)
    with pytest.raises(DataError, match=r"labels\.json"):
        LabelVocabulary.load(path)


def test_a_string_is_not_a_list_of_labels():
    with pytest.raises(ValueError, match=r"a list of labels in class-id order. Received: labels=.neg."):
        LabelVocabulary("neg")


def test_numpy_string_labels():
    vocabulary = LabelVocabulary.from_labels(np.asarray(["pos", "neg", ""]))
    assert vocabulary.labels == ["", "neg", "pos"]
    assert all(type(label) is str for label in vocabulary.labels)
