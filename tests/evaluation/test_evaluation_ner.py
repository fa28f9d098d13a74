import json

import pytest

from kerasft.errors import DataError
from kerasft.evaluation.ner import format_report, ner_report, write_report

TRUE = [["B-PER", "I-PER", "O", "B-LOC", "O"], ["B-ORG", "O", "B-LOC", "I-LOC"]]
PRED = [["B-PER", "I-PER", "O", "B-ORG", "O"], ["B-ORG", "O", "B-LOC", "O"]]


def test_entity_level_scores():
    report = ner_report(TRUE, PRED)
    # 4 true entities; 4 predicted; correct: PER, ORG (2nd sentence). LOC spans miss.
    assert report["num_entities"] == 4 and report["num_predicted_entities"] == 4
    assert report["precision"] == pytest.approx(0.5)
    assert report["recall"] == pytest.approx(0.5)
    assert report["f1"] == pytest.approx(0.5)
    assert report["micro"]["f1"] == report["f1"]
    per = report["per_type"]
    assert list(per) == ["LOC", "ORG", "PER"]
    assert per["PER"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1,
                          "predicted": 1}
    assert per["ORG"]["precision"] == pytest.approx(0.5) and per["ORG"]["recall"] == 1.0
    assert per["LOC"]["f1"] == 0.0 and per["LOC"]["support"] == 2
    assert report["macro"]["f1"] == pytest.approx((0 + 2 / 3 + 1) / 3)
    assert report["token_accuracy"] == pytest.approx(7 / 9)
    assert json.loads(json.dumps(report)) == report


def test_matches_seqeval():
    from seqeval.metrics import f1_score, precision_score, recall_score

    report = ner_report(TRUE, PRED)
    assert report["f1"] == pytest.approx(f1_score(TRUE, PRED))
    assert report["precision"] == pytest.approx(precision_score(TRUE, PRED))
    assert report["recall"] == pytest.approx(recall_score(TRUE, PRED))


def test_lenient_i_starts_entity_like_conlleval():
    report = ner_report([["B-PER", "I-PER"]], [["I-PER", "I-PER"]])
    assert report["f1"] == 1.0


def test_no_entities():
    report = ner_report([["O", "O"]], [["O", "O"]])
    assert report["f1"] == 0.0 and report["num_entities"] == 0
    assert report["token_accuracy"] == 1.0


def test_shape_mismatch():
    with pytest.raises(DataError, match="2 true and 1 predicted tag lists"):
        ner_report(TRUE, PRED[:1])
    with pytest.raises(DataError, match="5 true and 4 predicted tags in sentence 0"):
        ner_report(TRUE, [PRED[0][:4], PRED[1]])


def test_format_and_write(tmp_path):
    report = ner_report(TRUE, PRED)
    text = format_report(report)
    lines = text.splitlines()
    assert "precision" in lines[0] and "predicted" in lines[0]
    assert any(line.split()[:4] == ["PER", "1.000", "1.000", "1.000"] for line in lines)
    assert any(line.split()[:5] == ["micro", "avg", "0.500", "0.500", "0.500"] for line in lines)
    assert any(line.strip().startswith("token accuracy") and "0.778" in line for line in lines)
    path = write_report(report, tmp_path / "out")
    assert json.loads(open(path).read())["f1"] == report["f1"]
