"""`kerasft explain` on a tiny saved model, and explanations.html in runs."""

import json

import pytest

import kerasft as kft
from kerasft.cli import main


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    model = kft.TextClassifier.from_pretrained("tiny-bert", labels=["neg", "pos"],
                                               sequence_length=32)
    return str(model.save(str(tmp_path_factory.mktemp("explain") / "model")))


def test_explain_prints_json_and_writes_html(model_dir, tmp_path, capsys):
    html = str(tmp_path / "e.html")
    assert main(["explain", model_dir, "a good film", "it was bad", "--json", "--steps", "8",
                 "--html", html]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()
             if line.startswith("{")]
    assert len(lines) == 2
    assert [w["word"] for w in lines[0]["words"]] == ["a", "good", "film"]
    assert lines[0]["attributions"][0]["complete"] is True
    assert "good" in open(html, encoding="utf-8").read()


def test_explain_plain_text_pairs_and_occlusion(model_dir, capsys):
    assert main(["explain", model_dir, "a good film", "--pair", "bad one",
                 "--method", "occlusion", "--target", "neg"]) == 0
    out = capsys.readouterr().out
    assert "label=neg" in out and "bad(" in out


@pytest.mark.parametrize("argv, match", [
    ([], "needs texts to explain"),
    (["a", "b", "--pair", "c"], "Expected one --pair per text"),
])
def test_explain_errors(model_dir, capsys, argv, match):
    assert main(["explain", model_dir, *argv]) == 2
    assert match in capsys.readouterr().err


def test_train_writes_explanations_html(tmp_path):
    rows = ["good great film,pos", "a great movie,pos", "it is good,pos", "great news,pos",
            "bad bad film,neg", "not good,neg", "a bad movie,neg", "it was bad,neg"]
    train = tmp_path / "train.csv"
    train.write_text("text,label\n" + "\n".join(rows * 3) + "\n", encoding="utf-8")
    config = tmp_path / "toy.yaml"
    config.write_text(
        f"name: toy\nbackbone: tiny-bert\nsequence_length: 32\noutput_dir: {tmp_path}\n"
        f"data:\n  train: {train}\n  test_split: 0.3\n"
        "training:\n  epochs: 1\n  batch_size: 8\n")
    assert main(["train", "--config", str(config)]) == 0
    page = (tmp_path / "toy" / "explanations.html").read_text(encoding="utf-8")
    assert "prediction; true label" in page and "<span" in page


def test_sample_script_runs(tmp_path):
    import os
    import runpy

    path = os.path.join(os.path.dirname(__file__), "..", "..", "samples", "explain.py")
    explanations = runpy.run_path(path)["main"](["--epochs", "2", "--output", str(tmp_path)])
    assert all(e.attributions[0].complete for e in explanations)
    assert (tmp_path / "explanations.html").exists() and (tmp_path / "explanations.png").exists()
