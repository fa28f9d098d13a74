import collections
import os
import re

import numpy as np
import pandas as pd
import pytest
from helpers import assert_read_error

from kerasft.data import TextData, read_fasttext, read_texts
from kerasft.errors import DataError

POLARITY = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    ".venv/lib/python3.11/site-packages/gensim/test/test_data/pang_lee_polarity.cor",
)


def write(tmp_path, name, content, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(content.encode(encoding) if isinstance(content, str) else content)
    return str(path)


# --- CSV / TSV ---


def test_csv_quoted_commas_quotes_and_newlines(tmp_path):
    path = write(tmp_path, "d.csv", (
        'text,label\n'
        '"hello, ""world""\nsecond line",pos\n'
        'plain,neg\n'
        '\n'
    ))
    data = read_texts(path)
    assert data.texts == ['hello, "world"\nsecond line', "plain"]
    assert data.labels == ["pos", "neg"]
    assert data.pairs is None and data.source == path and len(data) == 2


def test_csv_written_by_pandas_round_trips(tmp_path):
    texts = ['a, "quoted"\ttab', "two\nlines", "  spaced  ", "NA", "null", "ünïcødé"]
    frame = pd.DataFrame({"text": texts, "label": [1, 0, 1, 0, 1, 0]})
    for name, sep in (("d.csv", ","), ("d.tsv", "\t"), ("d.tab", "\t")):
        frame.to_csv(tmp_path / name, sep=sep, index=False)
        data = read_texts(str(tmp_path / name))
        assert data.texts == texts
        assert data.labels == [1, 0, 1, 0, 1, 0]
        assert all(type(label) is int for label in data.labels)


def test_delimiter_overrides_extension_and_crlf_and_bom(tmp_path):
    path = write(tmp_path, "d.txt", "\ufefftext;label\r\nx;a\r\ny;b\r\n")
    assert read_texts(path, delimiter=";").labels == ["a", "b"]
    with pytest.raises(ValueError, match=r"one-character delimiter.*delimiter=';;'"):
        read_texts(path, delimiter=";;")


def test_text_pairs(tmp_path):
    path = write(tmp_path, "p.csv", "premise,hypothesis,label\na,b,1\nc,d,0\n")
    data = read_texts(path, text_column="premise", text_pair_column="hypothesis")
    assert data.texts == ["a", "c"] and data.pairs == ["b", "d"]
    with pytest.raises(DataError, match=r"'hyp'.*Pass text_pair_column="):
        read_texts(path, text_column="premise", text_pair_column="hyp")


def test_empty_text_names_the_line_after_a_multiline_field(tmp_path):
    assert_read_error(read_texts, tmp_path,
                      "d.csv", 'text,label\n"multi\nline",pos\nok,neg\n"  ",pos\n',
                      re.escape(str(tmp_path / "d.csv") + ", line 5") + r".*text='  '")


def test_missing_label_names_the_line(tmp_path):
    path = write(tmp_path, "d.csv", "text,label\na,pos\nb,\n")
    with pytest.raises(DataError, match=re.escape(f"{path}, line 3") + r".*label=''"):
        read_texts(path)
    assert_read_error(read_texts, tmp_path, "n.csv", "text,label\na,1\nb,NaN\n",
                      r"line 3.*label='NaN'")


def test_missing_column_lists_the_columns(tmp_path):
    path = write(tmp_path, "d.csv", "sentence,sentiment\na,pos\n")
    with pytest.raises(DataError, match=r"'text'.*columns=\['sentence', 'sentiment'\]"):
        read_texts(path)
    with pytest.raises(DataError, match=r"'label'.*Pass label_column=.*require_labels=False"):
        read_texts(path, text_column="sentence")


def test_prediction_input_without_labels(tmp_path):
    path = write(tmp_path, "d.csv", "text\nfirst\nsecond\n")
    assert read_texts(path, require_labels=False) == TextData(
        ["first", "second"], source=path)
    labeled = write(tmp_path, "l.csv", "text,label\na,x\n")
    assert read_texts(labeled, label_column=None).labels is None
    assert read_texts(labeled, require_labels=False).labels == ["x"]


def test_latin1_file_read_as_utf8_names_file_line_and_fix(tmp_path):
    path = write(tmp_path, "l1.csv", "text,label\nok,pos\ncaf\u00e9,neg\n", "latin-1")
    pattern = re.escape(path) + r".*offset 21 \(line 3\).*encoding='latin-1'"
    with pytest.raises(DataError, match=pattern):
        read_texts(path)
    assert read_texts(path, encoding="latin-1").texts == ["ok", "caf\u00e9"]
    with pytest.raises(ValueError, match=r"encoding='utf9'"):
        read_texts(path, encoding="utf9")


def test_bad_quoting_names_the_line(tmp_path):
    assert_read_error(read_texts, tmp_path, "q.tsv", 'text\tlabel\nok\t1\n"quoted" then more\t0\n',
                      r"q.tsv, line 3.*QUOTE_NONE")


def test_wrong_field_count_names_the_line(tmp_path):
    assert_read_error(read_texts, tmp_path, "f.csv", "text,label\nhello, world,pos\n",
                      r"Expected 2 fields.*line 2.*Received: 3 fields")


def test_empty_file_and_header_only(tmp_path):
    assert_read_error(read_texts, tmp_path, "e.csv", "", r"header line.*empty file")
    assert_read_error(read_texts, tmp_path, "h.csv", "text,label\n",
                      r"at least one example in .*h.csv. Received: 0")


def test_missing_file_and_unknown_extension(tmp_path):
    with pytest.raises(DataError, match=r"existing data file.*nope.csv"):
        read_texts(str(tmp_path / "nope.csv"))
    assert_read_error(read_texts, tmp_path, "d.json", "[]", r"Expected a .csv.*d.json'.*delimiter=")
    with pytest.raises(TypeError, match=r"Received: source=42"):
        read_texts(42)


# --- JSONL ---


def test_jsonl(tmp_path):
    path = write(tmp_path, "d.jsonl", (
        '{"text": "a\u2028b", "label": 2}\n\n{"text": "c", "label": 10, "x": 1}\n'
    ))
    data = read_texts(path)
    assert data.texts == ["a\u2028b", "c"] and data.labels == [2, 10]
    unlabeled = write(tmp_path, "u.ndjson", '{"text": "a"}\n')
    assert read_texts(unlabeled, require_labels=False).labels is None


@pytest.mark.parametrize("name, text, match", [
    ("b.jsonl", '{"text": "a", "label": 1}\n{"text": "b" "label": 1}\n',
     r"b.jsonl, line 2.*invalid JSON"),
    ("a.jsonl", '["a", 1]\n', r"JSON object in .*a.jsonl, line 1"),
    ("m.jsonl", '{"text": "a", "label": 1}\n{"text": "b"}\n',
     r"'label' in .*m.jsonl, line 2.*columns=\['text'\]"),
    ("n.jsonl", '{"text": 3, "label": 1}\n', r"Expected a string .*line 1.*text=3 \(int\)"),
    ("x.jsonl", '{"text": "a", "label": "pos"}\n{"text": "b", "label": 1}\n',
     r"one type.*label=1 at .*x.jsonl, line 2"),
    ("e.jsonl", "\n", r"at least one example"),
])
def test_jsonl_errors_name_the_line(tmp_path, name, text, match):
    assert_read_error(read_texts, tmp_path, name, text, match)


# --- in memory ---


def test_dataframe_nan_label_is_missing_not_float():
    frame = pd.DataFrame({"text": ["a", "b", "c"], "label": [1, np.nan, 0]})
    assert frame["label"].dtype == np.float64
    with pytest.raises(DataError, match=r"row index 1 of <DataFrame>.*label=nan"):
        read_texts(frame)
    labels = read_texts(frame.dropna()).labels
    assert labels == [1, 0] and all(type(label) is int for label in labels)


def test_dataframe_texts_and_natural_label_types():
    frame = pd.DataFrame({"text": ["a", "b"], "label": np.array([3, 1], dtype="int32")})
    assert read_texts(frame).labels == [3, 1]
    floats = read_texts({"text": ["a", "b"], "label": [0.5, 2]}).labels
    assert floats == [0.5, 2.0] and all(type(v) is float for v in floats)
    with pytest.raises(DataError, match=r"non-empty text .*row index 1 of <DataFrame>"):
        read_texts(pd.DataFrame({"text": ["a", None], "label": [1, 0]}))
    with pytest.raises(DataError, match=r"label=\[1\]"):
        read_texts({"text": ["a"], "label": [[1]]})


def test_dict_of_lists_must_have_one_length():
    with pytest.raises(DataError, match=r"lengths=\{'text': 2, 'label': 1\}"):
        read_texts({"text": ["a", "b"], "label": ["x"]})


# --- fastText ---


def test_fasttext_reader(tmp_path):
    path = write(tmp_path, "f.txt", "__label__1 good  film \n\n__label__2 bad\n")
    data = read_fasttext(path)
    assert data.texts == ["good  film", "bad"] and data.labels == [1, 2]


@pytest.mark.parametrize("name, text, match", [
    ("f2.txt", "__label__a x\nno label here\n", r"f2.txt, line 2.*label_prefix="),
    ("f3.txt", "__label__a __label__b text\n", r"line 1.*multi-label"),
    ("f4.txt", "__label__a\n", r"non-empty text .*f4.txt, line 1"),
    ("f5.txt", "\n\n", r"Received: 0 lines"),
])
def test_fasttext_errors_name_the_line(tmp_path, name, text, match):
    assert_read_error(read_fasttext, tmp_path, name, text, match)


@pytest.mark.skipif(not os.path.exists(POLARITY), reason="gensim test data not installed")
def test_real_pang_lee_polarity_file():
    # The file is Windows-1252 (em dashes as byte 0x97), not UTF-8.
    with pytest.raises(DataError, match=r"pang_lee_polarity.cor.*\(line 27\).*encoding="):
        read_fasttext(POLARITY)
    data = read_fasttext(POLARITY, encoding="cp1252")
    assert len(data) == 200
    assert collections.Counter(data.labels) == {"neg": 100, "pos": 100}
    assert data.texts[0] == "simplistic , silly and tedious ."
    assert "\u2014" in data.texts[26] and "clich\u00e9s" in data.texts[31]
