"""Reading multi-label data (`kerasft.data.read_multi_label`)."""

import pytest
from helpers import assert_read_error, write_file

import kerasft as kft
from kerasft.data import read_multi_label
from kerasft.errors import DataError


def test_read_csv_separated_and_json_lists(tmp_path):
    path = write_file(tmp_path, "d.csv", 'text,labels\ngood film,"cinema, sport"\n'
                 'market news,"[""money""]"\nthe team,sport\n')
    data = read_multi_label(path)
    assert data.texts == ["good film", "market news", "the team"]
    assert data.labels == [["cinema", "sport"], ["money"], ["sport"]]
    semicolons = write_file(tmp_path, "s.tsv", "text\ttags\na\tx;y;x\n")
    assert read_multi_label(semicolons, label_column="tags",
                            label_separator=";").labels == [["x", "y"]]


def test_read_jsonl_lists_and_integer_labels(tmp_path):
    path = write_file(tmp_path, "d.jsonl", '{"text": "a", "labels": [2, 0]}\n'
                 '{"text": "b", "labels": "1"}\n')
    assert read_multi_label(path).labels == [[2, 0], [1]]


def test_read_empty_label_lists_are_errors_unless_allowed(tmp_path):
    path = write_file(tmp_path, "d.csv", "text,labels\ngood,a\nplain,\nbad,b\n")
    with pytest.raises(DataError, match=r"d.csv, line 3. Received: labels=''.*allow_empty_labels"):
        read_multi_label(path)
    data = read_multi_label(path, allow_empty_labels=True)
    assert data.labels == [["a"], [], ["b"]]
    kwargs = kft.MultiLabelClassifier.task_kwargs_from_data(data)
    assert kwargs == {"labels": ["a", "b"], "allow_empty_labels": True}
    frame = {"text": ["x", "y"], "labels": [["a"], []]}
    with pytest.raises(DataError, match="row index 1 of <dict>"):
        read_multi_label(frame)


def test_read_headerless_tsv_with_label_names(tmp_path):
    names = write_file(tmp_path, "labels.txt", "joy\nfear\nanger")
    path = write_file(tmp_path, "d.tsv", 'so "happy"\t0\tid1\nscared and angry\t1,2\tid2\n')
    data = read_multi_label(path, text_column=0, label_column=1, header=False,
                            label_names=names)
    assert data.texts == ['so "happy"', "scared and angry"]
    assert data.labels == [["joy"], ["fear", "anger"]]
    bad = write_file(tmp_path, "bad.tsv", "ok\t0\nnot ok\t7\n")
    with pytest.raises(DataError, match=r"ids in \[0, 3\).*bad.tsv, line 2. Received: label=7"):
        read_multi_label(bad, text_column=0, label_column=1, header=False,
                         label_names=names)
    with pytest.raises(DataError, match=r"at least 2 fields in .*short.tsv, line 2"):
        read_multi_label(write_file(tmp_path, "short.tsv", "a\t0\nb\n"), text_column=0,
                         label_column=1, header=False)


@pytest.mark.parametrize("name, text, match, options", [
    ("d.csv", 'text,labels\na,x\nb,"[""x"", "\n', r"JSON list of labels at .*d.csv, line 3", {}),
    ("n.jsonl", '{"text": "a", "labels": ["x", 1.5]}\n',
     r"str or int at .*n.jsonl, line 1. Received: label=1.5", {}),
    ("c.csv", "text,label\na,b\n", "Expected a column named 'labels'", {}),
    ("e.csv", "text,labels\na,0\n", "file of label names", {"label_names": "nope.txt"}),
])
def test_read_errors_name_file_and_line(tmp_path, name, text, match, options):
    assert_read_error(read_multi_label, tmp_path, name, text, match, **options)
