import os

import keras
import numpy as np
import pytest
from helpers import fit_toy, run_task_test, toy_sentiment

import kerasft as kft
from kerasft.errors import ConfigError, DataError


def make_model(**kwargs):
    kwargs.setdefault("labels", ["neg", "pos"])
    kwargs.setdefault("sequence_length", 32)
    return kft.TextClassifier.from_pretrained("tiny-bert", **kwargs)


# Lengths from one word to a long sentence; two of them are not in the toy set.
QUERIES = ["great good film", "bad", "not good at all, it was bad bad bad", "great",
           "a good movie"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    texts, labels = toy_sentiment()
    ckpt = str(tmp_path_factory.mktemp("ckpt"))
    model, history = fit_toy(make_model, texts, labels,
                             validation_data=(texts[:16], labels[:16]), l2=1e-4,
                             fit_kwargs={"checkpoint_dir": ckpt})
    return model, history, texts, labels, ckpt


def test_task_contract(trained, tmp_path):
    model, history, texts, labels, _ = trained
    result = run_task_test(model, texts, labels, tmp_path, history=history,
                           predict_x=QUERIES, saved_files=("labels.json", "tokenizer/vocab.txt"),
                           report_files=("confusion_matrix.png",), report_text="accuracy")
    assert np.mean(np.array(model.predict_labels(texts)) == np.array(labels)) >= 0.95
    p = result.predictions
    assert p.shape == (5, 2)
    np.testing.assert_allclose(p.sum(-1), 1.0, atol=1e-5)
    assert [r["label"] for r in result.records] == model.predict_labels(QUERIES)
    assert result.records[1]["scores"]["neg"] == pytest.approx(float(p[1, 0]), abs=1e-6)
    assert result.reloaded.labels == model.labels
    assert result.reloaded.preprocessor.sequence_length == 32
    report = result.report
    assert report["accuracy"] >= 0.95
    assert set(report["per_class"]) == {"neg", "pos"}
    assert np.asarray(report["confusion_matrix"]).sum() == len(texts)
    assert result.spec.labels == model.labels


def test_validation_turns_on_checkpointing(trained):
    model, history, _, _, ckpt = trained
    assert os.path.isfile(os.path.join(ckpt, "best.weights.h5"))
    assert model.best_checkpoint_ == os.path.join(ckpt, "best.weights.h5")
    assert "val_loss" in history.history


def test_failed_save_leaves_nothing_behind(trained, tmp_path, monkeypatch):
    model, _, _, _, _ = trained

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(model, "save_weights", boom)
    with pytest.raises(OSError, match="disk full"):
        model.save(tmp_path / "other")
    assert os.listdir(tmp_path) == []


def test_keras_evaluate_on_raw_texts(trained):
    model, _, texts, labels, _ = trained
    results = model.evaluate(texts, labels, return_dict=True, verbose=0)
    assert results["accuracy"] >= 0.95


def test_sentence_pairs():
    texts, labels = toy_sentiment(repeat=1)
    pairs = (texts, ["the film"] * len(texts))
    model = make_model()
    model.fit(pairs, labels, epochs=1, batch_size=8, verbose=0)
    assert model.predict(pairs).shape == (len(texts), 2)
    listed = list(zip(*pairs))
    np.testing.assert_allclose(model.predict(listed), model.predict(pairs), atol=1e-6)


def test_user_optimizer_loss_metrics_and_callbacks():
    texts, labels = toy_sentiment(repeat=1)
    model = make_model()
    model.compile(optimizer=keras.optimizers.SGD(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")])

    class Count(keras.callbacks.Callback):
        batches = 0

        def on_train_batch_end(self, batch, logs=None):
            Count.batches += 1

    history = model.fit(texts, labels, epochs=2, batch_size=8, callbacks=[Count()], verbose=0)
    assert isinstance(model.optimizer, keras.optimizers.SGD)
    assert "acc" in history.history
    assert Count.batches == 2 * 2  # 16 texts, batch 8, one length bucket


def test_default_compile_is_adamw_with_schedule_and_no_decay_on_norms():
    texts, labels = toy_sentiment(repeat=1)
    model = make_model()
    model.fit(texts, labels, epochs=1, batch_size=8, verbose=0)
    optimizer = model.optimizer
    assert isinstance(optimizer, keras.optimizers.AdamW)
    schedule = optimizer._learning_rate
    assert isinstance(schedule, kft.training.WarmupLinearDecay)
    assert schedule.total_steps == 2
    decayed = {v.path for v in model.trainable_variables if optimizer._use_weight_decay(v)}
    assert not any(p.endswith(("bias", "gamma", "beta")) for p in decayed)
    assert any(p.endswith("kernel") for p in decayed)


def test_class_weight_balanced_becomes_sample_weights():
    model = make_model()
    ids, weights = model.encode_targets(["pos", "neg", "neg", "neg"], class_weight="balanced")
    np.testing.assert_allclose(weights, [2.0, 2 / 3, 2 / 3, 2 / 3], rtol=1e-6)
    _, weights = model.encode_targets(["pos", "neg"], class_weight={"pos": 5.0})
    np.testing.assert_allclose(weights, [5.0, 1.0])
    assert model.encode_targets(["pos", "neg"])[1] is None
    assert not hasattr(model, "_class_weight")  # no side channel (issue 9)


def test_l2_and_dropout_in_head():
    model = make_model(dropout=0.3, l2=0.01)
    assert model.get_layer("head_dropout").rate == 0.3
    assert model.get_layer("logits").kernel_regularizer.l2 == pytest.approx(0.01)
    assert len(model.losses) == 1


def test_bad_inputs_raise_clear_errors():
    model = make_model()
    with pytest.raises(DataError, match=r"Empty text at x\[1\]"):
        model.fit(["good", "  "], ["pos", "neg"], verbose=0)
    with pytest.raises(DataError, match="empty"):
        model.predict([])
    with pytest.raises(DataError, match="label=.meh. at row index 1"):
        model.fit(["good", "bad"], ["pos", "meh"], verbose=0)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        model.fit(["good", "bad"], ["pos"], verbose=0)
    with pytest.raises(DataError, match=r"x\[1\]=3"):
        model.predict(["good", 3])


def test_bad_config_values():
    with pytest.raises(ConfigError, match="beyond the backbone's maximum of 64"):
        make_model(sequence_length=512)
    with pytest.raises(ConfigError, match="at least two labels"):
        make_model(labels=["only"])
    with pytest.raises(ConfigError, match="dropout"):
        make_model(dropout=1.5)
    with pytest.raises(ValueError, match="pooling"):
        make_model(pooling="max")


def test_keras_export_format_passes_through(trained, tmp_path):
    model, _, _, _, _ = trained
    model.export(str(tmp_path / "sm"), format="tf_saved_model", verbose=False)
    assert (tmp_path / "sm" / "saved_model.pb").is_file()
