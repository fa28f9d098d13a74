"""`kerasft.decoding.classification`: probabilities -> label and scores."""

import numpy as np
import pytest

from kerasft.decoding import classification


def test_records_from_probabilities():
    records = classification.decode(
        {"probabilities": np.array([[0.2, 0.8], [0.6, 0.4]], dtype="float32")},
        {"labels": ["neg", "pos"]})
    assert [r["label"] for r in records] == ["pos", "neg"]
    assert records[0]["score"] == pytest.approx(0.8)
    assert records[1]["scores"] == pytest.approx({"neg": 0.6, "pos": 0.4})
    assert all(isinstance(v, float) for r in records for v in r["scores"].values())


def test_int_labels_keep_their_type_and_key_scores_by_string():
    record, = classification.decode({"probabilities": [[0.1, 0.2, 0.7]]}, {"labels": [0, 1, 2]})
    assert record["label"] == 2 and set(record["scores"]) == {"0", "1", "2"}


def test_ties_go_to_the_first_label_and_empty_batches_decode():
    record, = classification.decode({"probabilities": [[0.5, 0.5]]}, {"labels": ["a", "b"]})
    assert record["label"] == "a"
    assert classification.decode({"probabilities": np.zeros((0, 2))},
                                 {"labels": ["a", "b"]}) == []


def test_format_record():
    line = classification.format_record({"text": "a film", "label": "pos", "score": 0.75,
                                         "scores": {}})
    assert line == "pos\t0.7500\ta film"


def test_errors_name_the_output_and_the_labels():
    with pytest.raises(ValueError, match="Expected a model output named 'probabilities'. "
                                         "Received: outputs with \\['logits'\\]"):
        classification.decode({"logits": [[0.0, 1.0]]}, {"labels": ["a", "b"]})
    with pytest.raises(ValueError, match="Expected probabilities of shape \\[n, 3\\].*"
                                         "Received: shape=\\(1, 2\\)"):
        classification.decode({"probabilities": [[0.0, 1.0]]}, {"labels": ["a", "b", "c"]})
