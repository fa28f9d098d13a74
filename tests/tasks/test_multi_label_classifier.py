import functools
import json
import os

import numpy as np
import pytest

import kerasft as kft
from kerasft.errors import ConfigError, DataError
from kerasft.evaluation import tune_thresholds
from kerasft.data import read_multi_label
from kerasft.data.multi_label import flatten_labels
from helpers import fit_toy, run_cli, run_task_test, write_file

LABELS = ["cinema", "money", "sport"]
TOPICS = {"cinema": ["film", "movie"], "money": ["market"], "sport": ["sport", "team"]}
FILLER = ["the", "a", "is", "good", "bad", "it", "was", "great", "of"]


def toy_topics(n, seed):
    """Texts naming one or two topics among filler words; labels = topics named."""
    rng = np.random.RandomState(seed)
    texts, labels = [], []
    for _ in range(n):
        topics = sorted(rng.choice(LABELS, rng.randint(1, 3), replace=False).tolist())
        words = [rng.choice(TOPICS[t]) for t in topics] + rng.choice(FILLER, 3).tolist()
        rng.shuffle(words)
        texts.append(" ".join(words))
        labels.append(topics)
    return texts, labels


# A new tiny-bert model; keyword arguments override these.
make_model = functools.partial(kft.MultiLabelClassifier.from_pretrained, "tiny-bert",
                               labels=LABELS, sequence_length=16)


@pytest.fixture(scope="module")
def trained():
    x, y = toy_topics(96, seed=0)
    val = toy_topics(32, seed=1)
    model, history = fit_toy(make_model, x, y, validation_data=val)
    return model, history, val


def test_task_contract(trained, tmp_path):
    model, history, (vx, vy) = trained
    result = run_task_test(model, vx, vy, tmp_path, history=history, predict_x=vx[:6],
                           saved_files=("labels.json",), report_text="subset accuracy")
    report = result.report
    # Predicting every label scores micro F1 0.68 here (48 of 96 label slots are positive).
    assert report["micro"]["f1"] >= 0.9
    assert report["macro"]["f1"] >= 0.9
    assert report["subset_accuracy"] >= 0.75
    assert set(report["per_label"]) == set(LABELS)
    assert report["thresholds"] == dict(zip(LABELS, model.thresholds.tolist()))
    assert sum(c["support"] for c in report["per_label"].values()) == sum(map(len, vy))
    # The tuned thresholds (not all 0.5, see below) are saved with the labels.
    reloaded = result.reloaded
    assert reloaded.labels == LABELS
    np.testing.assert_array_equal(reloaded.thresholds, model.thresholds)
    with open(tmp_path / "model" / "labels.json") as f:
        assert json.load(f)["labels"] == LABELS
    assert reloaded.predict_labels(vx) == model.predict_labels(vx)
    assert result.spec.labels == LABELS


def test_fit_tunes_thresholds_on_validation_data(trained):
    model, _, (vx, vy) = trained
    targets, _ = model.encode_targets(vy)
    expected = tune_thresholds(targets, model.predict(vx))
    np.testing.assert_allclose(model.thresholds, expected)
    # Tuning is not a no-op: against labels it did not see (every example carrying
    # every label), the best thresholds are the lowest on the grid.
    saved = list(model.thresholds)
    try:
        model.tune_thresholds(vx, [list(model.labels)] * len(vx))
        assert max(model.thresholds) < 0.5, model.thresholds
    finally:
        model.thresholds = saved


def test_new_head_starts_from_label_frequencies(monkeypatch):
    monkeypatch.setattr(kft.Task, "fit", lambda self, *args, **kwargs: None)
    model = make_model()
    bias = model.get_layer("logits").bias
    assert not np.any(bias.numpy())
    model.fit(["a film", "the team", "a movie", "market"],
              [["cinema"], ["sport"], ["cinema"], ["money", "sport"]])
    frequency = (np.array([2, 1, 2]) + 0.5) / 5.0  # smoothed: (count + 0.5) / (n + 1)
    np.testing.assert_allclose(bias.numpy(), np.log(frequency / (1 - frequency)), rtol=1e-5)
    model.fit(["a film"], [["money"]])  # a trained bias is left alone
    np.testing.assert_allclose(bias.numpy(), np.log(frequency / (1 - frequency)), rtol=1e-5)
    untouched = make_model()
    untouched.fit(["a film"], [["cinema"]], initialize_bias=False)
    assert not np.any(untouched.get_layer("logits").bias.numpy())


