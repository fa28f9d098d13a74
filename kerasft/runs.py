"""A training run from a config: data, fit, report and artifacts in runs/<name>/."""

import datetime
import json
import os
import time

import keras

from kerasft.errors import ConfigError

PACKAGED_DATASETS = ("bbc_news", "polarity")


def _read(path, data, require_labels=True):
    from kerasft.data.readers import read_texts

    return read_texts(
        path, text_column=data["text_column"], label_column=data["label_column"],
        text_pair_column=data["text_pair_column"], encoding=data["encoding"],
        require_labels=require_labels,
    )


def load_splits(config):
    """Returns `{"train": TextData, "validation": ..., "test": ...}`."""
    from kerasft.data.readers import TextData
    from kerasft.data.splits import train_test_split

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
        train = _read(data["train"], data)
    splits = {"train": train, "validation": None, "test": None}
    for split, fraction in (("test", data["test_split"]), ("validation", data["validation_split"])):
        if data.get(split):
            splits[split] = _read(data[split], data)
        elif fraction:
            splits["train"], splits[split] = train_test_split(
                splits["train"], test_size=fraction, seed=seed)
    return splits


class EpochTimer(keras.callbacks.Callback):
    """Records wall time of each training epoch (validation excluded)."""

    def on_train_begin(self, logs=None):
        self.epoch_seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_test_begin(self, logs=None):
        # Fit calls validation at epoch end; stop the clock there.
        if hasattr(self, "_start") and self._start is not None:
            self.epoch_seconds.append(time.perf_counter() - self._start)
            self._start = None

    def on_epoch_end(self, epoch, logs=None):
        if self._start is not None:
            self.epoch_seconds.append(time.perf_counter() - self._start)
            self._start = None


def build_task(config, labels):
    from kerasft.tasks.task import task_class

    cls = task_class(config["task"])
    return cls.from_pretrained(
        config["backbone"], sequence_length=config["sequence_length"],
        backbone_config=config["backbone_config"], labels=labels, **config["model"])


def train_from_config(config, overwrite=False, verbose="auto"):
    """Runs training, evaluation and saving; returns the run directory."""
    from kerasft.data.label_vocabulary import LabelVocabulary
    from kerasft.evaluation.classification import format_report
    from kerasft.evaluation.plots import plot_training_curves
    from kerasft.utils.files import atomic_directory
    from kerasft.config import dump_config

    training = config["training"]
    name = config["name"] or datetime.datetime.now().strftime("run-%Y%m%d-%H%M%S")
    run_dir = os.path.join(config["output_dir"], name)
    if os.path.exists(run_dir) and not overwrite:
        raise ConfigError(
            f"The run directory already exists. Received: {run_dir}. Pass "
            "--overwrite or choose another --name."
        )
    keras.utils.set_random_seed(training["seed"])
    if training["mixed_precision"]:
        keras.mixed_precision.set_global_policy(
            "mixed_bfloat16" if training["mixed_precision"] is True else training["mixed_precision"])
    splits = load_splits(config)
    train, val, test = splits["train"], splits["validation"], splits["test"]
    labels = LabelVocabulary.from_labels(train.labels).labels
    model = build_task(config, labels)
    model.compile(learning_rate=training["learning_rate"],
                  weight_decay=training["weight_decay"],
                  warmup_ratio=training["warmup_ratio"])
    x = train.texts if train.pairs is None else (train.texts, train.pairs)

    def as_x(d):
        return d.texts if d.pairs is None else (d.texts, d.pairs)

    with atomic_directory(run_dir, overwrite=overwrite) as tmp:
        timer = EpochTimer()
        callbacks = [timer, keras.callbacks.TensorBoard(os.path.join(tmp, "logs")),
                     keras.callbacks.CSVLogger(os.path.join(tmp, "history.csv"))]
        start = time.perf_counter()
        history = model.fit(
            x, train.labels, epochs=training["epochs"], batch_size=training["batch_size"],
            validation_data=(as_x(val), val.labels) if val else None,
            callbacks=callbacks, class_weight=training["class_weight"],
            seed=training["seed"], early_stopping_patience=training["early_stopping_patience"],
            checkpoint_dir=os.path.join(tmp, "checkpoints"), verbose=verbose)
        fit_seconds = time.perf_counter() - start
        plot_training_curves(history, os.path.join(tmp, "training_curves.png"))
        eval_split = test or val
        report = model.evaluate_report(as_x(eval_split), eval_split.labels, output_dir=tmp) \
            if eval_split else {}
        train_seconds = sum(timer.epoch_seconds)
        epochs_run = len(timer.epoch_seconds)
        report["run"] = {
            "name": name,
            "evaluated_on": "test" if test else "validation",
            "train_examples": len(train),
            "epochs_run": epochs_run,
            "train_seconds": round(train_seconds, 2),
            "fit_seconds_with_validation": round(fit_seconds, 2),
            "train_examples_per_second": round(len(train) * epochs_run / max(train_seconds, 1e-9), 2),
        }
        with open(os.path.join(tmp, "metrics.json"), "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2)
        dump_config({**config, "name": name}, os.path.join(tmp, "config.yaml"))
        model.save(os.path.join(tmp, "model"))
    print(format_report(report))
    print(json.dumps(report["run"], indent=2))
    print(f"Run written to {run_dir}")
    return run_dir, report
