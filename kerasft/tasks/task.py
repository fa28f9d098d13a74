"""`Task`: backbone + head + attached preprocessor, trained on raw inputs.

A task is a functional `keras.Model` (the keras-hub `Task` pattern), so
`compile`, `fit`, `evaluate`, `predict`, callbacks and distribution work as
in Keras. What kerasft adds: `fit`/`evaluate`/`predict` accept raw texts,
`compile()` without arguments gives a sound fine-tuning recipe, validation
data switches on early stopping and best-model checkpointing, and
`save`/`kerasft.load` carry tokenizer, labels and config with the weights.
"""

import json
import os
import shutil
import tempfile

import keras
import numpy as np

from kerasft.backbones.loader import from_pretrained as load_pretrained
from kerasft.backbones.loader import max_sequence_length
from kerasft.errors import ConfigError, KerasftError
from kerasft.preprocessors.text_preprocessor import TextPreprocessor
from kerasft.tasks.inputs import is_raw_text, split_texts
from kerasft.training.optimizers import default_optimizer
from kerasft.utils.files import atomic_directory
from kerasft.version import __version__

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
_TASKS = {}
PADDINGS = ("bucket", "longest", "max_length")


def register_task(cls):
    """Class decorator: makes a task loadable by `kerasft.load`."""
    _TASKS[cls.__name__] = cls
    return keras.saving.register_keras_serializable(package="kerasft")(cls)


def task_class(name):
    """The task class for a class name (`"TextClassifier"`) or a task name
    (`"text_classifier"`)."""
    for cls in _TASKS.values():
        if name in (cls.__name__, cls.task_name):
            return cls
    raise ConfigError(
        f"Unknown task. Received: task={name!r}. Known tasks: "
        f"{', '.join(sorted(c.task_name for c in _TASKS.values()))}."
    )


