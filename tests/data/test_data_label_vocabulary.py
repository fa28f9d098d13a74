import json
import os

import numpy as np
import pytest

from kerasft.data import LabelVocabulary
from kerasft.errors import DataError


def test_from_labels_sorts_deterministically():
    assert LabelVocabulary.from_labels([10, 2, 2, 1]).labels == [1, 2, 10]
    assert LabelVocabulary.from_labels(["pos", "neg", "Pos"]).labels == ["Pos", "neg", "pos"]
    assert LabelVocabulary.from_labels(np.array([3, 1, 3])).labels == [1, 3]
    assert LabelVocabulary(["pos", "neg"]).labels == ["pos", "neg"]


def test_encode_decode_names_len():
    vocabulary = LabelVocabulary(["neg", "pos"])
    ids = vocabulary.encode(["pos", "neg", "pos"])
    assert ids.dtype == np.int32 and ids.tolist() == [1, 0, 1]
    assert vocabulary.decode(np.array([1, 0])) == ["pos", "neg"]
    assert len(vocabulary) == 2 and vocabulary.names == ["neg", "pos"]
    assert LabelVocabulary([0, 5]).names == ["0", "5"]


def test_unknown_label_names_label_row_known_labels_and_source():
    vocabulary = LabelVocabulary(["neg", "pos"])
    with pytest.raises(
        DataError,
        match=r"\['neg', 'pos'\]. Received: label='neutral' at row index 2 of dev.csv",
    ):
        vocabulary.encode(["pos", "neg", "neutral"], source="dev.csv")
    with pytest.raises(DataError, match=r"label='1' at row index 0.*holds int labels"):
        LabelVocabulary([0, 1]).encode(["1"])


def test_decode_out_of_range():
    with pytest.raises(ValueError, match=r"\[0, 2\). Received: id=2"):
        LabelVocabulary(["a", "b"]).decode([0, 2])


def test_invalid_label_lists():
    with pytest.raises(ValueError, match=r"all str or all int. Received: labels=\[\]"):
        LabelVocabulary([])
    with pytest.raises(ValueError, match=r"all str or all int. Received: labels=\[1, 'a'\]"):
        LabelVocabulary([1, "a"])
    with pytest.raises(ValueError, match=r"all str or all int"):
        LabelVocabulary.from_labels([1, "a"])
    with pytest.raises(ValueError, match=r"duplicates=\['a'\]"):
        LabelVocabulary(["a", "b", "a"])


def test_config_and_json_round_trip_keep_ints(tmp_path):
    vocabulary = LabelVocabulary([3, 1, 2])
    assert LabelVocabulary.from_config(vocabulary.get_config()) == vocabulary
    path = vocabulary.save(tmp_path)
    assert path == os.path.join(tmp_path, "labels.json")
    assert json.load(open(path)) == {"labels": [3, 1, 2]}
    loaded = LabelVocabulary.load(tmp_path)
    assert loaded == vocabulary and all(type(v) is int for v in loaded.labels)
    named = LabelVocabulary(["négatif", "positif"])
    assert LabelVocabulary.load(named.save(tmp_path / "v.json")) == named
    assert sorted(os.listdir(tmp_path)) == ["labels.json", "v.json"]  # no temp files left


def test_load_errors(tmp_path):
    with pytest.raises(DataError, match=r"Received: path=.*missing.json"):
        LabelVocabulary.load(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text('{"names": ["a"]}')
    with pytest.raises(DataError, match=r"label vocabulary file.*bad.json"):
        LabelVocabulary.load(tmp_path / "bad.json")
