"""`few_shot: true` in a run config: `kerasft train` runs SetFit."""

import json

import pytest
from test_cli import ROWS, write_csv

import kerasft
from kerasft.cli import main
from kerasft.config import load_config
from kerasft.errors import ConfigError


def test_train_few_shot_run(tmp_path):
    train = write_csv(tmp_path / "train.csv", ROWS)
    config = tmp_path / "fs.yaml"
    config.write_text(
        f"name: fs\nbackbone: tiny-bert\nsequence_length: 16\noutput_dir: {tmp_path / 'runs'}\n"
        f"data:\n  train: {train}\n  test: {train}\n  validation_split: 0.0\n"
        "training:\n  few_shot: true\n  few_shot_iterations: 3\n  epochs: 2\n"
        "  batch_size: 8\n  learning_rate: 3e-3\n")
    assert main(["train", "--config", str(config)]) == 0
    run_dir = tmp_path / "runs" / "fs"
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["run"]["epochs_run"] == 2  # the contrastive stage's epochs
    assert metrics["accuracy"] == 1.0  # the head fits its own training texts
    assert "few_shot: true" in (run_dir / "config.yaml").read_text()
    model = kerasft.load(str(run_dir / "model"))
    assert type(model) is kerasft.TextClassifier


@pytest.mark.parametrize("text,match", [
    ("training: {few_shot: yes please}\n", "training.few_shot must be true or false"),
    ("training: {few_shot: true, few_shot_iterations: 0}\n",
     "training.few_shot_iterations must be a positive"),
    ("task: text_regressor\ntraining: {few_shot: true}\n",
     "training.few_shot trains a text_classifier"),
])
def test_bad_few_shot_configs(tmp_path, text, match):
    path = tmp_path / "c.yaml"
    path.write_text("data: {dataset: polarity}\n" + text)
    with pytest.raises(ConfigError, match=match):
        load_config(str(path))
