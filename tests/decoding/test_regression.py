"""`kerasft.decoding.regression`: one value per named target."""

import numpy as np
import pytest

from kerasft.decoding import regression


def test_records_name_each_target():
    records = regression.decode({"predictions": np.array([[1.5, -2.0], [0.25, 3.0]])},
                                {"target_names": ["score", "negated"]})
    assert records == [{"predictions": {"score": 1.5, "negated": -2.0}},
                       {"predictions": {"score": 0.25, "negated": 3.0}}]


def test_one_target_may_come_as_a_vector():
    records = regression.decode({"predictions": np.array([4.0, 1.0], dtype="float32")},
                                {"target_names": ["similarity"]})
    assert [r["predictions"]["similarity"] for r in records] == [4.0, 1.0]


def test_format_record():
    line = regression.format_record({"text": "a\tb", "predictions": {"similarity": 3.25}})
    assert line == "3.2500\ta\tb"


def test_columns_must_match_the_targets():
    with pytest.raises(ValueError, match="one prediction column per target \\['a'\\]. "
                                         "Received: predictions shape=\\(1, 2\\)"):
        regression.decode({"predictions": [[1.0, 2.0]]}, {"target_names": ["a"]})
