"""What `Task.fit` adds around `keras.Model.fit`: resuming from a backup,
stopping at a non-finite loss, and no temporary files left behind."""

import os
import shutil
import tempfile

import numpy as np

from kerasft.errors import CheckpointError, ConfigError
from kerasft.preprocessors.batching import EpochOrder
from kerasft.training.backup_and_resume import BackupAndResume
from kerasft.training.backup_file import read_backup, remove_backup
from kerasft.training.non_finite_loss import StopOnNonFiniteLoss
from kerasft.training.workers import is_chief

BEST_SUBDIR = "best"


def check_backup_interval(backup_interval):
    """Validates `fit`'s `backup_interval` (None or an int >= 1)."""
    if backup_interval is None:
        return
    if isinstance(backup_interval, bool) or not isinstance(backup_interval, int) or (
            backup_interval < 1):
        raise ConfigError(
            "Expected `backup_interval` to be a number of steps >= 1, or None (every "
            f"5 minutes). Received: backup_interval={backup_interval!r}."
        )


class TrainingRun:
    """The plumbing of one `Task.fit` call.

    Args:
        epochs: int. The `epochs` of `fit`.
        backup_dir: str or None. Where the resume backup lives: when it holds
            one, training resumes from it; otherwise one is written as
            training goes (every `backup_interval` steps and at each epoch
            end) and deleted when `fit` returns.
        backup_interval: int or None. Steps between backups; None: every
            5 minutes of training.
        seed: int or None. Data-order seed; None: the backup's, or a draw
            from NumPy's global generator (seeded by
            `keras.utils.set_random_seed`).
        strategy: the model's `tf.distribute.Strategy`, or None. Under a
            multi-worker strategy every worker reads the backup, but only
            the chief writes files (backup, best weights); the others write
            into scratch directories deleted when `fit` returns.
    """

    def __init__(self, epochs, backup_dir=None, backup_interval=None, seed=None,
                 strategy=None):
        check_backup_interval(backup_interval)
        self.chief = is_chief(strategy)
        self.epochs = epochs
        self.backup_dir = os.fspath(backup_dir) if backup_dir is not None else None
        self.backup_interval = backup_interval
        self.backup = read_backup(self.backup_dir) if self.backup_dir else None
        state = self.backup[0] if self.backup else {}
        if seed is None:
            seed = state.get("seed", int(np.random.randint(2**31 - 1)))
        self.seed = int(seed)
        self.initial_epoch = 0
        if self.backup:
            self.initial_epoch = epochs if state["stopped"] else state["epoch"]
        self._temporary = []

    def epoch_order(self):
        """The `shuffle=` of a training stream resuming at the right epoch."""
        return EpochOrder(self.seed, self.initial_epoch, self.epochs)

    def checkpoint_dir(self, checkpoint_dir=None):
        """Where best weights go: `checkpoint_dir`, else inside the backup
        directory, else a temporary directory deleted when `fit` returns."""
        if checkpoint_dir and self.chief:
            return checkpoint_dir
        if self.backup_dir and self.chief:
            return os.path.join(self.backup_dir, BEST_SUBDIR)
        directory = tempfile.mkdtemp(prefix="kerasft-ckpt-")
        self._temporary.append(directory)
        return directory

    def fit(self, keras_fit, x, *, callbacks=(), num_batches=None, **kwargs):
        """Calls `keras_fit(x, ...)` with the resume and non-finite-loss
        callbacks; returns its History (with the epochs before the resume).

        Args:
            keras_fit: `keras.Model.fit`, bound.
            x: the training data.
            callbacks: the other callbacks.
            num_batches: int or None. Batches per epoch, when known
                (checked against the backup).
            **kwargs: passed to `keras_fit`.

        Raises:
            CheckpointError: the backup was written by a run of another
                shape (epochs, batches per epoch).
        """
        shape = {"epochs": self.epochs, "steps_per_epoch": num_batches}
        callbacks = [StopOnNonFiniteLoss(), *callbacks]
        if self.backup:
            saved = {k: self.backup[0].get(k) for k in shape}
            if saved != shape:
                raise CheckpointError(
                    f"Expected the training backup in {self.backup_dir} to come from the "
                    f"same run: {shape}. Received: {saved}. Delete the backup to start "
                    "from scratch (CLI: --restart), or train as before."
                )
        else:
            self.initial_epoch = kwargs.pop("initial_epoch", 0)
        if self.backup_dir:
            write_dir = self.backup_dir if self.chief else tempfile.mkdtemp(
                prefix="kerasft-backup-")
            self._temporary += [] if self.chief else [write_dir]
            callbacks.append(BackupAndResume(
                write_dir, self.backup_interval, resume=self.backup,
                state={**shape, "seed": self.seed}, callbacks=callbacks))
        try:
            history = keras_fit(x, epochs=self.epochs, initial_epoch=self.initial_epoch,
                                callbacks=callbacks, **kwargs)
        finally:
            for directory in self._temporary:
                shutil.rmtree(directory, ignore_errors=True)
        if self.backup_dir and self.chief:
            shutil.rmtree(os.path.join(self.backup_dir, BEST_SUBDIR), ignore_errors=True)
            remove_backup(self.backup_dir)
        return history
