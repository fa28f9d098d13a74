"""A training run from a config: data, fit, report and artifacts in runs/<name>/.

Everything task-specific goes through hooks of the task class
(`read_data`, `split_data`, `inputs_targets`, `task_kwargs_from_data`,
`evaluate_report`, `format_report`), so a new task needs no change here.
"""

import contextlib
import datetime
import json
import os
import time

import keras

from kerasft.errors import ConfigError, DataError, ExportError

PACKAGED_DATASETS = ("bbc_news", "polarity")


def load_splits(cls, config):
    """Returns `{"train": ..., "validation": ..., "test": ...}` for task `cls`."""
    from kerasft.data.readers import TextData

    data, seed = config["data"], config["training"]["seed"]
    if data["dataset"]:
        from kerasft import datasets

        name = data["dataset"]
        if name not in PACKAGED_DATASETS:
            raise ConfigError(
                f"Unknown packaged dataset. Received: data.dataset={name!r}. "
                f"Known: {', '.join(PACKAGED_DATASETS)}."
            )
        texts, labels = getattr(datasets, "load_" + name)()
        train = TextData(texts=texts, labels=labels, source=name)
    else:
        train = cls.read_data(data["train"], data)
    splits = {"train": train, "validation": None, "test": None}
    for split, fraction in (("test", data["test_split"]), ("validation", data["validation_split"])):
        if data.get(split):
            splits[split] = cls.read_data(data[split], data)
        elif fraction:
            splits["train"], splits[split] = cls.split_data(splits["train"], fraction, seed)
    return splits


@contextlib.contextmanager
def naming_source(data):
    """Prefixes data errors raised inside with the file they come from."""
    try:
        yield
    except DataError as e:
        source = getattr(data, "source", None)
        if source and source not in str(e):
            raise DataError(f"In {source}: {e}") from e
        raise


class EpochTimer(keras.callbacks.Callback):
    """Records wall time of each training epoch, validation excluded."""

    def on_train_begin(self, logs=None):
        self.epoch_seconds = []
        self._start = None

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def _stop(self):
        if self._start is not None:
            self.epoch_seconds.append(time.perf_counter() - self._start)
            self._start = None

    def on_test_begin(self, logs=None):
        self._stop()  # validation runs at the end of each epoch

    def on_epoch_end(self, epoch, logs=None):
        self._stop()


def train_from_config(config, overwrite=False, verbose=None):
    """Trains, evaluates and saves; returns `(run_dir, report)`.

    The run directory is written beside its final name and renamed at the
    end: a failed run leaves no half-written model behind.
    """
    from kerasft.config import dump_config
    from kerasft.evaluation.plots import plot_training_curves
    from kerasft.tasks.task import task_class
    from kerasft.utils.files import atomic_directory

    import sys

    cls = task_class(config["task"])
    training = config["training"]
    if verbose is None:  # progress bars on a terminal, one line per epoch in logs
        verbose = 1 if sys.stdout.isatty() else 2
    name = config["name"] or datetime.datetime.now().strftime("run-%Y%m%d-%H%M%S")
    run_dir = os.path.join(config["output_dir"], name)
    if os.path.exists(run_dir) and not overwrite:
        raise ConfigError(
            f"The run directory already exists. Received: {run_dir}. Pass "
            "--overwrite or choose another --name."
        )
    if not str(config["backbone"]).startswith("tiny-"):
        from kerasft.backbones.loader import resolve_source

        resolve_source(config["backbone"])  # fail on a bad name before reading data
    keras.utils.set_random_seed(training["seed"])
    if training["mixed_precision"]:
        policy = training["mixed_precision"]
        keras.mixed_precision.set_global_policy("mixed_bfloat16" if policy is True else policy)
    splits = load_splits(cls, config)
    train, val, test = splits["train"], splits["validation"], splits["test"]
    model = cls.from_pretrained(
        config["backbone"], sequence_length=config["sequence_length"],
        backbone_config=config["backbone_config"], strategy=training["strategy"],
        **cls.task_kwargs_from_data(train), **cls.task_kwargs_from_config(config["model"]))
    model.compile(learning_rate=training["learning_rate"],
                  weight_decay=training["weight_decay"],
                  warmup_ratio=training["warmup_ratio"])
    x, y = cls.inputs_targets(train)
    with atomic_directory(run_dir, overwrite=overwrite) as tmp:
        timer = EpochTimer()
        callbacks = [timer, keras.callbacks.TensorBoard(os.path.join(tmp, "logs")),
                     keras.callbacks.CSVLogger(os.path.join(tmp, "history.csv"))]
        start = time.perf_counter()
        history = model.fit(
            x, y, epochs=training["epochs"], batch_size=training["batch_size"],
            validation_data=cls.inputs_targets(val) if val else None,
            callbacks=callbacks, class_weight=training["class_weight"],
            seed=training["seed"], early_stopping_patience=training["early_stopping_patience"],
            checkpoint_dir=os.path.join(tmp, "checkpoints"), verbose=verbose)
        fit_seconds = time.perf_counter() - start
        plot_training_curves(history, os.path.join(tmp, "training_curves.png"))
        eval_split = test or val
        report = {}
        if eval_split:
            with naming_source(eval_split):
                report = model.evaluate_report(*cls.inputs_targets(eval_split), output_dir=tmp)
        train_seconds = sum(timer.epoch_seconds)
        epochs_run = len(timer.epoch_seconds)
        report["run"] = {
            "name": name,
            "evaluated_on": "test" if test else "validation",
            "eval_examples": len(eval_split) if eval_split else 0,
            "train_examples": len(train),
            "epochs_run": epochs_run,
            "train_seconds": round(train_seconds, 2),
            "fit_seconds_with_validation": round(fit_seconds, 2),
            "train_examples_per_second": round(
                len(train) * epochs_run / max(train_seconds, 1e-9), 2),
        }
        with open(os.path.join(tmp, "metrics.json"), "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2)
        if eval_split:  # explanations.html: a few examples, shaded by attribution
            from kerasft.explain.report import write_run_explanations
            write_run_explanations(model, *cls.inputs_targets(eval_split), tmp)
        dump_config({**config, "name": name}, os.path.join(tmp, "config.yaml"))
        model.save(os.path.join(tmp, "model"))
    print(cls.format_report(report))
    print(json.dumps(report["run"], indent=2))
    print(f"Run written to {run_dir}")
    return run_dir, report


def resolve_model_directory(path):
    """A saved model directory, or a run directory holding one in `model/`.

    Raises:
        ExportError: neither holds a saved model's `config.json`.
    """
    path = os.fspath(path)
    for candidate in (path, os.path.join(path, "model")):
        if os.path.isfile(os.path.join(candidate, "config.json")):
            return candidate
    raise ExportError(
        "Expected a saved kerasft model directory (config.json + weights) or a "
        f"run directory with one in `model/`. Received: model_dir={path!r}. Save "
        "the model with `model.save(dir)` or pass the run's directory."
    )


def export_from_directory(model_dir, out_dir, formats=("saved_model", "tflite", "onnx"),
                          quantization="none", **kwargs):
    """Loads a saved model (or a run's `model/`) and exports it.

    Args:
        model_dir: str. A directory written by `model.save` or a run
            directory containing `model/`.
        out_dir: str. The export directory.
        formats, quantization, **kwargs: see `kerasft.export.export_model`.

    Returns:
        dict: the export report.
    """
    from kerasft.tasks.task import load

    model = load(resolve_model_directory(model_dir))
    return model.export(out_dir, formats=formats, quantization=quantization, **kwargs)
