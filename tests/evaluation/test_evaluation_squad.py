import json

import pytest

from kerasft.evaluation.squad import (exact_match_score, f1_score, format_squad_report,
                                      normalize_answer, score_question, squad_report,
                                      write_squad_report)


def test_normalization_is_the_official_one():
    assert normalize_answer("The  Eiffel-Tower!") == "eiffeltower"
    assert normalize_answer("an apple, a pear and THE plum.") == "apple pear and plum"
    assert normalize_answer("theatre") == "theatre"  # articles only as whole words
    assert normalize_answer("  ") == ""


def test_exact_match_and_f1_hand_computed():
    assert exact_match_score("the Denver Broncos", "Denver Broncos!") == 1.0
    assert exact_match_score("Broncos", "Denver Broncos") == 0.0
    # prediction "denver broncos win", gold "broncos": p = 1/3, r = 1 -> f1 = 0.5
    assert f1_score("Denver Broncos win", "the Broncos") == pytest.approx(0.5)
    # common tokens {y: 1, z: 1}: p = 2/3, r = 2/4 -> f1 = 2 * (1/3) / (7/6) = 4/7
    assert f1_score("x y z", "y z w v") == pytest.approx(4 / 7)
    assert f1_score("nothing", "else") == 0.0
    assert f1_score("", "") == 1.0 and f1_score("a cat", "") == 0.0


def test_best_gold_answer_counts():
    golds = [{"text": "Santa Clara", "answer_start": 0}, "Levi's Stadium", "Santa Clara, California"]
    em, f1 = score_question("Santa Clara, California", golds)
    assert em == 1.0 and f1 == 1.0
    em, f1 = score_question("Clara California", golds)
    assert em == 0.0 and f1 == pytest.approx(2 * (2 / 2) * (2 / 3) / (1 + 2 / 3))


def test_report_v1_percentages():
    report = squad_report(["Denver Broncos", "Broncos win", "x"],
                          [["Denver Broncos"], ["the Broncos"], ["y"]])
    # EM 1, 0, 0; F1 1, 2/3 ("broncos win" vs "broncos": p = 1/2, r = 1), 0
    assert report == {"exact_match": pytest.approx(100 / 3),
                      "f1": pytest.approx(100 * (1 + 2 / 3) / 3), "total": 3}


def test_report_v2_breakdown_and_no_answer_scoring():
    predictions = ["Paris", "", "London", ""]
    references = [["Paris"], ["Rome"], [], None]
    report = squad_report(predictions, references)
    assert report["HasAns_total"] == 2 and report["NoAns_total"] == 2
    assert report["HasAns_exact"] == pytest.approx(50.0)
    assert report["NoAns_exact"] == pytest.approx(50.0)  # "" right, "London" wrong
    assert report["exact_match"] == pytest.approx(50.0)
    assert report["f1"] == pytest.approx(50.0)
    assert "HasAns_total" not in squad_report(["a"], [["a"]])
    assert squad_report(["a"], [["a"]], version_2=True)["NoAns_total"] == 0


def test_gold_answers_that_normalize_to_nothing_are_dropped():
    # As the official v2 script: gold "The" normalizes to "", so only "" is right.
    assert score_question("", ["The"]) == (1.0, 1.0)


def test_format_and_write(tmp_path):
    report = squad_report(["Paris", ""], [["Paris"], []])
    text = format_squad_report(report)
    assert "HasAns" in text and "NoAns" in text and "100.00" in text
    write_squad_report(report, tmp_path / "out", records=[{"prediction": "Paris"}])
    assert json.loads((tmp_path / "out" / "metrics.json").read_text()) == report
    assert json.loads((tmp_path / "out" / "predictions.json").read_text())[0]["prediction"] == "Paris"


def test_errors():
    with pytest.raises(ValueError, match="one prediction per question. Received: 1 predictions"):
        squad_report(["a"], [["a"], ["b"]])
    with pytest.raises(ValueError, match="gold answers as strings"):
        squad_report(["a"], [[3]])
