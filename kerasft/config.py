"""Run configuration: defaults, YAML files, `--set a.b=value` overrides."""

import copy
import os

import yaml

from kerasft.errors import ConfigError
from kerasft.utils.arguments import (
    fraction, non_negative_number, positive_int, positive_number, precision)

DEFAULTS = {
    "name": None,
    "task": "text_classifier",
    "backbone": "minilm-l6",
    "backbone_config": {},
    "sequence_length": 128,
    "output_dir": "runs",
    "data": {
        "dataset": None,  # a packaged dataset: bbc_news, polarity
        "train": None,
        "validation": None,
        "test": None,
        "text_column": "text",
        "text_pair_column": None,
        "label_column": "label",
        "encoding": "utf-8",
        "validation_split": 0.1,
        "test_split": 0.1,
        # Extra arguments of the task's reader (`Task.read_data`), e.g.
        # {header: false, label_separator: ","}; see each task's reader.
        "reader_options": {},
    },
    "model": {"dropout": 0.1, "l2": 0.0, "pooling": "auto"},
    "training": {
        "epochs": 2,
        "batch_size": 32,
        "learning_rate": 5e-5,
        "weight_decay": 0.01,
        "warmup_ratio": 0.1,
        "early_stopping_patience": 2,
        "class_weight": None,
        "seed": 42,
        # auto: mixed_bfloat16 on CPUs with AVX512-BF16/AMX and TPUs,
        # mixed_float16 on GPUs, else float32 (kerasft.training.precision)
        "precision": "auto",
        "strategy": None,  # mirrored, multi_worker, tpu
        # SetFit few-shot training (text_classifier only): epochs, batch_size
        # and learning_rate then apply to the contrastive stage.
        "few_shot": False,
        "few_shot_iterations": 20,
    },
    "export": {"formats": [], "quantization": "none"},
}
# Mappings whose keys are free (task-specific); updates merge into them.
_OPEN_MAPPINGS = ("data.reader_options",)


# Keys of earlier versions: the error names their replacement.
RENAMED_KEYS = {
    "training.mixed_precision": "training.precision: auto | float32 | mixed_bfloat16 "
                                "| mixed_float16 (auto: bfloat16 where the CPU has it)",
}


def _merge(base, update, path="", task_defaults=None):
    """Merges `update` into `base`. `task_defaults` (a callable returning the
    task's extra `model:` keys) is asked only when a `model:` key is not a
    generic one, so that the common errors need no task (no TensorFlow)."""
    for key, value in update.items():
        where = f"{path}{key}"
        if key not in base and path == "model." and task_defaults is not None:
            for extra, default in task_defaults().items():
                base.setdefault(extra, copy.deepcopy(default))
        if key not in base:
            renamed = RENAMED_KEYS.get(where)
            raise ConfigError(
                f"Unknown config key. Received: {where}. "
                + (f"It was renamed: {renamed}. " if renamed else "")
                + f"Valid keys{' under ' + path[:-1] if path else ''}: "
                f"{', '.join(sorted(base))}."
            )
        if isinstance(base[key], dict) and base[key] and not isinstance(value, dict):
            raise ConfigError(
                f"Config key {where} must be a mapping. Received: {where}={value!r}."
            )
        if where in _OPEN_MAPPINGS:
            if not isinstance(value, dict):
                raise ConfigError(
                    f"Config key {where} must be a mapping. Received: {where}={value!r}."
                )
            base[key] = {**base[key], **value}
        elif isinstance(base[key], dict) and base[key]:
            _merge(base[key], value, where + ".", task_defaults)
        else:
            base[key] = value
    return base