class Task(keras.Model):
    """Base class of kerasft task models. Subclasses build the head."""

    task_name = "task"
    preprocessor_cls = TextPreprocessor
    # False for tasks that learn from the texts alone (language models).
    requires_targets = True

    # -- construction --------------------------------------------------------
    @classmethod
    def from_pretrained(cls, source, *, sequence_length=128, backbone_config=None,
                        strategy=None, **kwargs):
        """Builds the task on a pretrained backbone.

        Args:
            source: str or path. See `kerasft.from_pretrained`: a known name
                (`"minilm-l6"`), a Hugging Face or keras-hub directory, or an
                `hf://` / `kaggle://` handle.
            sequence_length: int. Maximum tokens per example. Defaults to 128.
            backbone_config: dict or None. Backbone config overrides, for
                example `{"num_layers": 2}`.
            strategy: None, a name (`"mirrored"`, `"multi_worker"`, `"tpu"`)
                or a `tf.distribute.Strategy`. Model and optimizer are built
                in its scope; `fit` then trains data-parallel.
            **kwargs: arguments of the task's constructor (labels, dropout...).
        """
        from kerasft.training.strategy import get_strategy

        with get_strategy(strategy).scope():
            backbone, tokenizer = load_pretrained(source, **(backbone_config or {}))
            preprocessor = cls.preprocessor_cls(
                tokenizer,
                sequence_length=sequence_length,
                input_names=list(backbone.input),
                max_sequence_length=max_sequence_length(backbone),
            )
            return cls(backbone=backbone, preprocessor=preprocessor, **kwargs)

    def _attach(self, backbone, preprocessor):
        self.backbone = backbone
        self.preprocessor = preprocessor
        self._kft_compile_args = None

    # -- task hooks (subclasses override) ------------------------------------
    def encode_targets(self, y, source=None):
        """Raw targets -> `(targets, sample_weight_or_None)`."""
        raise NotImplementedError

    def default_loss(self):
        raise NotImplementedError

    def default_metrics(self):
        return []

    def get_task_config(self):
        """Constructor arguments other than backbone and preprocessor."""
        return {}

    # -- hooks used by runs (CLI/YAML) ---------------------------------------
    @classmethod
    def read_data(cls, path, data_config, require_labels=True):
        """Reads one data file for this task (default: CSV/TSV/JSONL texts)."""
        from kerasft.data.readers import read_texts

        return read_texts(
            path, text_column=data_config["text_column"],
            label_column=data_config["label_column"] if require_labels else None,
            text_pair_column=data_config["text_pair_column"],
            encoding=data_config["encoding"], require_labels=require_labels)

    @classmethod
    def split_data(cls, data, fraction, seed):
        """Splits off `fraction` of `data`; returns `(rest, part)`."""
        from kerasft.data.splits import train_test_split

        return train_test_split(data, test_size=fraction, seed=seed)

    @classmethod
    def inputs_targets(cls, data):
        """`(x, y)` for `fit`/`evaluate_report` from what `read_data` returns."""
        x = data.texts if data.pairs is None else (data.texts, data.pairs)
        return x, data.labels

    @classmethod
    def parity_inputs(cls, x, y):
        """`(texts, labels)` for the export parity gate from `fit`-style
        `(x, y)`: texts (or `(first, second)` tuples) and labels the task's
        `ExportSpec.metric` reads."""
        if isinstance(x, tuple) and len(x) == 2:
            return list(zip(*x)), y
        return list(x), y

    @classmethod
    def task_kwargs_from_data(cls, train):
        """Constructor arguments learnt from the training data (labels...)."""
        return {}

    @classmethod
    def task_kwargs_from_config(cls, model_config):
        """Constructor arguments from a run config's `model:` section."""
        return dict(model_config)

    def _is_raw_input(self, x):
        """Whether `fit`/`evaluate`/`predict` treat `x` as raw inputs to
        preprocess (default: texts or text pairs)."""
        return is_raw_text(x)

    @staticmethod
    def format_report(report):
        return json.dumps(report, indent=2, default=str)

    def predict_records(self, x, batch_size=32):
        """JSON-ready predictions, one dict per input (used by the CLI)."""
        raise NotImplementedError

    # -- data ----------------------------------------------------------------
    def _features(self, x, name="x", progress=True):
        texts, pairs = split_texts(x, name)
        return self.preprocessor.encode(texts, pairs, progress=progress)

    def make_dataset(self, x, y=None, batch_size=32, shuffle=False, seed=None,
                     padding="bucket", sample_weight=None, name="x"):
        """Raw inputs (and targets) -> `(tf.data.Dataset, num_batches)`.

        Args:
            padding: `"bucket"` (group by length, pad each batch to its
                longest member), `"longest"` (pad each batch to its longest
                member, no grouping) or `"max_length"` (pad everything to
                `sequence_length`, the classic fixed shape).
        """
        if padding not in PADDINGS:
            raise ConfigError(
                f"`padding` must be one of {PADDINGS}. Received: padding={padding!r}"
            )
        features = self._features(x, name)
        targets = None
        if y is not None:
            targets, weights = self.encode_targets(y)
            n = len(features["token_ids"])
            if len(targets) != n:
                raise KerasftError(
                    f"Found input variables with inconsistent numbers of "
                    f"samples. Received: {n} texts and {len(targets)} targets."
                )
            if sample_weight is None:
                sample_weight = weights
        return self.preprocessor.make_dataset(
            features, targets, sample_weight, batch_size=batch_size,
            shuffle=shuffle, seed=seed, bucket=padding == "bucket",
            pad_multiple=self.preprocessor.sequence_length if padding == "max_length" else 8,
        )

    # -- Keras API -----------------------------------------------------------
    def compile(self, optimizer="auto", loss="auto", metrics="auto",
                learning_rate=5e-5, weight_decay=0.01, warmup_ratio=0.1, **kwargs):
        """Configures training; with no arguments, kerasft's recipe.

        Args:
            optimizer: `"auto"` or any Keras optimizer. `"auto"` is AdamW
                with linear warmup then linear decay over the steps `fit`
                plans, and no weight decay on LayerNorm weights and biases.
            loss: `"auto"` (the task's loss) or any Keras loss.
            metrics: `"auto"` (the task's metrics) or any Keras metrics.
            learning_rate: float. Peak rate of the `"auto"` optimizer.
            weight_decay: float. Weight decay of the `"auto"` optimizer.
            warmup_ratio: float. Fraction of steps spent warming up.
            **kwargs: passed to `keras.Model.compile`.
        """
        self._kft_compile_args = dict(
            optimizer=optimizer, loss=loss, metrics=metrics,
            learning_rate=learning_rate, weight_decay=weight_decay,
            warmup_ratio=warmup_ratio, kwargs=kwargs,
        )
        self._compile_for_steps(1)

    def _compile_for_steps(self, total_steps):
        args = self._kft_compile_args
        optimizer = args["optimizer"]
        if isinstance(optimizer, str) and optimizer == "auto":
            with self.distribute_strategy.scope():
                optimizer = default_optimizer(
                    total_steps, args["learning_rate"], args["weight_decay"],
                    args["warmup_ratio"],
                )
        loss = self.default_loss() if args["loss"] == "auto" else args["loss"]
        metrics = self.default_metrics() if args["metrics"] == "auto" else args["metrics"]
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **args["kwargs"])

    def fit(self, x=None, y=None, *, batch_size=32, epochs=1, validation_data=None,
            callbacks=None, class_weight=None, sample_weight=None, shuffle=True,
            seed=None, early_stopping_patience=2, checkpoint_dir=None, padding="bucket",
            **kwargs):
        """Trains on raw texts (or on a `tf.data.Dataset`, as in Keras).

        Args:
            x: raw texts, sentence pairs, or anything `keras.Model.fit` takes.
            y: targets (label names or ids for classifiers).
            batch_size: int. Defaults to 32.
            epochs: int. Defaults to 1.
            validation_data: `(x_val, y_val)` of raw texts, or a dataset.
                Turns on EarlyStopping on `val_loss` (restoring the best
                weights) and best-model checkpointing.
            callbacks: list of Keras callbacks, added to the defaults.
            class_weight: `"balanced"`, a dict label -> weight, or None.
            shuffle: bool. Reshuffle the training data every epoch.
            seed: int or None. Shuffling seed.
            early_stopping_patience: int or None. Epochs without validation
                improvement before stopping; None disables early stopping.
            checkpoint_dir: str or None. Where the best weights are written
                (`best.weights.h5`); a temporary directory when None.
            padding: `"bucket"` (default), `"longest"` or `"max_length"`;
                see `make_dataset`.

        Returns:
            A Keras `History`.
        """
        if not self._is_raw_input(x):
            if self._kft_compile_args is None:
                self.compile()
            return super().fit(x, y, batch_size=batch_size, epochs=epochs,
                               validation_data=validation_data, callbacks=callbacks,
                               class_weight=class_weight, sample_weight=sample_weight,
                               shuffle=shuffle, **kwargs)
        if y is None and self.requires_targets:
            raise KerasftError("`fit` on raw texts needs targets. Received: y=None.")
        self._class_weight = class_weight
        try:
            train, steps = self.make_dataset(x, y, batch_size=batch_size, shuffle=shuffle,
                                             seed=seed, sample_weight=sample_weight,
                                             padding=padding)
        finally:
            self._class_weight = None
        val = None
        callbacks = list(callbacks or [])
        if validation_data is not None:
            if self._is_raw_input(validation_data[0]):
                val, _ = self.make_dataset(validation_data[0], validation_data[1],
                                           batch_size=batch_size, name="validation x")
            else:
                val = validation_data
            if early_stopping_patience is not None:
                callbacks.append(keras.callbacks.EarlyStopping(
                    monitor="val_loss", patience=early_stopping_patience,
                    restore_best_weights=True))
            checkpoint_dir = checkpoint_dir or tempfile.mkdtemp(prefix="kerasft-ckpt-")
            os.makedirs(checkpoint_dir, exist_ok=True)
            self.best_checkpoint_ = os.path.join(checkpoint_dir, "best.weights.h5")
            callbacks.append(keras.callbacks.ModelCheckpoint(
                self.best_checkpoint_, monitor="val_loss", save_best_only=True,
                save_weights_only=True))
        if self._kft_compile_args is None:
            self.compile()
        self._compile_for_steps(steps * epochs)
        return super().fit(train, epochs=epochs, validation_data=val, shuffle=False,
                           callbacks=callbacks, **kwargs)

    def evaluate(self, x=None, y=None, batch_size=32, **kwargs):
        """Keras `evaluate`, also on raw texts and targets."""
        if self._is_raw_input(x):
            ds, _ = self.make_dataset(x, y, batch_size=batch_size)
            return super().evaluate(ds, **kwargs)
        return super().evaluate(x, y, batch_size=batch_size, **kwargs)

    def predict(self, x, batch_size=32, **kwargs):
        """Keras `predict`, also on raw texts (outputs in input order)."""
        if not self._is_raw_input(x):
            return super().predict(x, batch_size=batch_size, **kwargs)
        features = self._features(x)
        order = np.argsort([len(t) for t in features["token_ids"]], kind="stable")
        ordered = {k: [v[i] for i in order] for k, v in features.items()}
        ds, _ = self.preprocessor.make_dataset(ordered, batch_size=batch_size, bucket=False,
                                               pad_multiple=32)
        kwargs.setdefault("verbose", 0)
        out = super().predict(ds, **kwargs)
        inverse = np.empty_like(order)
        inverse[order] = np.arange(len(order))
        if isinstance(out, dict):
            return {k: v[inverse] for k, v in out.items()}
        return out[inverse]

    # -- saving --------------------------------------------------------------
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

    def save(self, directory, overwrite=False):
        """Writes weights, tokenizer, labels and config to `directory`.

        The directory is written beside its final name and renamed at the
        end, so a failure leaves nothing half-written. Reload with
        `kerasft.load(directory)`.
        """
        with atomic_directory(directory, overwrite=overwrite) as tmp:
            config = {
                "kerasft_version": __version__,
                "task": type(self).__name__,
                "task_config": self.get_task_config(),
                "backbone": keras.saving.serialize_keras_object(self.backbone),
            }
            with open(os.path.join(tmp, CONFIG_FILE), "w", encoding="utf-8") as f:
                json.dump(config, f, indent=2, default=str)
            self.preprocessor.save(tmp)
            self.save_extras(tmp)
            self.save_weights(os.path.join(tmp, WEIGHTS_FILE))
        return directory

    def save_extras(self, directory):
        """Hook for task files (label vocabulary...)."""

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
        from kerasft.export import export_model

        return export_model(self, directory, formats=formats,
                            quantization=quantization, **kwargs)


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


