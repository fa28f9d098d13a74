"""Backs up the whole training state and resumes from it, mid-epoch."""

import math
import time

import keras
import numpy as np

from kerasft.errors import CheckpointError
from kerasft.training.backup_file import write_backup
from kerasft.training import workers

DEFAULT_BACKUP_SECONDS = 300
# Under a multi-worker strategy the workers agree whether a time-based
# backup is due (one small collective) about this often, not every step.
AGREE_SECONDS = 20
# Callback attributes that carry training progress, by class.
CALLBACK_STATE = (
    (keras.callbacks.EarlyStopping, ("wait", "stopped_epoch", "best", "best_epoch")),
    (keras.callbacks.ModelCheckpoint, ("best",)),
)


def _json_value(value):
    if value is None:
        return None
    value = np.asarray(value)
    return value.item() if value.ndim == 0 else value.tolist()


class BackupAndResume(keras.callbacks.Callback):
    """Writes the training state to `backup_dir` and restores it.

    Unlike `keras.callbacks.BackupAndRestore`, which restores weights and
    the epoch, this restores everything an uninterrupted run would have:
    model variables (with dropout seed states), optimizer variables (so the
    learning-rate schedule continues where it was), the epoch metrics
    accumulated so far, the step within the epoch (the first `step` batches
    of the resumed epoch are read and skipped, not trained on), the state
    of `EarlyStopping`/`ModelCheckpoint` callbacks (best value, wait
    counter, best weights) and the history. The data order must depend on
    the epoch only (see `kerasft.preprocessors.batching.EpochOrder`).

    `fit` must start at the backed-up epoch (`state["epoch"]`, or at the
    end when `state["stopped"]`); put this callback after all others.

    Args:
        backup_dir: str. Where `backup.npz` is written.
        interval: int or None. Steps between backups; None: every
            `DEFAULT_BACKUP_SECONDS` seconds of training. A backup is also
            written at the end of every epoch.
        resume: `(state, arrays)` read by `read_backup`, or None.
        state: dict. Extra JSON-ready state saved with every backup (the
            data seed, the run's shape).
        callbacks: the other callbacks of the `fit` call; the state of those
            listed in `CALLBACK_STATE` is saved.
    """

    def __init__(self, backup_dir, interval=None, resume=None, state=None, callbacks=()):
        super().__init__()
        self.backup_dir = backup_dir
        self.interval = interval
        self.resume = resume
        self.state = dict(state or {})
        self.stateful = [(cb, attrs) for cb in callbacks for cls, attrs in CALLBACK_STATE
                         if isinstance(cb, cls)]
        self.history = {"epoch": [], "history": {}}

    # -- restore -------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._epoch, self._step, self._saved_step = 0, 0, 0
        self._saved_time = self._agreed_time = time.monotonic()
        self._unagreed, self._agree_every = 0, 1
        self._skip, self._metrics = 0, None
        if self.resume is None:
            return
        state, arrays = self.resume
        self._assign(self.model.variables, arrays, "model")
        optimizer = self.model.optimizer
        if not optimizer.built:
            optimizer.build(self.model.trainable_variables)
        self._assign(optimizer.variables, arrays, "optimizer")
        for i, (cb, attrs) in enumerate(self.stateful):
            saved = state["callbacks"][i]
            for attr in attrs:
                setattr(cb, attr, saved[attr])
            if isinstance(cb, keras.callbacks.EarlyStopping) and saved["has_best_weights"]:
                cb.best_weights = [arrays[f"callback{i}/{j}"]
                                   for j in range(len(self.model.weights))]
        self.history = state["history"]
        self._skip = state["step"]
        if self._skip:
            self._wrap_train_function()

    def _assign(self, variables, arrays, prefix):
        saved = [k for k in arrays if k.startswith(prefix + "/")]
        if len(saved) != len(variables):
            raise CheckpointError(
                f"Expected a training backup of this model: {len(variables)} {prefix} "
                f"variables. Received: {len(saved)} in {self.backup_dir}. Delete the "
                "backup to start from scratch (CLI: --restart)."
            )
        for i, variable in enumerate(variables):
            value = arrays[f"{prefix}/{i}"]
            if tuple(value.shape) != tuple(variable.shape):
                raise CheckpointError(
                    f"Expected a training backup of this model: {prefix} variable "
                    f"{variable.path} of shape {tuple(variable.shape)}. Received: shape "
                    f"{value.shape} in {self.backup_dir}. Delete the backup to start "
                    "from scratch (CLI: --restart)."
                )
            variable.assign(value)

    def _wrap_train_function(self):
        """For the first `step` batches of the resumed epoch, reads a batch
        and returns the restored metrics instead of training."""
        model, original = self.model, self.model.train_function

        def skip_trained_batches(iterator):
            for _ in range(min(model.steps_per_execution, self._skip)):
                batch = next(iterator)
                self._skip -= 1
                if self._metrics is not None:
                    self._restore_metrics(batch)
            if self._skip == 0:
                model.train_function = original
            return model.get_metrics_result()

        model.train_function = skip_trained_batches
        self._original_train_function = original

    def _restore_metrics(self, batch):
        """Sets the epoch metrics to their backed-up values (the means over
        the batches trained before the backup); Keras reset them at the
        epoch start and builds them at the first step, so build them here."""
        if len(self.model.metrics_variables) != len(
                [k for k in self._metrics if k.startswith("metrics/")]):
            self.model._symbolic_build(data_batch=batch)
        self._assign(self.model.metrics_variables, self._metrics, "metrics")
        self._metrics = None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch, self._step, self._saved_step = epoch, 0, 0
        if self._skip and self.resume is not None:
            self._metrics = self.resume[1]
            self._step = self._saved_step = self._skip
        self.resume = None

    # -- save ----------------------------------------------------------------
    def on_train_batch_end(self, batch, logs=None):
        self._step = batch + 1
        if self._skip or self._step <= self._saved_step:
            return
        if self.interval:
            due = self._step - self._saved_step >= self.interval
        else:
            due = self._time_due(self.model.distribute_strategy)
        if due:
            self._save(self._epoch, self._step, logs)

    def _time_due(self, strategy):
        """Whether `DEFAULT_BACKUP_SECONDS` have passed since the last
        backup. Workers must agree (saving reads metrics across all of
        them), so under a multi-worker strategy they ask each other every
        `_agree_every` steps, set from the mean step time so that they
        agree about every `AGREE_SECONDS`; every worker counts the same
        steps, so all ask at the same step."""
        now = time.monotonic()
        due = now - self._saved_time >= DEFAULT_BACKUP_SECONDS
        if not workers.is_multi_worker(strategy):
            return due
        self._unagreed += 1
        if self._unagreed < self._agree_every:
            return False
        due, step_seconds = workers.agree(
            due, (now - self._agreed_time) / self._unagreed, strategy)
        self._agree_every = max(1, int(AGREE_SECONDS / max(step_seconds, 1e-3)))
        self._unagreed, self._agreed_time = 0, now
        return due

    def on_epoch_end(self, epoch, logs=None):
        self.history["epoch"].append(epoch)
        for key, value in (logs or {}).items():
            self.history["history"].setdefault(key, []).append(_json_value(value))
        self._save(epoch + 1, 0, logs)

    def _save(self, epoch, step, logs):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(np.asarray(loss))):
            return  # never back up diverged weights
        arrays = {f"model/{i}": np.asarray(v) for i, v in enumerate(self.model.variables)}
        if not all(np.isfinite(a).all() for a in arrays.values() if a.dtype.kind == "f"):
            return  # the last update diverged; the next loss will say so
        arrays.update({f"optimizer/{i}": np.asarray(v)
                       for i, v in enumerate(self.model.optimizer.variables)})
        arrays.update({f"metrics/{i}": np.asarray(v)
                       for i, v in enumerate(self.model.metrics_variables)})
        callbacks = []
        for i, (cb, attrs) in enumerate(self.stateful):
            saved = {attr: _json_value(getattr(cb, attr, None)) for attr in attrs}
            best = getattr(cb, "best_weights", None)
            saved["has_best_weights"] = best is not None
            if best is not None:
                arrays.update({f"callback{i}/{j}": w for j, w in enumerate(best)})
            callbacks.append(saved)
        state = {**self.state, "epoch": epoch, "step": step,
                 "stopped": bool(self.model.stop_training),
                 "history": self.history, "callbacks": callbacks}
        write_backup(self.backup_dir, state, arrays)
        self._saved_step, self._saved_time = step, time.monotonic()

    def on_train_end(self, logs=None):
        if getattr(self, "_original_train_function", None) is not None:
            self.model.train_function = self._original_train_function
        history = getattr(self.model, "history", None)
        if history is not None:
            history.epoch = list(self.history["epoch"])
            history.history = {k: list(v) for k, v in self.history["history"].items()}

