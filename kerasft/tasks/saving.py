"""Which task class a saved model is, saving and loading it:
`register_task`, `task_class`, `save_task`, `load`.

A saved model is for inference: config, tokenizer, task files and the
model's weights, without optimizer state (that lives only in the resume
backup of `fit(backup_dir=...)`).
"""

import json
import os

import keras
import numpy as np
from keras.src.saving import saving_lib

from kerasft.errors import ConfigError, NonFiniteError
from kerasft.export import export_model
from kerasft.utils.files import atomic_directory

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


def check_finite(model, where):
    """Raises `NonFiniteError` naming the first weight with NaN or Inf.

    Args:
        model: a Keras model.
        where: str. What the weights are, for the message.
    """
    for variable in model.weights:
        value = np.asarray(variable)
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            raise NonFiniteError(
                f"Expected finite weights in {where}. Received: NaN or Inf in "
                f"{variable.path} (shape {tuple(value.shape)}). The model diverged during "
                "training: retrain with a lower learning rate, float32 instead of mixed "
                "precision, or gradient clipping."
            )


def _optimizer(model):
    optimizer = getattr(model, "optimizer", None)
    return [optimizer] if optimizer is not None else []


def save_weights(model, filepath):
    """Writes the model's weights to a `.weights.h5` file, without the
    optimizer state `keras.Model.save_weights` adds once compiled."""
    saving_lib.save_weights_only(model, filepath, objects_to_skip=_optimizer(model))


def load_weights(model, filepath, skip_mismatch=False):
    """Reads weights written by `save_weights`, or by `keras.Model.save_weights`
    (optimizer state in the file is ignored)."""
    saving_lib.load_weights_only(model, filepath, skip_mismatch=skip_mismatch,
                                 objects_to_skip=_optimizer(model))


class TaskSaving:
    """`Task`'s saving methods: Keras config, `export`, `save`, and `save_weights`/`load_weights`
    without optimizer state (so ModelCheckpoint and `save` write weights
    only; files that carry optimizer state still load)."""

    def get_config(self):
        return {
            "backbone": keras.saving.serialize_keras_object(self.backbone),
            **self.get_task_config(),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["backbone"] = keras.saving.deserialize_keras_object(config["backbone"])
        return cls(**config)

    def export(self, directory, formats=("saved_model", "tflite", "onnx"),
               quantization="none", **kwargs):
        """Exports to SavedModel, TFLite and/or ONNX, gated on parity.

        A call with Keras' own `format=` argument goes to `keras.Model.export`
        unchanged.

        A thin call to `kerasft.export.export_model`; see it for the
        arguments (held-out `texts`/`labels` for the parity gate,
        `thresholds`, `sequence_length`, `overwrite`, ...).

        Returns:
            dict: the export report (also in `export_report.json`).
        """
        if "format" in kwargs:
            return super().export(directory, **kwargs)
        return export_model(self, directory, formats=formats,
                            quantization=quantization, **kwargs)

    def save(self, directory, overwrite=False):
        """Writes weights, tokenizer, labels and config to `directory`.

        Written beside its final name and renamed at the end: a failure
        leaves nothing half-written. Weights only, no optimizer state (a
        saved model is for inference; resume with `fit(backup_dir=...)`).
        Reload with `kerasft.load(directory)`.

        Raises:
            NonFiniteError: a weight holds NaN or Inf (names it).
        """
        return save_task(self, directory, overwrite=overwrite)

    def save_weights(self, filepath, overwrite=True, max_shard_size=None):
        """Keras `save_weights`, without optimizer state."""
        if max_shard_size is not None:
            return super().save_weights(filepath, overwrite, max_shard_size)
        return save_weights(self, filepath)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Keras `load_weights`; optimizer state in the file is ignored."""
        if kwargs or not os.fspath(filepath).endswith(".weights.h5"):
            return super().load_weights(filepath, skip_mismatch=skip_mismatch, **kwargs)
        return load_weights(self, filepath, skip_mismatch=skip_mismatch)


def save_task(model, directory, overwrite=False):
    """Writes config, tokenizer, task files and weights to `directory`
    (see `Task.save`).

    Raises:
        NonFiniteError: a weight holds NaN or Inf (nothing is written).
    """
    check_finite(model, "the model to save")
    with atomic_directory(directory, overwrite=overwrite) as tmp:
        from kerasft.version import __version__

        config = {
            "kerasft_version": __version__,
            "task": type(model).__name__,
            "task_config": model.get_task_config(),
            "backbone": keras.saving.serialize_keras_object(model.backbone),
        }
        with open(os.path.join(tmp, CONFIG_FILE), "w", encoding="utf-8") as f:
            json.dump(config, f, indent=2, default=str)
        model.preprocessor.save(tmp)
        model.save_extras(tmp)
        model.save_parity_texts(tmp)
        model.save_weights(os.path.join(tmp, WEIGHTS_FILE))
    return directory


def load(directory, safe_mode=True):
    """Loads a task model saved with `Task.save`.

    Args:
        directory: str. A directory written by `Task.save`.
        safe_mode: bool. Refuse to deserialize Python code (lambdas) found
            in the config. Pass False only for models from a source you
            trust: loading may then run arbitrary code. Defaults to True.

    Raises:
        ConfigError: the directory is not a saved kerasft model.
        NonFiniteError: the weights file holds NaN or Inf.
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
    backbone = keras.saving.deserialize_keras_object(config["backbone"], safe_mode=safe_mode)
    preprocessor = cls.preprocessor_cls.load(directory)
    model = cls(backbone=backbone, preprocessor=preprocessor, **config["task_config"])
    weights = os.path.join(directory, WEIGHTS_FILE)
    model.load_weights(weights)
    check_finite(model, weights)
    model.load_parity_texts(directory)
    return model
