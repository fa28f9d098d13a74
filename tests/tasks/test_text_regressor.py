import functools
import json
import os

import keras
import numpy as np
import pytest

import kerasft as kft
from kerasft.errors import ConfigError, DataError
from kerasft.data import read_stsb
from helpers import fit_toy, run_cli, run_task_test, write_file

WEIGHTS = {"good": 1.0, "great": 2.0, "bad": -1.0, "not": -0.5}
FILLER = ["the", "a", "is", "it", "was", "film", "movie"]


def toy_scores(n, seed, offset=1000.0, scale=100.0):
    """Texts of sentiment words; target = offset + scale * sum of word weights."""
    rng = np.random.RandomState(seed)
    texts, targets = [], []
    for _ in range(n):
        words = rng.choice(list(WEIGHTS), rng.randint(1, 4)).tolist() + \
            rng.choice(FILLER, 2).tolist()
        rng.shuffle(words)
        texts.append(" ".join(words))
        targets.append(offset + scale * sum(WEIGHTS.get(w, 0.0) for w in words))
    return texts, targets


# A new tiny-bert model; keyword arguments override these.
make_model = functools.partial(kft.TextRegressor.from_pretrained, "tiny-bert",
                               sequence_length=16)


@pytest.fixture(scope="module")
def trained():
    x, y = toy_scores(96, seed=0)
    val = toy_scores(32, seed=1)
    model, history = fit_toy(make_model, x, y, validation_data=val)
    return model, history, (x, y), val


def test_task_contract_on_the_original_scale(trained, tmp_path):
    model, history, _, (vx, vy) = trained
    result = run_task_test(model, vx, vy, tmp_path, history=history, loss_drop=0.2,
                           predict_x=vx[:6], report_text="pearson", load_rtol=1e-5,
                           load_atol=0.0)
    metrics = result.report["per_target"]["target"]
    assert metrics["pearson"] >= 0.9 and metrics["spearman"] >= 0.9
    # Predicting the mean scores an MAE of about one standard deviation (~150 here).
    assert metrics["mae"] < 0.35 * np.std(vy)
    with open(tmp_path / "model" / "config.json") as f:
        config = json.load(f)["task_config"]
    assert config["target_mean"] == pytest.approx(model.target_mean.tolist())
    np.testing.assert_allclose(result.reloaded.target_std, model.target_std)
    assert result.records[0] == {"target": pytest.approx(float(result.predictions[0, 0]))}


def test_standardization_is_set_from_training_targets_and_inverted(trained):
    model, _, (_, y), (vx, vy) = trained
    np.testing.assert_allclose(model.target_mean, [np.mean(y)], rtol=1e-6)
    np.testing.assert_allclose(model.target_std, [np.std(y)], rtol=1e-6)
    predictions = model.predict(vx)
    assert predictions.shape == (32, 1)
    # The head's standardized output, mapped back by the in-graph layer.
    head = keras.Model(model.inputs, model.get_layer("standardized_outputs").output)
    ds, _ = model.preprocessor.make_dataset(model._features(vx), batch_size=32,
                                            bucket=False)
    standardized = head.predict(ds, verbose=0)
    raw = model.predict(ds, verbose=0)
    np.testing.assert_allclose(raw, standardized * np.std(y) + np.mean(y), rtol=1e-5)
    assert abs(predictions.mean() - np.mean(vy)) < 0.5 * np.std(vy)
    # The loss is measured in standardized units, Keras' mse in the original ones.
    results = model.evaluate(vx, vy, return_dict=True, verbose=0)
    assert results["mse"] == pytest.approx(results["loss"] * np.var(y), rel=1e-3)


def test_second_fit_keeps_the_statistics(trained, monkeypatch):
    model, _, _, _ = trained
    mean, std = model.target_mean.copy(), model.target_std.copy()
    calls = []
    monkeypatch.setattr(kft.Task, "fit", lambda self, x, y, **kwargs: calls.append(y))
    x, y = toy_scores(8, seed=5, offset=-50.0)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert calls == [y]  # training ran on the new targets...
    np.testing.assert_array_equal(model.target_mean, mean)  # ...with the first statistics
    np.testing.assert_array_equal(model.target_std, std)


def test_several_targets_pairs_and_no_standardization():
    x, y = toy_scores(16, seed=2)
    targets = np.stack([y, -np.asarray(y) / 100.0], axis=1)
    pairs = (x, ["the film"] * len(x))
    model = make_model(target_names=["score", "negated"], standardize=False)
    model.fit(pairs, targets, epochs=1, batch_size=8, verbose=0)
    assert model.target_mean is None
    assert model.get_layer("predictions").mean.numpy().tolist() == [0.0, 0.0]
    predictions = model.predict(pairs)
    assert predictions.shape == (16, 2)
    np.testing.assert_allclose(model.predict(list(zip(*pairs))), predictions, atol=1e-5)
    report = model.evaluate_report(pairs, targets)
    assert report["targets"] == ["score", "negated"]
    assert set(model.predict_records(pairs[0][:1])[0]) == {"score", "negated"}


