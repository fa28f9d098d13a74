"""Reading regression data (`read_regression`, `read_stsb`)."""

import os

import pytest
from helpers import assert_read_error, write_file

from kerasft.data import read_regression, read_stsb
from kerasft.errors import DataError


def test_read_regression_files(tmp_path):
    path = write_file(tmp_path, "d.csv", "text,other,score,score2\ngood,x,1.5,2\nbad,y,-2,3e1\n")
    data = read_regression(path, target_column="score")
    assert data.labels == [1.5, -2.0]
    several = read_regression(path, target_column=["score", "score2"])
    assert several.labels == [[1.5, 2.0], [-2.0, 30.0]]
    pairs = read_regression(path, text_pair_column="other", target_column="score")
    assert pairs.pairs == ["x", "y"]
    assert read_regression(path, target_column=None).labels is None


@pytest.mark.parametrize("name, text, match", [
    ("d.csv", "text,label\ngood,1\nbad,nan\n",
     r"finite number in column 'label' at .*d.csv, line 3"),
    ("e.jsonl", '{"text": "a", "label": 1}\n{"text": "b", "label": ""}\n',
     r"e.jsonl, line 2. Received: target=''"),
])
def test_read_errors_name_file_and_line(tmp_path, name, text, match):
    assert_read_error(read_regression, tmp_path, name, text, match)


def test_read_errors_name_the_row_in_memory():
    with pytest.raises(DataError, match="row index 1 of <dict>"):
        read_regression({"text": ["a", "b"], "label": [1.0, None]})


def test_read_stsb_layout(tmp_path):
    path = write_file(tmp_path, "sts.csv",
                 'g\tf\t2012\t1\t5.000\tA "plane" is taking off.\tAn air plane is taking off.\n'
                 "g\tf\t2012\t4\t3.800\tA man plays.\tA man is playing.\tsrc1\tsrc2\n")
    data = read_stsb(path)
    assert data.texts == ['A "plane" is taking off.', "A man plays."]
    assert data.pairs == ["An air plane is taking off.", "A man is playing."]
    assert data.labels == [5.0, 3.8]
    assert_read_error(read_stsb, tmp_path, "bad.csv", "g\tf\t2012\t1\tNaN\ta\tb\n",
                      r"column 4 at .*bad.csv, line 1. Received: target='NaN'")


def test_read_real_stsb_files(shared_data):
    STSB = shared_data("stsb")
    for name, rows in (("sts-train.csv", 5749), ("sts-dev.csv", 1500), ("sts-test.csv", 1379)):
        data = read_stsb(os.path.join(STSB, name))
        assert len(data) == len(data.pairs) == len(data.labels) == rows
        assert min(data.labels) == 0.0 and max(data.labels) == 5.0