def load_config(path=None, overrides=None):
    """Defaults, updated by the YAML file at `path`, then by `overrides`.

    TensorFlow is not imported here unless a `model:` key is not one of
    the generic ones (`dropout`, `l2`, `pooling`): then the task class is
    asked for its extra keys (`model_config_defaults`). The task's other
    defaults are added when the run starts (`add_task_model_defaults`).

    Args:
        path: str or None. A YAML file.
        overrides: dict of dotted keys -> values (`{"training.epochs": 3}`).

    Raises:
        ConfigError: unreadable YAML, unknown keys, bad values.
    """
    config = copy.deepcopy(DEFAULTS)
    loaded = {}
    if path:
        if not os.path.isfile(path):
            raise ConfigError(f"Config file not found. Received: {path!r}.")
        with open(path, "rb") as f:
            raw = f.read()
        try:
            loaded = yaml.safe_load(raw.decode("utf-8")) or {}
        except yaml.YAMLError as e:
            raise ConfigError(f"{path} is not valid YAML: {e}") from e
        except UnicodeDecodeError as e:
            line = raw.count(b"\n", 0, e.start) + 1
            raise ConfigError(
                f"{path}, line {line}: expected UTF-8 text. Received: byte "
                f"{raw[e.start:e.start + 1]!r}. Save the file as UTF-8."
            ) from e
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path} must hold a YAML mapping. Received: {type(loaded).__name__}.")
    task = (overrides or {}).get("task", loaded.get("task") or config["task"])

    def task_defaults():
        return _task_model_defaults(task)

    try:
        _merge(config, loaded, task_defaults=task_defaults)
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None
    for dotted, value in (overrides or {}).items():
        nested = value
        for part in reversed(dotted.split(".")):
            nested = {part: nested}
        _merge(config, nested, task_defaults=task_defaults)
    validate_config(config)
    return config


def _task_model_defaults(task):
    """The keys task `task` reads from `model:` beyond dropout/l2/pooling,
    with their defaults (`model_config_defaults()`); {} for an unknown task
    (reported when the run starts)."""
    if not isinstance(task, str):
        return {}
    # Imported here, not at the top: the task classes import TensorFlow, which
    # reading a config file should not wait for.
    import kerasft.tasks  # noqa: F401  (registers the tasks)
    from kerasft.tasks.saving import task_class

    try:
        return task_class(task).model_config_defaults()
    except ConfigError:
        return {}


def add_task_model_defaults(config, cls):
    """A copy of `config` whose `model:` section has every key of task
    class `cls` (`cls.model_config_defaults()`), with its default where
    unset (so `config.yaml` of a run lists them)."""
    model = copy.deepcopy(cls.model_config_defaults())
    model.update(config["model"])
    return {**config, "model": model}


def parse_override(text):
    """`"training.epochs=3"` -> `("training.epochs", 3)` (YAML-typed value)."""
    if "=" not in text:
        raise ConfigError(f"Overrides look like key=value. Received: {text!r}.")
    key, _, value = text.partition("=")
    try:
        return key.strip(), yaml.safe_load(value)
    except yaml.YAMLError as e:
        raise ConfigError(
            f"Expected a YAML value after '='. Received: {text!r}. Quote the value "
            f"(key='\"...\"') or fix it: {e}"
        ) from e


def validate_config(config):
    """Checks value types and ranges, with the rules the Python API uses
    (`kerasft.utils.arguments`); converts numeric strings to numbers."""
    training = config["training"]
    training["learning_rate"] = positive_number(training["learning_rate"],
                                                "training.learning_rate")
    training["weight_decay"] = non_negative_number(training["weight_decay"],
                                                   "training.weight_decay")
    training["warmup_ratio"] = fraction(training["warmup_ratio"], "training.warmup_ratio")
    for key in ("epochs", "batch_size", "few_shot_iterations"):
        positive_int(training[key], f"training.{key}")
    if not isinstance(training["few_shot"], bool):
        raise ConfigError(
            f"training.few_shot must be true or false. Received: "
            f"training.few_shot={training['few_shot']!r}.")
    if training["few_shot"] and config["task"] != "text_classifier":
        raise ConfigError(
            f"training.few_shot trains a text_classifier (SetFit). Received: "
            f"task={config['task']!r} with training.few_shot=true. Set task: "
            "text_classifier or remove few_shot.")
    precision(training["precision"], "training.precision")
    if not isinstance(config["sequence_length"], int) or config["sequence_length"] < 2:
        raise ConfigError(
            "sequence_length must be an integer >= 2. "
            f"Received: sequence_length={config['sequence_length']!r}."
        )
    data = config["data"]
    for key in ("train", "validation", "test"):
        paths = data[key] if isinstance(data[key], list) and data[key] else [data[key]]
        if not all(isinstance(p, str) for p in paths) and data[key] is not None:
            raise ConfigError(
                f"data.{key} must be a file path (or a list of paths). Received: "
                f"data.{key}={data[key]!r}. Quote it if YAML reads it as a number."
            )
    if not data["dataset"] and not data["train"]:
        raise ConfigError(
            "No training data. Set data.train (a CSV/TSV/JSONL file) or "
            "data.dataset (bbc_news, polarity)."
        )
    for key in ("validation_split", "test_split"):
        data[key] = fraction(data[key], f"data.{key}")
    return config


def dump_config(config, path):
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump(config, f, sort_keys=False)