def test_target_errors():
    model = make_model()
    with pytest.raises(DataError, match=r"Received: nan for 'target' at row index 2 of y"):
        model.fit(["good", "bad", "great"], [1.0, 2.0, float("nan")], verbose=0)
    with pytest.raises(DataError, match=r"1 number\(s\) per example"):
        model.encode_targets([[1.0, 2.0]])
    with pytest.raises(DataError, match="number"):
        model.encode_targets(["high"])
    with pytest.raises(ConfigError, match="class_weight"):
        model.encode_targets([1.0], class_weight="balanced")
    with pytest.raises(ConfigError, match="class_weight"):
        model.fit(["good", "bad"], [1.0, 2.0], class_weight="balanced", verbose=0)


def test_config_errors():
    with pytest.raises(ConfigError, match="one target name per target"):
        make_model(num_targets=2, target_names=["a"])
    with pytest.raises(ConfigError, match="distinct targets"):
        make_model(target_names=["a", "a"])
    with pytest.raises(ConfigError, match="target_std"):
        make_model(target_mean=[0.0], target_std=[0.0])
    with pytest.raises(ConfigError, match="1 finite values"):
        make_model(target_mean=[1.0, 2.0], target_std=[1.0, 1.0])


# --- reading files ---


# --- YAML run and CLI ---


def test_yaml_run_evaluate_and_predict(tmp_path, capsys):
    x, y = toy_scores(60, seed=4)
    lines = [f"g\tf\t2012\t{i}\t{v / 500:.3f}\t{t}\tthe film\n"
             for i, (t, v) in enumerate(zip(x, y))]
    train = write_file(tmp_path, "train.tsv", "".join(lines))
    config = tmp_path / "run.yaml"
    config.write_text(
        "name: reg\ntask: text_regressor\nbackbone: tiny-bert\nsequence_length: 16\n"
        f"output_dir: {tmp_path / 'runs'}\n"
        f"data:\n  train: {train}\n  text_column: 5\n  text_pair_column: 6\n"
        "  label_column: 4\n  reader_options: {header: false}\n"
        "model:\n  target_names: [similarity]\n"
        "training:\n  epochs: 2\n  batch_size: 8\n  learning_rate: 3e-3\n")
    run = tmp_path / "runs" / "reg"
    metrics, _, records = run_cli(
        capsys, config, run,
        ["--data", train, "--text-column", "5", "--text-pair-column", "6",
         "--label-column", "4", "--reader-option", "header=false"],
        ["good film", "bad"], ["good film", "bad"], evaluate_text="pearson")
    assert set(metrics["per_target"]["similarity"]) == {"mse", "rmse", "mae", "pearson",
                                                        "spearman"}
    assert (run / "predictions.png").is_file()
    reloaded = kft.load(run / "model")
    assert reloaded.target_mean[0] == pytest.approx(np.mean([v / 500 for v in y]), abs=0.2)
    assert all(set(record) == {"input", "similarity"} for record in records)


# --- real data ---


@pytest.mark.slow
def test_minilm_2_layers_on_stsb_slice(shared_data):
    STSB = shared_data("stsb")
    train = read_stsb(os.path.join(STSB, "sts-train.csv"))
    dev = read_stsb(os.path.join(STSB, "sts-dev.csv"))
    model = kft.TextRegressor.from_pretrained(
        "minilm-l6", backbone_config={"num_layers": 2}, target_names=["similarity"],
        sequence_length=64)
    model.compile(learning_rate=1e-4)
    model.fit((train.texts[:1000], train.pairs[:1000]), train.labels[:1000], epochs=2,
              batch_size=16, seed=0, verbose=0)
    report = model.evaluate_report((dev.texts[:400], dev.pairs[:400]), dev.labels[:400])
    assert report["per_target"]["similarity"]["spearman"] >= 0.5, report


@pytest.mark.slow  # reads the STS-B files and trains a tiny model end to end
def test_sample_script_runs(tmp_path, monkeypatch, shared_data):
    import runpy
    import sys

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    monkeypatch.setattr(sys, "argv", [
        "text_regression.py", "--backbone", "tiny-bert", "--layers", "1",
        "--sequence-length", "32", "--train-examples", "32", "--eval-examples", "16",
        "--epochs", "1", "--output", str(tmp_path / "stsb"), "--data", shared_data("stsb")])
    runpy.run_path(os.path.join(root, "samples", "text_regression.py"), run_name="__main__")
    metrics = json.loads((tmp_path / "stsb" / "metrics.json").read_text())
    assert metrics["num_examples"] == 16
    assert kft.load(tmp_path / "stsb" / "model").target_names == ["similarity"]
