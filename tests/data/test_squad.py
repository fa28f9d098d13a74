import json

import pytest

from kerasft.data.squad import SquadData, read_squad, split_squad
from kerasft.errors import DataError

CONTEXT = "Paris is the capital of France. It is on the Seine."


def qa(qid, question, answers=None, **extra):
    record = {"id": qid, "question": question, "answers": answers or [], **extra}
    return record


def squad(articles, version="1.1"):
    return {"version": version, "data": articles}


def article(title, paragraphs):
    return {"title": title, "paragraphs": paragraphs}


def write(tmp_path, document, name="d.json"):
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return str(path)


def v1_document():
    return squad([
        article("France", [{"context": CONTEXT, "qas": [
            qa("q1", "What is the capital of France?",
               [{"text": "Paris", "answer_start": 0}, {"text": "Paris", "answer_start": 0}]),
            qa("q2", "Which river?", [{"text": "the Seine", "answer_start": 41}]),
        ]}]),
        article("Rome", [{"context": "Rome is in Italy.", "qas": [
            qa("q3", "Where is Rome?", [{"text": "Italy", "answer_start": 11}])]}]),
    ])


def test_reads_v1(tmp_path):
    path = write(tmp_path, v1_document())
    data = read_squad(path)
    assert isinstance(data, SquadData) and len(data) == 3 and data.version == "1.1"
    assert data.ids == ["q1", "q2", "q3"]
    assert data.titles == ["France", "France", "Rome"]
    assert data.contexts[1] == CONTEXT and data.questions[2] == "Where is Rome?"
    assert data.answers[0] == [{"text": "Paris", "answer_start": 0}] * 2
    assert data.inputs == (data.questions, data.contexts)
    assert not data.has_impossible and data.source == path
    sub = data.subset([2, 0])
    assert sub.ids == ["q3", "q1"] and sub.version == "1.1"


def test_reads_v2_with_impossible_and_plausible_answers(tmp_path):
    document = squad([article("France", [{"context": CONTEXT, "qas": [
        qa("q1", "What is the capital?", [{"text": "Paris", "answer_start": 0}],
           is_impossible=False),
        qa("q2", "What is the capital of Spain?", [], is_impossible=True,
           plausible_answers=[{"text": "Paris", "answer_start": 0}]),
    ]}])], version="v2.0")
    data = read_squad(write(tmp_path, document))
    assert data.version == "2.0" and data.is_impossible == [False, True]
    assert data.answers[1] == [] and data.plausible_answers[1][0]["text"] == "Paris"
    assert data.has_impossible
    del document["version"]  # detected from is_impossible
    assert read_squad(write(tmp_path, document, "n.json")).version == "2.0"


def test_misaligned_answer_names_file_article_and_question(tmp_path):
    document = v1_document()
    document["data"][0]["paragraphs"][0]["qas"][1]["answers"][0]["answer_start"] = 39
    path = write(tmp_path, document)
    with pytest.raises(DataError, match=(
            r"d\.json, article 'France', question id 'q2'\).*text='the Seine', "
            r"answer_start=39, but the context holds 'n the Sei'")):
        read_squad(path)


def test_v1_question_without_answer(tmp_path):
    document = v1_document()
    document["data"][1]["paragraphs"][0]["qas"][0]["answers"] = []
    path = write(tmp_path, document)
    with pytest.raises(DataError, match=r"v1\.1 file \(.*article 'Rome', question id 'q3'\)"):
        read_squad(path)
    assert read_squad(path, require_answers=False).answers[2] == []


def test_v2_answers_contradicting_is_impossible(tmp_path):
    record = qa("q9", "Q?", [{"text": "Paris", "answer_start": 0}], is_impossible=True)
    path = write(tmp_path, squad([article("A", [{"context": CONTEXT, "qas": [record]}])], "v2.0"))
    with pytest.raises(DataError, match=r"no 'answers' for an is_impossible question.*'q9'"):
        read_squad(path)
    record = qa("q8", "Q?", [], is_impossible=False)
    path = write(tmp_path, squad([article("A", [{"context": CONTEXT, "qas": [record]}])], "v2.0"))
    with pytest.raises(DataError, match=r"not marked is_impossible.*'q8'"):
        read_squad(path)


def test_malformed_json_and_layout(tmp_path):
    with pytest.raises(DataError, match=r"Could not parse .*bad\.json as JSON: .* line 2, column"):
        read_squad(write(tmp_path, '{"data": [\n  {"title": }]}', "bad.json"))
    with pytest.raises(DataError, match=r"a 'data' list of articles. Received: .* holding \['rows'\]"):
        read_squad(write(tmp_path, {"rows": []}))
    with pytest.raises(DataError, match="does not exist"):
        read_squad(str(tmp_path / "missing.json"))
    with pytest.raises(DataError, match=r"'paragraphs' list in .*article 'T'"):
        read_squad(write(tmp_path, squad([{"title": "T"}])))
    with pytest.raises(DataError, match=r"non-empty 'context'.*article 'T', paragraph #0"):
        read_squad(write(tmp_path, squad([article("T", [{"context": " ", "qas": []}])])))
    with pytest.raises(DataError, match=r"non-empty 'question'.*question id 'q1'"):
        read_squad(write(tmp_path, squad([article("T", [{"context": CONTEXT,
                                                          "qas": [qa("q1", "")]}])])))
    with pytest.raises(DataError, match=r"integer 'answer_start'.*question id 'q1'"):
        read_squad(write(tmp_path, squad([article("T", [{"context": CONTEXT, "qas": [
            qa("q1", "Q?", [{"text": "Paris", "answer_start": "0"}])]}])])))
    with pytest.raises(DataError, match="at least one question"):
        read_squad(write(tmp_path, squad([])))
    with pytest.raises(ValueError, match="SQuAD version in"):
        read_squad(write(tmp_path, v1_document()), version="3.0")


def test_split_by_article_never_shares_a_paragraph(tmp_path):
    articles = [article(f"T{i}", [{"context": f"Context {i} about things.", "qas": [
        qa(f"q{i}.{j}", "What?", [{"text": "things", "answer_start": len(f"Context {i} about ")}])
        for j in range(3)]}]) for i in range(10)]
    data = read_squad(write(tmp_path, squad(articles)))
    rest, part = split_squad(data, 0.2, seed=0)
    assert len(rest) + len(part) == 30 and len(part) == 6
    assert not set(rest.titles) & set(part.titles)
    assert split_squad(data, 0.2, seed=0)[1].ids == part.ids
    single = data.subset([0, 1, 2])
    with pytest.raises(DataError, match="at least two contexts"):
        split_squad(single, 0.5)
    with pytest.raises(ValueError, match=r"test_size in \(0, 1\)"):
        split_squad(data, 1.5)


def test_shared_squad_slices(shared_data):
    train = read_squad(shared_data("squad_v1.1", "train.json"))
    evaluation = read_squad(shared_data("squad_v1.1", "eval.json"))
    assert (len(train), len(evaluation)) == (7235, 1746)
    assert len(set(train.titles)) == 32 and len(set(evaluation.titles)) == 8
    assert not set(train.titles) & set(evaluation.titles)
    assert max(len(a) for a in evaluation.answers) >= 3  # several references per question