def test_predict_labels_apply_each_labels_threshold(trained):
    model, _, (vx, _) = trained
    probabilities = model.predict(vx)
    assert probabilities.shape == (32, 3)
    assert ((probabilities > 0) & (probabilities < 1)).all()
    custom = np.array([0.2, 0.9, 0.6])
    labels = model.predict_labels(vx, thresholds=custom)
    assert labels == [[LABELS[j] for j in range(3) if p[j] >= custom[j]] for p in probabilities]
    records = model.predict_records(vx[:3])
    assert [r["labels"] for r in records] == model.predict_labels(vx[:3])
    assert records[0]["scores"]["money"] == pytest.approx(float(probabilities[0, 1]), abs=1e-6)


def test_multi_hot_targets_and_keras_evaluate(trained):
    model, _, (vx, vy) = trained
    targets, weights = model.encode_targets(vy)
    assert weights is None and targets.dtype == np.float32
    assert targets[0].tolist() == [float(name in vy[0]) for name in LABELS]
    from_lists = model.evaluate(vx, vy, return_dict=True, verbose=0)
    from_matrix = model.evaluate(vx, targets.astype("int64"), return_dict=True, verbose=0)
    assert from_lists["loss"] == pytest.approx(from_matrix["loss"], rel=1e-5)
    assert from_lists["micro_f1"] >= 0.85


def test_sentence_pairs(trained):
    model, _, _ = trained
    x, y = toy_topics(16, seed=3)
    pairs = (x, ["the film"] * len(x))
    probabilities = model.predict(pairs)
    assert probabilities.shape == (16, 3)
    np.testing.assert_allclose(model.predict(list(zip(*pairs))), probabilities, atol=1e-6)
    # The second text is part of the input: "the film" raises P(cinema).
    assert probabilities[:, 0].mean() > model.predict(x)[:, 0].mean()
    assert np.isfinite(model.evaluate(pairs, y, return_dict=True, verbose=0)["loss"])


def test_target_errors():
    model = make_model()
    with pytest.raises(DataError, match="label='drama' at row index 1 of y"):
        model.encode_targets([["sport"], ["drama"]])
    with pytest.raises(DataError, match=r"no labels at row index 1 of y \(1 such"):
        model.encode_targets([["sport"], []])
    with pytest.raises(DataError, match="Received: 'sport,money', a string"):
        model.encode_targets(["sport,money"])
    with pytest.raises(DataError, match=r"3 columns .*Received: y with shape \(1, 2\)"):
        model.encode_targets(np.array([[1, 0]]))
    with pytest.raises(DataError, match="values other than 0 and 1"):
        model.encode_targets(np.array([[1, 0, 2]]))
    with pytest.raises(DataError, match="label='x' at row index 0 of y. Fix the label"):
        make_model(labels=[0, 1]).encode_targets([["x", 1]])
    assert make_model(labels=[0, 1]).encode_targets([["1"]])[0].tolist() == [[0, 1]]
    assert make_model(labels=["1", "2"]).encode_targets([[2]])[0].tolist() == [[0, 1]]
    permissive = make_model(allow_empty_labels=True)
    targets, _ = permissive.encode_targets([["sport"], []])
    assert targets.tolist() == [[0, 0, 1], [0, 0, 0]]
    with pytest.raises(ConfigError, match="class_weight"):
        model.encode_targets([["sport"]], class_weight="balanced")


def test_config_errors():
    with pytest.raises(ConfigError, match="at least one label"):
        make_model(labels=[])
    with pytest.raises(ConfigError, match=r"3 thresholds in \(0, 1\)"):
        make_model(thresholds=[0.5, 1.0, 0.5])
    with pytest.raises(ConfigError, match="unknown labels \\['drama'\\]"):
        make_model(thresholds={"drama": 0.4})
    assert make_model(thresholds={"money": 0.3}).thresholds.tolist() == [0.5, 0.3, 0.5]
    with pytest.raises(ConfigError, match="dropout"):
        make_model(dropout=1.0)


