"""Data-parallel training: two replicas on one machine, two workers on 127.0.0.1."""

import json
import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from helpers import start_workers

from kerasft.errors import ConfigError
from kerasft.training.strategy import get_strategy

MIRRORED = textwrap.dedent("""
    import json, sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    sys.path.insert(0, sys.argv[1])
    from helpers import toy_sentiment
    import kerasft as kft
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    texts, labels = toy_sentiment()
    model = kft.TextClassifier.from_pretrained(
        "tiny-bert", labels=["neg", "pos"], sequence_length=32, strategy=strategy)
    model.compile(learning_rate=3e-3)
    history = model.fit(texts, labels, epochs=4, batch_size=8, seed=0, verbose=0)
    print(json.dumps({"replicas": model.distribute_strategy.num_replicas_in_sync,
                      "loss": history.history["loss"]}))
""")

WORKER = textwrap.dedent("""
    import hashlib, json, sys
    sys.path.insert(0, sys.argv[1])
    import keras, numpy as np
    from helpers import toy_sentiment
    import kerasft as kft
    texts, labels = toy_sentiment()
    keras.utils.set_random_seed(0)
    model = kft.TextClassifier.from_pretrained(
        "tiny-bert", labels=["neg", "pos"], sequence_length=32, dropout=0.0,
        strategy=sys.argv[2])
    model.compile(learning_rate=3e-3)
    history = model.fit(texts, labels, epochs=3, batch_size=8, seed=0, verbose=0,
                        validation_data=(texts[:13], labels[:13]))
    weights = np.concatenate([np.asarray(v, "float32").ravel()
                              for v in model.trainable_variables])
    np.save(sys.argv[3], weights)
    print(json.dumps({"replicas": model.distribute_strategy.num_replicas_in_sync,
                      "sha256": hashlib.sha256(weights.tobytes()).hexdigest(),
                      "loss": history.history["loss"],
                      "val_loss": history.history["val_loss"]}))
""")

# Every task through kerasft's own loop on two replicas (two logical CPUs).
ALL_TASKS_MIRRORED = textwrap.dedent("""
    import json, sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    sys.path.insert(0, sys.argv[1])
    import keras
    from helpers import toy_ner, toy_sentiment
    import kerasft as kft
    texts, labels = toy_sentiment()
    sentences, tags = toy_ner(48)
    contexts = ["it is bob. the film was good.", "the film was bad. it is kim."] * 8
    answers = [{"text": c.split("it is ")[1][:3], "answer_start": c.index("it is ") + 6}
               for c in contexts]
    cases = {
        "TextClassifier": ({"labels": ["neg", "pos"]}, texts, labels),
        "MultiLabelClassifier": ({"labels": ["neg", "pos"]}, texts, [[l] for l in labels]),
        "TextRegressor": ({}, texts, [float(l == "pos") for l in labels]),
        "TokenClassifier": ({"tags": ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]},
                            sentences, tags),
        "QuestionAnswerer": ({"doc_stride": 8, "max_question_length": 8},
                             (["who is it?"] * 16, contexts), answers),
    }
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    out = {}
    for name, (kwargs, x, y) in cases.items():
        keras.utils.set_random_seed(0)
        model = getattr(kft, name).from_pretrained(
            "tiny-bert", sequence_length=32, strategy=strategy, **kwargs)
        model.compile(learning_rate=1e-2)
        history = model.fit(x, y, epochs=4, batch_size=8, seed=0, verbose=0,
                            training_loop="kerasft")
        out[name] = {"replicas": model.distribute_strategy.num_replicas_in_sync,
                     "loss": history.history["loss"]}
    print(json.dumps(out))
""")

