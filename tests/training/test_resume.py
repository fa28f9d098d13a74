"""`fit(backup_dir=...)`: a run killed mid-epoch, or while writing its
backup, resumes to the weights an uninterrupted run ends with."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from kerasft.errors import CheckpointError, ConfigError
from kerasft.training.backup_file import (
    BACKUP_FILE,
    backup_position,
    read_backup,
    write_backup,
)
from kerasft.training.training_run import TrainingRun

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(TESTS)

SCRIPT = textwrap.dedent("""
    import json, os, signal, sys
    sys.path.insert(0, sys.argv[1])
    import keras
    import numpy as np
    from helpers import toy_sentiment
    import kerasft as kft
    from kerasft.training import backup_file

    backup_dir, out = sys.argv[2], sys.argv[3]
    kill_at = os.environ.get("KILL_AT")  # "epoch:step", both counted from 1
    kill_on_write = int(os.environ.get("KILL_ON_WRITE", "0"))

    class Killer(keras.callbacks.Callback):
        epochs_run = 0

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch
            Killer.epochs_run += 1

        def on_train_batch_end(self, batch, logs=None):
            if kill_at == f"{self.epoch + 1}:{batch + 1}":
                os.kill(os.getpid(), signal.SIGKILL)

    if kill_on_write:
        commit, writes = backup_file._commit, []

        def killing_commit(tmp, path):
            writes.append(tmp)
            if len(writes) == kill_on_write:  # written and synced, not yet renamed
                os.kill(os.getpid(), signal.SIGKILL)
            commit(tmp, path)

        backup_file._commit = killing_commit

    keras.utils.set_random_seed(0)
    texts, labels = toy_sentiment()
    model = kft.TextClassifier.from_pretrained(
        "tiny-bert", labels=["neg", "pos"], sequence_length=32, dropout=0.1)
    model.compile(learning_rate=3e-3)
    history = model.fit(texts, labels, epochs=3, batch_size=8, seed=1, verbose=0,
                        validation_data=(texts[:16], labels[:16]),
                        backup_dir=backup_dir, backup_interval=2, callbacks=[Killer()])
    np.savez(out, *[np.asarray(w) for w in model.weights])
    print(json.dumps({"iterations": int(model.optimizer.iterations.numpy()),
                      "epochs_run": Killer.epochs_run,
                      "history": history.history, "epoch": history.epoch}))
""")


def train(tmp_path, name, **env):
    backup = str(tmp_path / f"{name}-backup")
    out = str(tmp_path / f"{name}.npz")
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    proc = subprocess.run(
        [sys.executable, str(script), TESTS, backup, out], capture_output=True, text=True,
        timeout=600, env={**os.environ, "PYTHONPATH": ROOT, "TF_CPP_MIN_LOG_LEVEL": "3",
                          **env})
    result = None
    if proc.returncode == 0:
        with np.load(out) as data:
            weights = [data[k] for k in data.files]
        result = {**json.loads(proc.stdout.strip().splitlines()[-1]), "weights": weights}
    return proc, backup, result


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    proc, backup, result = train(tmp_path_factory.mktemp("a"), "a")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not os.path.exists(backup)  # removed when fit completes
    return result


def assert_same_run(resumed, uninterrupted):
    assert uninterrupted["epochs_run"] == 3
    assert resumed["epochs_run"] == 2  # resumed inside epoch 2, not restarted
    assert resumed["iterations"] == uninterrupted["iterations"] == 24  # 3 epochs x 8
    assert resumed["epoch"] == uninterrupted["epoch"] == [0, 1, 2]
    for key, values in uninterrupted["history"].items():
        np.testing.assert_allclose(resumed["history"][key], values, atol=1e-5, err_msg=key)
    assert len(resumed["weights"]) == len(uninterrupted["weights"])
    for a, b in zip(resumed["weights"], uninterrupted["weights"]):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_killed_mid_epoch_resumes_to_the_same_weights(uninterrupted, tmp_path):
    proc, backup, _ = train(tmp_path, "b", KILL_AT="2:3")
    assert proc.returncode == -signal.SIGKILL
    assert backup_position(backup) == (2, 2)  # the backup of step 2 (every 2 steps)
    proc, backup, resumed = train(tmp_path, "b")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert_same_run(resumed, uninterrupted)
    assert not os.path.exists(backup)


def test_killed_while_writing_the_backup_keeps_the_previous_one(uninterrupted, tmp_path):
    # Writes: steps 2, 4, 6, 8, epoch end (5th), steps 2, 4 of epoch 2 (7th)...
    proc, backup, _ = train(tmp_path, "c", KILL_ON_WRITE="7")
    assert proc.returncode == -signal.SIGKILL
    assert any(name.startswith(".backup.npz.tmp-") for name in os.listdir(backup))
    state, arrays = read_backup(backup)  # the 6th write, intact
    assert (state["epoch"], state["step"]) == (1, 2)
    assert not any(name.startswith(".backup.npz.tmp-") for name in os.listdir(backup))
    proc, backup, resumed = train(tmp_path, "c")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert_same_run(resumed, uninterrupted)


def test_backup_interval_and_backup_errors(tmp_path):
    for bad in (0, -1, 2.5, True, "300s"):
        with pytest.raises(ConfigError, match="backup_interval"):
            TrainingRun(1, str(tmp_path), backup_interval=bad)
    (tmp_path / BACKUP_FILE).write_bytes(b"not a zip file")
    with pytest.raises(CheckpointError, match="readable training backup"):
        TrainingRun(1, str(tmp_path))
    write_backup(str(tmp_path), {"epoch": 1, "step": 0, "stopped": False, "epochs": 3,
                                 "steps_per_epoch": 8}, {})
    run = TrainingRun(2, str(tmp_path))
    with pytest.raises(CheckpointError, match="same run"):
        run.fit(lambda *a, **k: None, None, num_batches=8)
