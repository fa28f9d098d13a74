"""Properties of `read_squad`: generated SQuAD files read back their
questions, contexts and answers; wrong types anywhere in the document,
truncated JSON and invalid bytes raise a `DataError` naming the file and
the article/question (or line); never a json traceback."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kerasft.data import read_squad
from kerasft.errors import DataError
from data.property_support import (any_text, bom, budget, loads_or_data_error, new_file,
                                   no_hang, nonblank_text)

PLACES = ("line", "article", "question id")


@st.composite
def question(draw, context, qid):
    start = draw(st.integers(0, len(context) - 1))
    end = draw(st.integers(start + 1, len(context)))
    impossible = draw(st.booleans())
    answer = {"text": context[start:end], "answer_start": start}
    if not answer["text"].strip():
        impossible = True
    qa = {"id": qid, "question": draw(nonblank_text), "answers": [] if impossible else [answer]}
    if impossible:
        qa["is_impossible"] = True
    return qa


@st.composite
def squad_document(draw):
    data, n = [], 0
    for a in range(draw(st.integers(1, 2))):
        paragraphs = []
        for _ in range(draw(st.integers(1, 2))):
            context = draw(nonblank_text)
            qas = []
            for _ in range(draw(st.integers(1, 3))):
                qas.append(draw(question(context, f"q{n}")))
                n += 1
            paragraphs.append({"context": context, "qas": qas})
        data.append({"title": draw(any_text), "paragraphs": paragraphs})
    return {"version": "v2.0", "data": data}


@budget(50)
@given(squad_document(), st.booleans(), st.sampled_from([None, 1]), bom)
def test_round_trip(document, ascii, indent, prefix):
    content = json.dumps(document, ensure_ascii=ascii, indent=indent).encode("utf-8")
    path = new_file("squad.json", prefix + content)
    with no_hang():
        data = read_squad(path)
    qas = [(qa, p["context"]) for a in document["data"] for p in a["paragraphs"]
           for qa in p["qas"]]
    assert data.questions == [qa["question"] for qa, _ in qas]
    assert data.contexts == [context for _, context in qas]
    assert data.answers == [qa["answers"] for qa, _ in qas]
    assert data.is_impossible == [qa.get("is_impossible", False) for qa, _ in qas]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | any_text,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(any_text, inner, max_size=2),
    max_leaves=4)


def _nodes(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _nodes(item, path + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _nodes(item, path + (i,))


@budget(150)
@given(squad_document(), st.data(), json_values, st.integers(-5, 5))
def test_wrong_types_anywhere(document, data, value, shift):
    """One node of a valid file replaced by another JSON value (numbers or
    lists where strings go, strings or bools where ints go...), or an
    answer_start moved."""
    nodes = list(_nodes(document))[1:]
    where = data.draw(st.sampled_from(nodes))
    parent = document
    for key in where[:-1]:
        parent = parent[key]
    if where[-1] == "answer_start" and data.draw(st.booleans()):
        parent["answer_start"] += shift
    else:
        parent[where[-1]] = value
    path = new_file("squad.json", json.dumps(document))
    read = loads_or_data_error(lambda: read_squad(path), path, *PLACES)
    if read is not None:
        for answers, context in zip(read.answers, read.contexts):
            for answer in answers:
                start = answer["answer_start"]
                assert 0 <= start and context[start:start + len(answer["text"])] == answer["text"]
        assert all(isinstance(i, bool) for i in read.is_impossible)


@budget(60)
@given(squad_document(), st.integers(1, 400), st.binary(max_size=2))
def test_truncated_json_and_invalid_bytes(document, cut, junk):
    content = json.dumps(document, indent=1).encode("utf-8")
    path = new_file("squad.json", content[:max(len(content) - cut, 0)] + junk)
    loads_or_data_error(lambda: read_squad(path), path, *PLACES)


def _one_question(context, answers, **fields):
    qa = {"id": "q0", "question": "Where?", "answers": answers, **fields}
    return {"version": "v2.0", "data": [{"title": "T", "paragraphs": [
        {"context": context, "qas": [qa]}]}]}


@budget(80)
@given(nonblank_text, st.data())
def test_answer_start_anywhere(context, data):
    """An answer reads iff its text is in the context at a non-negative offset."""
    start = data.draw(st.integers(-2 * len(context) - 2, 2 * len(context) + 2))
    a = data.draw(st.integers(0, len(context) - 1))
    text = context[a:data.draw(st.integers(a + 1, len(context)))]
    path = new_file("squad.json", json.dumps(_one_question(
        context, [{"text": text, "answer_start": start}])))
    read = loads_or_data_error(lambda: read_squad(path), path, *PLACES)
    valid = start >= 0 and context[start:start + len(text)] == text and text.strip()
    assert (read is not None) == bool(valid)


@budget(60)
@given(json_values)
def test_is_impossible_must_be_a_bool(value):
    path = new_file("squad.json", json.dumps(_one_question("ctx", [], is_impossible=value)))
    read = loads_or_data_error(lambda: read_squad(path), path, *PLACES)
    assert (read is not None) == (value is True)


def test_negative_answer_start_is_refused():
    path = new_file("squad.json", json.dumps(_one_question(
        "abc", [{"text": "a", "answer_start": -3}])))
    with pytest.raises(DataError, match=r"question id 'q0'.*answer_start=-3"):
        read_squad(path)


def test_is_impossible_string_is_refused():
    path = new_file("squad.json", json.dumps(_one_question("abc", [], is_impossible="false")))
    with pytest.raises(DataError, match=r"is_impossible.*Received: is_impossible='false'"):
        read_squad(path)


def test_bom_file_reads():
    content = json.dumps(_one_question("abc", [{"text": "b", "answer_start": 1}]))
    path = new_file("squad.json", b"\xef\xbb\xbf" + content.encode("utf-8"))
    assert read_squad(path).answers == [[{"text": "b", "answer_start": 1}]]


def test_deeply_nested_json_is_a_data_error():
    path = new_file("squad.json", "[" * 100_000 + "]" * 100_000)
    with pytest.raises(DataError, match=r"squad\.json.*nested too deeply"):
        read_squad(path)


def test_invalid_byte_names_the_line():
    path = new_file("squad.json", b'{"data":\n []\xff}')
    with pytest.raises(DataError, match=r"squad\.json.*line 2"):
        read_squad(path)
