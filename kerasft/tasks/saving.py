"""Which task class a saved model is, and loading it: `register_task`,
`task_class`, `load`."""

import json
import os

import keras

from kerasft.errors import ConfigError

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
_TASKS = {}


def register_task(cls):
    """Class decorator: makes a task loadable by `kerasft.load` and by its
    `task:` name in run configs."""
    _TASKS[cls.__name__] = cls
    return keras.saving.register_keras_serializable(package="kerasft")(cls)


def task_class(name):
    """The task class for a class name (`"TextClassifier"`) or a task name
    (`"text_classifier"`).

    Raises:
        ConfigError: no registered task has that name.
    """
    for cls in _TASKS.values():
        if name in (cls.__name__, cls.task_name):
            return cls
    raise ConfigError(
        f"Unknown task. Received: task={name!r}. Known tasks: "
        f"{', '.join(sorted(c.task_name for c in _TASKS.values()))}."
    )


def load(directory):
    """Loads a task model saved with `Task.save`.

    Raises:
        ConfigError: the directory is not a saved kerasft model.
    """
    path = os.path.join(directory, CONFIG_FILE)
    if not os.path.isfile(path) or not os.path.isfile(os.path.join(directory, WEIGHTS_FILE)):
        raise ConfigError(
            f"{directory} is not a saved kerasft model: expected {CONFIG_FILE} and "
            f"{WEIGHTS_FILE}. Save one with `model.save(directory)`."
        )
    with open(path, encoding="utf-8") as f:
        config = json.load(f)
    cls = task_class(config.get("task"))
    backbone = keras.saving.deserialize_keras_object(config["backbone"])
    preprocessor = cls.preprocessor_cls.load(directory)
    model = cls(backbone=backbone, preprocessor=preprocessor, **config["task_config"])
    model.load_weights(os.path.join(directory, WEIGHTS_FILE))
    return model
