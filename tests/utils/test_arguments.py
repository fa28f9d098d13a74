"""One validation path: the API and run configs check arguments alike."""

import numpy as np
import pandas as pd
import pytest
from helpers import toy_sentiment

import kerasft as kft
from kerasft.config import load_config
from kerasft.errors import ConfigError, DataError
from kerasft.utils.arguments import fraction, non_negative_number, positive_int, positive_number


@pytest.mark.parametrize("check, value, match", [
    (positive_number, 0, "must be > 0"),
    (positive_number, -1.0, "must be > 0"),
    (positive_number, float("nan"), "must be a finite number"),
    (positive_number, "fast", "must be a number"),
    (positive_number, True, "must be a number"),
    (non_negative_number, -0.1, "must be >= 0"),
    (fraction, 1.0, r"must be in \[0, 1\)"),
    (positive_int, 0, "must be a positive integer"),
    (positive_int, 2.0, "must be a positive integer"),
    (positive_int, True, "must be a positive integer"),
])
def test_rules(check, value, match):
    with pytest.raises(ConfigError, match=f"x {match}.*Received: x="):
        check(value, "x")


def test_rules_accept_good_values():
    assert positive_number("1e-3", "x") == 1e-3  # YAML 1.1 reads 1e-3 as a string
    assert non_negative_number(0, "x") == 0.0
    assert fraction(0.0, "x") == 0.0
    assert positive_int(np.int64(3), "x") == 3


@pytest.mark.parametrize("key, value, match", [
    ("training.learning_rate", 0, "training.learning_rate must be > 0"),
    ("training.learning_rate", -1.0, "training.learning_rate must be > 0"),
    ("training.batch_size", 0, "training.batch_size must be a positive integer"),
    ("training.epochs", -1, "training.epochs must be a positive integer"),
    ("training.warmup_ratio", 1.5, r"training.warmup_ratio must be in \[0, 1\)"),
])
def test_yaml_and_api_share_the_rules(key, value, match):
    with pytest.raises(ConfigError, match=match):
        load_config(overrides={"data.dataset": "polarity", key: value})


@pytest.fixture(scope="module")
def model():
    return kft.TextClassifier.from_pretrained("tiny-bert", labels=["neg", "pos"],
                                              sequence_length=16)


@pytest.mark.parametrize("kwargs, match", [
    ({"learning_rate": -1.0}, "learning_rate must be > 0"),
    ({"learning_rate": 0}, "learning_rate must be > 0"),
    ({"weight_decay": -0.5}, "weight_decay must be >= 0"),
    ({"warmup_ratio": 2}, r"warmup_ratio must be in \[0, 1\)"),
])
def test_compile_checks_like_the_config(model, kwargs, match):
    with pytest.raises(ConfigError, match=match):
        model.compile(**kwargs)


@pytest.mark.parametrize("kwargs, match", [
    ({"batch_size": 0}, "batch_size must be a positive integer"),
    ({"epochs": -1}, "epochs must be a positive integer"),
    ({"epochs": 0}, "epochs must be a positive integer"),
])
def test_fit_checks_like_the_config(model, kwargs, match):
    texts, labels = toy_sentiment(repeat=1)
    with pytest.raises(ConfigError, match=match):
        model.fit(texts, labels, verbose=0, **kwargs)


def test_evaluate_and_predict_check_batch_size(model):
    texts, labels = toy_sentiment(repeat=1)
    with pytest.raises(ConfigError, match="batch_size must be a positive integer"):
        model.predict(texts, batch_size=0)
    with pytest.raises(ConfigError, match="batch_size must be a positive integer"):
        model.evaluate(texts, labels, batch_size=-2, verbose=0)


def test_series_and_string_arrays_are_texts(model):
    texts, labels = toy_sentiment(repeat=1)
    expected = model.predict(texts)
    np.testing.assert_allclose(model.predict(pd.Series(texts)), expected, atol=1e-6)
    np.testing.assert_allclose(model.predict(pd.Series(texts, dtype=object)), expected, atol=1e-6)
    np.testing.assert_allclose(model.predict(np.array(texts)), expected, atol=1e-6)
    model.compile(learning_rate=1e-3)
    history = model.fit(pd.Series(texts), pd.Series(labels), epochs=1, verbose=0)
    assert len(history.history["loss"]) == 1


@pytest.mark.parametrize("texts, match", [
    ([1, 2, 3], r"x\[0\]=1 of type int"),
    (["good", None, "bad"], r"x\[1\]=None"),
    (np.array([0.5, 1.5]), r"x\[0\]=.*0.5"),
    (pd.Series(["good", 3]), r"x\[1\]=3"),
])
def test_non_string_texts_name_the_first_offending_index(model, texts, match):
    with pytest.raises(DataError, match=match):
        model.predict(texts)
