"""Training on a local Ray instance with Ray Train's TensorflowTrainer (2 workers)."""

import json
import os
import sys

import numpy as np
import pytest
from helpers import toy_sentiment, write_file

from kerasft.cli import main
from kerasft.training import ray_launcher


def test_workers_without_ray_name_the_install(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "ray.train", None)
    with pytest.raises(ImportError, match=r"pip install 'kerasft\[ray\]'"):
        ray_launcher.import_ray_train()
    texts, labels = toy_sentiment(1)
    data = write_file(tmp_path, "train.csv", "text,label\n" + "".join(
        f"{t},{l}\n" for t, l in zip(texts, labels)))
    code = main(["train", "--backbone", "tiny-bert", "--train", data, "--workers", "2",
                 "--output-dir", str(tmp_path / "runs")])
    assert code == 2
    assert "pip install 'kerasft[ray]'" in capsys.readouterr().err


@pytest.fixture(scope="module")
def ray_instance():
    pytest.importorskip("ray.train.tensorflow", reason="needs pip install 'kerasft[ray]'")
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.mark.slow
def test_ray_train_with_two_workers(ray_instance, tmp_path):
    out = str(tmp_path)

    def train(config):
        import hashlib
        import json

        import keras
        import ray.train

        import kerasft as kft

        texts, labels = config["texts"], config["labels"]
        keras.utils.set_random_seed(0)
        model = kft.TextClassifier.from_pretrained(
            "tiny-bert", labels=["neg", "pos"], sequence_length=32, dropout=0.0,
            strategy="multi_worker")
        model.compile(learning_rate=3e-3)
        history = model.fit(texts, labels, epochs=3, batch_size=8, seed=0, verbose=0)
        weights = np.concatenate([np.asarray(v, "float32").ravel()
                                  for v in model.trainable_variables])
        rank = ray.train.get_context().get_world_rank()
        np.save(os.path.join(config["out"], f"w{rank}.npy"), weights)
        with open(os.path.join(config["out"], f"w{rank}.json"), "w") as f:
            json.dump({"replicas": model.distribute_strategy.num_replicas_in_sync,
                       "sha256": hashlib.sha256(weights.tobytes()).hexdigest(),
                       "loss": history.history["loss"]}, f)

    texts, labels = toy_sentiment()
    result = ray_launcher.run_on_ray(train, num_workers=2, storage_path=out + "/ray",
                                     config={"texts": texts, "labels": labels, "out": out})
    assert result.error is None
    reports = [json.loads((tmp_path / f"w{rank}.json").read_text()) for rank in (0, 1)]
    print("ray workers:", [(r["sha256"][:16], r["loss"]) for r in reports])
    assert all(r["replicas"] == 2 for r in reports)
    assert reports[0]["loss"] == reports[1]["loss"]
    assert reports[0]["loss"][-1] < reports[0]["loss"][0]
    assert np.array_equal(np.load(tmp_path / "w0.npy"), np.load(tmp_path / "w1.npy"))


@pytest.mark.slow
def test_kerasft_train_with_two_ray_workers_writes_one_run(ray_instance, tmp_path):
    texts, labels = toy_sentiment()
    rows = [f"{t},{l}\n" for t, l in zip(texts, labels)]
    train = write_file(tmp_path, "train.csv", "text,label\n" + "".join(rows))
    test = write_file(tmp_path, "test.csv", "text,label\n" + "".join(rows[:24]))
    code = main(["train", "--backbone", "tiny-bert", "--train", train, "--test", test,
                 "--epochs", "2", "--batch-size", "8", "--name", "ray2", "--sequence-length", "32",
                 "--output-dir", str(tmp_path / "runs"), "--workers", "2"])
    assert code == 0
    assert sorted(os.listdir(tmp_path / "runs")) == ["ray2"]
    run = tmp_path / "runs" / "ray2"
    assert (run / "metrics.json").is_file() and (run / "model" / "config.json").is_file()
