"""`kerasft.decoding.multi_label`: the labels at or above their thresholds."""

import numpy as np
import pytest

from kerasft.decoding import multi_label

CONFIG = {"labels": ["city", "film", "person"], "thresholds": [0.5, 0.45, 0.55]}


def test_each_label_has_its_own_threshold():
    probabilities = np.array([[0.5, 0.44, 0.9], [0.1, 0.45, 0.54], [0.0, 0.0, 0.0]])
    records = multi_label.decode({"probabilities": probabilities}, CONFIG)
    assert [r["labels"] for r in records] == [["city", "person"], ["film"], []]
    assert records[0]["scores"] == pytest.approx({"city": 0.5, "film": 0.44, "person": 0.9})
    np.testing.assert_array_equal(multi_label.decisions({"probabilities": probabilities},
                                                        CONFIG)[2], [False] * 3)


def test_format_record():
    line = multi_label.format_record({"text": "Kim in Rome", "labels": ["city", "person"]})
    assert line == "city,person\tKim in Rome"


def test_thresholds_must_match_the_labels():
    with pytest.raises(ValueError, match="one probability column and one threshold per "
                                         "label. Received: .*3 labels, 2 thresholds"):
        multi_label.decode({"probabilities": [[0.1, 0.2, 0.3]]},
                           {"labels": CONFIG["labels"], "thresholds": [0.5, 0.5]})
