"""Properties of `load_config` and `parse_override`: any YAML file and any
`--set key=value` either loads into a config whose values have the right
types, or raises a `ConfigError` naming the file or the key; never a
PyYAML traceback, never a hang."""


import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from kerasft.config import load_config, parse_override
from kerasft.errors import ConfigError
from data.property_support import any_text, budget, new_file, no_hang

KEYS = {
    "training": ["epochs", "batch_size", "learning_rate", "weight_decay", "warmup_ratio",
                 "seed", "bogus"],
    "data": ["train", "validation", "text_column", "label_column", "encoding",
             "validation_split", "test_split", "reader_options", "bogus"],
    "model": ["dropout", "pooling"],
    "sequence_length": None,
    "output_dir": None,
    "bogus": None,
}
values = st.one_of(
    st.integers(-5, 600), st.integers(), st.floats(), st.booleans(), st.none(), any_text,
    st.sampled_from(["train.csv", "1e-3", "0.5", "3", ".inf", "no"]),
    st.lists(st.integers(), max_size=2), st.dictionaries(any_text, st.integers(), max_size=2))


@st.composite
def documents(draw):
    document = {"data": {"train": "train.csv"}}
    for section in draw(st.lists(st.sampled_from(sorted(KEYS)), max_size=4)):
        if KEYS[section] is None:
            document[section] = draw(values)
        else:
            part = document.setdefault(section, {})
            if not isinstance(part, dict):
                continue
            for key in draw(st.lists(st.sampled_from(KEYS[section]), max_size=3)):
                part[key] = draw(values)
    return document


def _check_types(config):
    training, data = config["training"], config["data"]
    assert isinstance(config["sequence_length"], int) and config["sequence_length"] >= 2
    for key in ("epochs", "batch_size"):
        assert type(training[key]) is int and training[key] >= 1
    for key in ("learning_rate", "weight_decay", "warmup_ratio"):
        assert type(training[key]) is float
    for key in ("validation_split", "test_split"):
        assert type(data[key]) is float
    for key in ("train", "validation", "test"):
        paths = data[key] if isinstance(data[key], list) else [data[key]]
        assert data[key] is None or all(isinstance(p, str) for p in paths)
    assert isinstance(data["reader_options"], dict)


def _names_the_key(message, path, document):
    flat = [path] + [str(k) for k in document] + [
        f"{s}.{k}" for s, part in document.items() if isinstance(part, dict) for k in part]
    return any(name in message for name in flat)


@budget(80)
@given(documents())
def test_generated_yaml(document):
    path = new_file("run.yaml", yaml.safe_dump(document, allow_unicode=True))
    try:
        with no_hang():
            config = load_config(path)
    except ConfigError as e:
        assert _names_the_key(str(e), path, document), str(e)
        return
    _check_types(config)


@budget(80)
@given(st.binary(max_size=60) | any_text.map(lambda t: t.encode("utf-8")))
def test_arbitrary_file_content(content):
    """Invalid YAML, control characters, NUL, invalid UTF-8, a BOM."""
    path = new_file("run.yaml", content)
    try:
        with no_hang():
            load_config(path)
    except ConfigError as e:
        assert path in str(e) or "data.train" in str(e), str(e)


@budget(80)
@given(st.sampled_from(["training.epochs", "training.learning_rate", "data.train",
                        "sequence_length", "data.reader_options", "training", "nope.x",
                        "training..epochs", ""]),
       any_text | st.sampled_from(["[", "{a: 1", "3", "1e-4", "true", "~", "'x"]))
def test_set_overrides(key, text):
    try:
        with no_hang():
            dotted, value = parse_override(f"{key}={text}")
            config = load_config(overrides={"data.train": "train.csv", dotted: value})
    except ConfigError as e:
        assert repr(key)[1:-1] in str(e) or key.split(".")[0] in str(e), str(e)
        return
    _check_types(config)


def test_unparseable_override_value_is_a_config_error():
    with pytest.raises(ConfigError, match=r"training\.epochs=\["):
        parse_override("training.epochs=[")


def test_invalid_utf8_config_names_the_file_and_line():
    path = new_file("run.yaml", b"training:\n  epochs: \xff\n")
    with pytest.raises(ConfigError, match=r"run\.yaml.*line 2"):
        load_config(path)


@pytest.mark.parametrize("value", [1, 2.5, True, {"a": 1}, [1]])
def test_data_paths_must_be_strings(value):
    with pytest.raises(ConfigError, match=r"data\.validation must be a file path"):
        load_config(overrides={"data.train": "train.csv", "data.validation": value})


def test_unknown_key_error_names_the_file():
    """Found by `test_arbitrary_file_content`: `(:` is a mapping with key `(`."""
    path = new_file("run.yaml", b"(:")
    with pytest.raises(ConfigError, match=r"run\.yaml: Unknown config key\. Received: \("):
        load_config(path)