# Worker 1 dies at its third step; worker 0 must fail, not hang.
KILLED_PEER = textwrap.dedent("""
    import os, sys, time
    sys.path.insert(0, sys.argv[1])
    import keras
    from helpers import toy_sentiment
    import kerasft as kft
    texts, labels = toy_sentiment()
    model = kft.TextClassifier.from_pretrained(
        "tiny-bert", labels=["neg", "pos"], sequence_length=32, strategy="multi_worker")
    model.compile(learning_rate=3e-3)
    def die(batch, logs):
        if sys.argv[2] == "1" and batch == 2:
            os._exit(9)
        if batch == 2:
            print("PEER-DEAD-AT", time.time(), flush=True)
    model.fit(texts * 4, labels * 4, epochs=2, batch_size=8, seed=0, verbose=0,
              callbacks=[keras.callbacks.LambdaCallback(on_train_batch_end=die)])
""")

# Pairs of a TextEmbedder batch must stay together on each replica.
EMBEDDER_MIRRORED = textwrap.dedent("""
    import json, sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras, numpy as np
    import kerasft as kft
    first = ["good film", "bad film", "great movie", "not good", "it is good", "bad news",
             "the movie was great", "a bad market", "a good day"]
    second = ["a good movie", "a bad movie", "great film", "bad", "it was good",
              "bad market", "the film is great", "bad news", "good"]
    scores = [1.0, 0.9, 1.0, 0.7, 0.9, 0.6, 1.0, 0.6, 0.8]
    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    out = {}
    for name, strategy, loop in [("one", None, "keras"), ("keras", mirrored, "keras"),
                                 ("kerasft", mirrored, "kerasft")]:
        keras.utils.set_random_seed(0)
        model = kft.TextEmbedder.from_pretrained(
            "tiny-bert", sequence_length=16, dropout=0.0, strategy=strategy)
        model.compile(learning_rate=1e-2)
        # 9 pairs, batches of 4: the last pair is left out on two replicas,
        # so the single process trains on the same 8
        n = 8 if strategy is None else 9
        history = model.fit((first[:n], second[:n]), scores[:n], epochs=3, batch_size=4, shuffle=False,
                            verbose=0, training_loop=loop)
        out[name] = history.history["loss"]
    print(json.dumps(out))
""")

QA_MIRRORED = textwrap.dedent("""
    import json, sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import kerasft as kft
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    model = kft.QuestionAnswerer.from_pretrained(
        "tiny-bert", sequence_length=32, doc_stride=8, max_question_length=8,
        strategy=strategy)
    contexts = ["it is bob. the film was good.", "the film was bad. it is kim."] * 4
    answers = [{"text": c.split("it is ")[1][:3], "answer_start": c.index("it is ") + 6}
               for c in contexts]
    model.compile(learning_rate=3e-3)
    history = model.fit((["who is it?"] * 8, contexts), answers, epochs=2, batch_size=4,
                        verbose=0)
    print(json.dumps({
        "replicas": model.distribute_strategy.num_replicas_in_sync,
        "built_under": type(model.distribute_strategy).__name__,
        "mirrored_weights": all(isinstance(v.value, tf.distribute.DistributedValues)
                                for v in model.trainable_variables),
        "steps": int(model.optimizer.iterations.numpy()),
        "loss": history.history["loss"]}))
""")

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _last_json(output):
    return json.loads(output.strip().splitlines()[-1])


