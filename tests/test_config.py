import pytest

from kerasft.config import load_config, parse_override
from kerasft.errors import ConfigError


def test_defaults_yaml_and_overrides(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("data: {dataset: polarity}\ntraining: {epochs: 3}\n")
    config = load_config(str(path), dict([parse_override("training.learning_rate=1e-4"),
                                          parse_override("model.dropout=0.2")]))
    assert config["training"]["epochs"] == 3
    assert config["training"]["learning_rate"] == pytest.approx(1e-4)
    assert config["model"]["dropout"] == 0.2
    assert config["training"]["batch_size"] == 32  # default kept


@pytest.mark.parametrize("text,match", [
    ("data: {dataset: polarity}\nfoo: 1\n", "Unknown config key. Received: foo"),
    ("data: {dataset: polarity}\ntraining: {epochs: 0}\n", "training.epochs must be a positive"),
    ("data: {dataset: polarity}\ntraining: {learning_rate: fast}\n", "training.learning_rate must be a number"),
    ("data: {dataset: polarity}\ntraining: 3\n", "training must be a mapping"),
    ("training: {epochs: 1}\n", "No training data"),
    ("data: [1, 2\n", "not valid YAML"),
])
def test_bad_configs(tmp_path, text, match):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=match):
        load_config(str(path))


def test_missing_file_and_bad_override():
    with pytest.raises(ConfigError, match="Config file not found"):
        load_config("nope.yaml")
    with pytest.raises(ConfigError, match="key=value"):
        parse_override("epochs")


def test_renamed_key_names_its_replacement(tmp_path):
    path = tmp_path / "old.yaml"
    path.write_text("task: text_classifier\ndata: {train: t.csv}\n"
                    "training: {mixed_precision: true}\n")
    with pytest.raises(ConfigError, match=r"training.mixed_precision. It was renamed: "
                                          r"training.precision"):
        load_config(str(path))