# --- reading files ---


# --- YAML run and CLI ---


def test_yaml_run_evaluate_and_predict(tmp_path, capsys):
    x, y = toy_topics(60, seed=4)
    train = tmp_path / "train.jsonl"
    train.write_text("".join(json.dumps({"text": t, "topics": labels}) + "\n"
                             for t, labels in zip(x, y)))
    config = tmp_path / "run.yaml"
    config.write_text(
        "name: ml\ntask: multi_label_classifier\nbackbone: tiny-bert\nsequence_length: 16\n"
        f"output_dir: {tmp_path / 'runs'}\n"
        f"data:\n  train: {train}\n  label_column: topics\n  validation_split: 0\n"
        "  test_split: 0.2\ntraining:\n  epochs: 2\n  batch_size: 8\n  learning_rate: 3e-3\n")
    tsv = write_file(tmp_path, "test.tsv", "the film\t0\nteam market\t1,2\n")
    names = write_file(tmp_path, "names.txt", "\n".join(LABELS))
    texts = ["the film", "team market"]
    metrics, _, records = run_cli(
        capsys, config, tmp_path / "runs" / "ml",
        ["--data", tsv, "--text-column", "0", "--label-column", "1",
         "--reader-option", "header=false", "--reader-option", f"label_names={names}"],
        texts, texts, evaluate_text="subset accuracy")
    assert metrics["run"]["evaluated_on"] == "test" and "micro" in metrics
    # No validation data: every threshold stays at 0.5.
    assert metrics["thresholds"] == {name: 0.5 for name in LABELS}
    assert all(set(r["labels"]) <= set(LABELS) and len(r["scores"]) == 3 for r in records)


# --- real data ---


@pytest.mark.slow
def test_minilm_2_layers_on_goemotions_slice(shared_data):
    GOEMOTIONS = shared_data("goemotions")
    train = read_multi_label(f"{GOEMOTIONS}/train.tsv", text_column=0, label_column=1,
                             header=False, label_names=f"{GOEMOTIONS}/labels.txt")
    dev = read_multi_label(f"{GOEMOTIONS}/dev.tsv", text_column=0, label_column=1,
                           header=False, label_names=f"{GOEMOTIONS}/labels.txt")
    assert len(train) == 43410 and len(dev) == 5426
    labels = sorted(set(flatten_labels(train.labels)))
    assert len(labels) == 28
    model = kft.MultiLabelClassifier.from_pretrained(
        "minilm-l6", backbone_config={"num_layers": 2}, labels=labels, sequence_length=64)
    model.compile(learning_rate=1e-3)
    model.fit(train.texts[:1500], train.labels[:1500],
              validation_data=(dev.texts[:300], dev.labels[:300]),
              epochs=2, batch_size=32, seed=0, verbose=0)
    report = model.evaluate_report(dev.texts[300:800], dev.labels[300:800])
    # Always predicting the most frequent label ("neutral") scores micro F1 ~0.3.
    assert report["micro"]["f1"] >= 0.35, report["micro"]


@pytest.mark.slow  # reads the GoEmotions files and trains a tiny model end to end
def test_sample_script_runs(tmp_path, monkeypatch, shared_data):
    import runpy
    import sys

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    monkeypatch.setattr(sys, "argv", [
        "multi_label_classification.py", "--backbone", "tiny-bert", "--layers", "1",
        "--train-examples", "32", "--eval-examples", "32", "--epochs", "1",
        "--output", str(tmp_path / "goemotions"), "--data", shared_data("goemotions")])
    runpy.run_path(os.path.join(root, "samples", "multi_label_classification.py"),
                   run_name="__main__")
    metrics = json.loads((tmp_path / "goemotions" / "metrics.json").read_text())
    assert metrics["num_examples"] == 16 and len(metrics["thresholds"]) == 28