def test_mirrored_strategy_trains_on_two_replicas():
    result = subprocess.run([sys.executable, "-c", MIRRORED, TESTS_DIR],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    out = _last_json(result.stdout)
    assert out["replicas"] == 2
    assert out["loss"][-1] < out["loss"][0]


def test_question_answerer_builds_and_trains_under_the_given_strategy():
    # QuestionAnswerer.from_pretrained used to drop `strategy=` (issue 9).
    result = subprocess.run([sys.executable, "-c", QA_MIRRORED],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    out = _last_json(result.stdout)
    assert out["built_under"] == "MirroredStrategy"
    assert out["replicas"] == 2
    assert out["mirrored_weights"] is True
    assert out["steps"] == 4  # 8 windows, global batch 4, 2 epochs
    assert all(loss == loss for loss in out["loss"])


def test_embedder_pairs_stay_whole_on_each_replica():
    # Each replica's slice of a 2B-text batch must hold whole pairs; split
    # naively, replica 0 would score first texts against first texts.
    result = subprocess.run([sys.executable, "-c", EMBEDDER_MIRRORED],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    out = _last_json(result.stdout)
    # The first epoch's loss (two steps, the second after one update) is the
    # single process's; later epochs drift apart by float rounding that Adam
    # amplifies (kerasft's loop stays within 1%; Keras' clips each replica's
    # gradients apart, see kerasft.training.distributed_loop).
    for loop in ("keras", "kerasft"):
        assert out[loop][0] == pytest.approx(out["one"][0], rel=1e-5), loop
        assert out[loop][-1] < out[loop][0]
    assert out["kerasft"] == pytest.approx(out["one"], rel=1e-2)


def test_multi_worker_strategy_with_two_local_workers(tmp_path):
    # Keras' own fit fails under MultiWorkerMirroredStrategy (keras#20585);
    # Task.fit runs kerasft's distributed loop there.
    procs = start_workers(WORKER, [TESTS_DIR, "multi_worker", str(tmp_path / "w{index}.npy")])
    outputs = [p.communicate(timeout=900) for p in procs]
    for p, (out, err) in zip(procs, outputs):
        assert p.returncode == 0, err[-3000:]
    results = [_last_json(out) for out, _ in outputs]
    assert all(r["replicas"] == 2 for r in results)
    # Synchronous data parallelism: identical weights, identical global loss.
    assert results[0]["sha256"] == results[1]["sha256"]
    assert results[0]["loss"] == results[1]["loss"]
    assert results[0]["loss"][-1] < results[0]["loss"][0]
    # The same global batches in one process: the same training.
    single = subprocess.run([sys.executable, "-c", WORKER, TESTS_DIR, "default",
                             str(tmp_path / "single.npy")],
                            capture_output=True, text=True, timeout=600)
    assert single.returncode == 0, single.stderr[-3000:]
    alone = _last_json(single.stdout)
    assert alone["replicas"] == 1
    difference = np.abs(np.load(tmp_path / "w0.npy") - np.load(tmp_path / "single.npy"))
    assert difference.max() < 1e-5
    assert results[0]["loss"] == pytest.approx(alone["loss"], rel=1e-5)
    assert results[0]["val_loss"] == pytest.approx(alone["val_loss"], rel=1e-5)


@pytest.mark.slow  # about 45 s: every task type traced under two replicas (CI runs it)
def test_every_task_trains_through_the_own_loop_on_two_replicas():
    result = subprocess.run([sys.executable, "-c", ALL_TASKS_MIRRORED, TESTS_DIR],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    out = _last_json(result.stdout)
    assert set(out) == {"TextClassifier", "MultiLabelClassifier", "TextRegressor",
                        "TokenClassifier", "QuestionAnswerer"}
    for name, r in out.items():
        assert r["replicas"] == 2, name
        assert r["loss"][-1] < r["loss"][0], (name, r["loss"])


@pytest.mark.slow  # about 25 s: two worker processes, one killed (CI runs it)
def test_a_killed_worker_makes_the_other_fail_fast():
    procs = start_workers(KILLED_PEER, [TESTS_DIR, "{index}"],
                           env={"KERASFT_COLLECTIVE_TIMEOUT": "30"})
    killed = procs[1].wait(timeout=600)
    died = time.time()
    out, err = procs[0].communicate(timeout=300)  # a hang would time out here
    waited = time.time() - died
    print(f"survivor exited {procs[0].returncode} {waited:.1f}s after its peer died: "
          f"{err.strip().splitlines()[-1][:300]}")
    assert killed == 9
    assert procs[0].returncode != 0, out[-2000:]
    assert waited < 120, waited


def test_unknown_strategy_name():
    with pytest.raises(ConfigError, match="Unknown distribution strategy. Received: strategy='gpus'"):
        get_strategy("gpus")
