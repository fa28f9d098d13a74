"""End to end through the `kerasft` command line on a small CSV."""

import json
import os
import subprocess
import sys

import pytest

from kerasft.cli import main

ROWS = [("good great film", "pos"), ("a great movie", "pos"), ("good, and great", "pos"),
        ("great news", "pos"), ("it is good", "pos"), ("bad bad film", "neg"),
        ("not good, bad", "neg"), ("a bad movie", "neg"), ("bad news", "neg"),
        ("it was bad", "neg")]


def write_csv(path, rows, header=("text", "label")):
    with open(path, "w", encoding="utf-8") as f:
        f.write(",".join(header) + "\n")
        for text, label in rows:
            f.write(f'"{text}",{label}\n')
    return str(path)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    train = write_csv(root / "train.csv", ROWS * 4)
    config = root / "toy.yaml"
    config.write_text(
        "name: toy\nbackbone: tiny-bert\nsequence_length: 32\n"
        f"output_dir: {root / 'runs'}\n"
        f"data:\n  train: {train}\n  test_split: 0.25\n  validation_split: 0.25\n"
        "training:\n  epochs: 3\n  batch_size: 8\n  learning_rate: 3e-3\n"
    )
    assert main(["train", "--config", str(config)]) == 0
    return root, root / "runs" / "toy"


def test_train_writes_the_run_directory(run):
    _, run_dir = run
    for name in ("config.yaml", "metrics.json", "confusion_matrix.png", "training_curves.png",
                 "history.csv", "model/config.json", "model/model.weights.h5",
                 "checkpoints/best.weights.h5"):
        assert (run_dir / name).is_file(), name
    assert any((run_dir / "logs" / "train").iterdir())  # TensorBoard events
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["run"]["evaluated_on"] == "test"
    # 40 rows: 10 held out for test, then 8 of the remaining 30 for validation
    assert metrics["run"]["train_examples"] == 22
    assert metrics["run"]["eval_examples"] == 10
    assert 0.0 <= metrics["accuracy"] <= 1.0
    assert "learning_rate: 0.003" in (run_dir / "config.yaml").read_text()


def test_evaluate_and_predict_commands(run, tmp_path, capsys):
    root, run_dir = run
    test = write_csv(tmp_path / "test.csv", ROWS)
    assert main(["evaluate", str(run_dir), "--data", test, "--output", str(tmp_path / "r")]) == 0
    assert json.loads((tmp_path / "r" / "metrics.json").read_text())["num_examples"] == 10
    capsys.readouterr()
    assert main(["predict", str(run_dir), "great film", "bad movie", "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert [r["input"] for r in records] == ["great film", "bad movie"]
    assert all(r["label"] in ("neg", "pos") and 0.5 <= r["score"] <= 1 for r in records)


def test_existing_run_is_refused_and_unknown_label_reported(run, tmp_path, capsys):
    root, run_dir = run
    config = root / "toy.yaml"
    assert main(["train", "--config", str(config)]) == 2
    assert "already exists" in capsys.readouterr().err
    bad = write_csv(tmp_path / "bad.csv", [("good film", "meh")])
    assert main(["evaluate", str(run_dir), "--data", bad]) == 2
    err = capsys.readouterr().err
    assert "'meh'" in err and "bad.csv" in err


def test_bad_config_values_are_named(tmp_path, capsys):
    config = tmp_path / "c.yaml"
    config.write_text("backbone: tiny-bert\ndata: {train: x.csv}\ntraining: {epoch: 3}\n")
    assert main(["train", "--config", str(config)]) == 2
    assert "training.epoch" in capsys.readouterr().err
    assert main(["train", "--backbone", "tiny-bert", "--train", "missing.csv"]) == 2
    assert "missing.csv" in capsys.readouterr().err
    assert main(["train", "--backbone", "no-such-model", "--train",
                 write_csv(tmp_path / "t.csv", ROWS)]) == 2
    assert "no-such-model" in capsys.readouterr().err


def test_failed_run_leaves_nothing(tmp_path, capsys):
    train = write_csv(tmp_path / "t.csv", ROWS * 2)
    out = tmp_path / "runs"
    # sequence_length beyond the tiny backbone's 64 positions fails after data loading
    assert main(["train", "--backbone", "tiny-bert", "--train", train, "--name", "x",
                 "--output-dir", str(out), "--sequence-length", "512"]) == 2
    assert "beyond the backbone's maximum" in capsys.readouterr().err
    assert not (out / "x").exists()
    assert os.listdir(out) == []  # no in-progress directory, claim released


def test_console_script_entry_point():
    result = subprocess.run([sys.executable, "-m", "kerasft.cli", "--help"],
                            capture_output=True, text=True, env={**os.environ})
    assert result.returncode == 0
    assert "train" in result.stdout and "export" in result.stdout


def test_export_command_with_parity_on_labelled_data(run, tmp_path, capsys):
    _, run_dir = run
    data = write_csv(tmp_path / "held_out.csv", ROWS)
    out = tmp_path / "export"
    assert main(["export", str(run_dir), "--format", "onnx", "--data", data,
                 "--output", str(out)]) == 0
    report = json.loads((out / "export_report.json").read_text())
    assert (out / "labels.json").is_file()
    assert capsys.readouterr().out.count("Export written to") == 1
    assert main(["export", str(run_dir), "--format", "onnx", "--output", str(out)]) == 2
    assert "exist" in capsys.readouterr().err
    # the held-out file is what the gate ran on (texts and labels -> accuracy)
    assert report["parity"]["texts"] == len(ROWS) and report["parity"]["labeled"]
    assert 0.0 <= report["parity"]["rows"][0]["accuracy"] <= 1.0
