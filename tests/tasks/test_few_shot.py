"""`TextClassifier.fit_few_shot` (SetFit) gives an ordinary TextClassifier."""

import keras
import numpy as np
import pytest
from helpers import NEGATIVE, POSITIVE, check_save_load

import kerasft as kft
from kerasft.errors import DataError

TEXTS = POSITIVE + NEGATIVE
LABELS = ["pos"] * len(POSITIVE) + ["neg"] * len(NEGATIVE)


def make_model(labels=("neg", "pos")):
    return kft.TextClassifier.from_pretrained("tiny-bert", labels=list(labels),
                                              sequence_length=16, dropout=0.0)


@pytest.fixture(scope="module")
def few_shot():
    keras.utils.set_random_seed(0)
    model = make_model()
    before = [w.copy() for w in model.backbone.get_weights()]
    history = model.fit_few_shot(TEXTS, LABELS, num_iterations=4, batch_size=8,
                                 learning_rate=1e-3, seed=0, verbose=0)
    return model, history, before


def test_both_stages_train_the_classifier(few_shot):
    model, history, before = few_shot
    assert history.few_shot["pairs"] == 2 * 4 * len(TEXTS)
    assert history.few_shot["examples"] == len(TEXTS)
    changed = [not np.array_equal(a, b) for a, b in zip(before, model.backbone.get_weights())]
    assert sum(changed) > len(changed) // 2  # stage 1 tuned the shared backbone
    assert model.predict_labels(TEXTS) == LABELS  # stage 2 head
    assert history.few_shot["head_train_accuracy"] == 1.0


def test_result_is_an_ordinary_classifier(few_shot, tmp_path):
    model, _, _ = few_shot
    assert type(model) is kft.TextClassifier
    check_save_load(model, TEXTS, str(tmp_path / "model"), files=("labels.json",))
    report = model.evaluate_report(TEXTS, LABELS)
    assert report["accuracy"] == 1.0
    assert model.export_spec().labels == ["neg", "pos"]
    explanation = model.explain(["a great movie"])[0]
    assert explanation.attributions[0].target["label"] == "pos"
    assert [w["word"] for w in explanation.words] == ["a", "great", "movie"]


def test_multi_class_head_and_mnr_loss():
    keras.utils.set_random_seed(0)
    model = make_model(labels=("a", "b", "c"))
    texts = ["good film", "great movie", "bad film", "bad news", "sport news", "the sport"]
    history = model.fit_few_shot(texts, ["a", "a", "b", "b", "c", "c"], num_iterations=2,
                                 loss="multiple_negatives_ranking", batch_size=4,
                                 learning_rate=1e-3, seed=0, verbose=0)
    assert history.few_shot["pairs"] == 2 * 6  # positives only
    assert model.predict_labels(texts) == ["a", "a", "b", "b", "c", "c"]


@pytest.mark.parametrize("texts,labels,match", [
    (["good", "bad", "fine"], ["pos", "neg", "neg"], r"class 'pos' with 1 \(row 0\)"),
    (["good", "great", "bad"], ["pos", "pos", "neg"], r"class 'neg' with 1"),
    (["good", "", "bad", "not good"], ["pos", "pos", "neg", "neg"], r"texts\[1\]=''"),
    (["good", "good", "bad", "not good"], ["pos", "neg", "neg", "neg"], "two labels"),
    (["good", "good", "bad", "not good"], ["pos", "pos", "neg", "neg"],
     r"class 'pos' with 1 \(row 0\)"),  # exact duplicates count once
    (["good", "great"], ["pos", "pos"], r"no example of \['neg'\]"),
    (["good", "bad"], ["pos", "meh"], "meh"),
])
def test_bad_examples(texts, labels, match):
    with pytest.raises(DataError, match=match):
        make_model().fit_few_shot(texts, labels, num_iterations=1, verbose=0)


def test_more_classes_than_examples():
    with pytest.raises(DataError, match="More classes than examples. Received: 5 classes and 4"):
        make_model(labels="abcde").fit_few_shot(["good", "great", "bad", "not good"],
                                                ["a", "a", "b", "b"], verbose=0)


@pytest.mark.parametrize("kwargs,match", [
    ({"loss": "triplet"}, "`loss` must be one of"),
    ({"num_iterations": 0}, "num_iterations"),
    ({"epochs": 0}, "epochs"),
    ({"head_C": 0}, "head_C"),
])
def test_bad_options(kwargs, match):
    from kerasft.errors import ConfigError

    with pytest.raises((ConfigError, DataError), match=match):
        make_model().fit_few_shot(TEXTS, LABELS, verbose=0, **kwargs)
