"""A training run from a config: data, fit, report and artifacts in runs/<name>/.

Everything task-specific goes through hooks of the task class
(`read_data`, `split_data`, `inputs_targets`, `task_kwargs_from_data`,
`evaluate_report`, `format_report`), so a new task needs no change here.
"""

import contextlib
import datetime
import json
import os
import sys
import tempfile
import time

from kerasft.errors import ConfigError, DataError, ExportError
from kerasft.utils.cluster import is_chief_process
from kerasft.utils.run_claim import BACKUP, in_progress_directory, run_directory

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


def train_from_config(config, overwrite=False, verbose=None, restart=False, start=None):
    """Trains, evaluates and saves; returns `(run_dir, report)`.

    The run is written into `<output_dir>/.<name>.inprogress/`, claimed by
    this process for its duration (`kerasft.utils.run_claim`), and renamed
    to `<output_dir>/<name>` at the end: a failed run leaves no half-written
    model behind, and a killed one leaves its resume state (`backup/`) for
    the next run of that name.

    Args:
        config: dict. A config from `kerasft.config.load_config`.
        overwrite: bool. Replace a finished run of that name (at the end).
        verbose: int or None. Keras `fit` verbosity; defaults to progress
            bars on a terminal, one line per epoch otherwise.
        restart: bool. Discard the in-progress state of an interrupted run
            of that name instead of resuming it.
        start: callable or None. Called once the run is claimed, before
            TensorFlow is imported (the CLI imports it quietly there).

    Raises:
        ConfigError: the run exists (without `overwrite`) or another live
            process is writing that name.
    """
    if verbose is None:  # progress bars on a terminal, one line per epoch in logs
        verbose = 1 if sys.stdout.isatty() else 2
    name = config["name"] or datetime.datetime.now().strftime("run-%Y%m%d-%H%M%S")
    run_dir = os.path.join(config["output_dir"], name)
    # Claimed before TensorFlow is imported: a second run of that name fails at once.
    # A non-chief worker of a multi-worker run trains the same but writes into scratch.
    claim = (run_directory(config["output_dir"], name, overwrite=overwrite, restart=restart)
             if is_chief_process() else tempfile.TemporaryDirectory(prefix="kerasft-worker-"))
    with claim as tmp:
        if start is not None:
            start()
        from kerasft.config import add_task_model_defaults
        from kerasft.tasks.task import task_class

        cls = task_class(config["task"])
        config = add_task_model_defaults({**config, "name": name}, cls)
        if not str(config["backbone"]).startswith("tiny-"):
            from kerasft.backbones.loader import resolve_source
            from kerasft.backbones.validation import validate_checkpoint

            # a bad name or a checkpoint whose config contradicts its weights
            # fails before any data is read or memory allocated
            validate_checkpoint(resolve_source(config["backbone"]))
        report = _train_into(tmp, cls, config, verbose)
    print(cls.format_report(report))
    print(json.dumps(report["run"], indent=2))
    print(f"Run written to {run_dir}")
    return run_dir, report


def _train_into(tmp, cls, config, verbose):
    """Reads the data, trains, evaluates and writes the run into `tmp`
    (the claimed in-progress directory); returns the report."""
    import keras

    from kerasft.config import dump_config
    from kerasft.evaluation.plots import plot_training_curves
    from kerasft.training.backup_file import backup_position
    from kerasft.training.epoch_timer import EpochTimer

    training, name = config["training"], config["name"]
    keras.utils.set_random_seed(training["seed"])
    splits = load_splits(cls, config)
    train, val, test = splits["train"], splits["validation"], splits["test"]
    model = cls.from_pretrained(
        config["backbone"], sequence_length=config["sequence_length"],
        backbone_config=config["backbone_config"], strategy=training["strategy"],
        **cls.task_kwargs_from_data(train), **cls.task_kwargs_from_config(config["model"]))
    model.compile(learning_rate=training["learning_rate"],
                  weight_decay=training["weight_decay"],
                  warmup_ratio=training["warmup_ratio"], precision=training["precision"])
    x, y = cls.inputs_targets(train)
    # the chief's: every worker of a multi-worker run resumes from it
    backup_dir = os.path.join(in_progress_directory(config["output_dir"], name), BACKUP)
    position = backup_position(backup_dir)
    if position:
        print(f"Resuming run {name} from epoch {position[0]} step {position[1]}")
    timer = EpochTimer()
    # append: rows written before a kill stay (the resumed epochs follow them)
    callbacks = [timer, keras.callbacks.TensorBoard(os.path.join(tmp, "logs")),
                 keras.callbacks.CSVLogger(os.path.join(tmp, "history.csv"), append=True)]
    start = time.perf_counter()
    if training["few_shot"]:  # SetFit: contrastive stage, then a logistic-regression head
        history = model.fit_few_shot(
            x, y, num_iterations=training["few_shot_iterations"], epochs=training["epochs"],
            batch_size=training["batch_size"], learning_rate=training["learning_rate"],
            seed=training["seed"], callbacks=callbacks, verbose=verbose)
    else:
        history = model.fit(
            x, y, epochs=training["epochs"], batch_size=training["batch_size"],
            validation_data=cls.inputs_targets(val) if val else None,
            callbacks=callbacks, class_weight=training["class_weight"],
            seed=training["seed"], early_stopping_patience=training["early_stopping_patience"],
            checkpoint_dir=os.path.join(tmp, "checkpoints"), verbose=verbose,
            backup_dir=backup_dir)
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

        try:
            write_run_explanations(model, *cls.inputs_targets(eval_split), tmp)
        except Exception as e:  # an extra of the report must not lose a trained run
            print(f"warning: explanations.html not written ({type(e).__name__}: {e}); "
                  f"the run is complete. Try `kerasft explain RUN_DIR TEXT`.",
                  file=sys.stderr)
    dump_config(config, os.path.join(tmp, "config.yaml"))
    model.save(os.path.join(tmp, "model"))
    return report


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
