"""The resume backup on disk: one `.npz` file, replaced atomically.

The file holds arrays (model, optimizer and metric variables, best weights)
and a JSON `state` (epoch, step, seed, history, callback states). It is
written beside its final name, flushed to disk and renamed over the old
one, so a kill at any moment leaves the previous backup or the new one,
never a partial file.
"""

import glob
import json
import os

import numpy as np

from kerasft.errors import CheckpointError

BACKUP_FILE = "backup.npz"
STATE_KEY = "__state__"
_TMP_PREFIX = ".backup.npz.tmp-"


def _commit(tmp, path):
    """Moves the finished temporary file onto `path` (the atomic step)."""
    os.replace(tmp, path)
    fd = os.open(os.path.dirname(path), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_backup(directory, state, arrays):
    """Atomically writes `state` (JSON-ready dict) and `arrays` (dict of
    name -> numpy array) to `directory/backup.npz`."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, BACKUP_FILE)
    tmp = os.path.join(directory, f"{_TMP_PREFIX}{os.getpid()}")
    with open(tmp, "wb") as f:
        np.savez(f, **arrays, **{STATE_KEY: np.array(json.dumps(state))})
        f.flush()
        os.fsync(f.fileno())
    _commit(tmp, path)


def read_backup(directory):
    """`(state, arrays)` from `directory/backup.npz`, or None when there is
    no backup. Leftovers of interrupted writes are deleted.

    Raises:
        CheckpointError: the file exists but cannot be read.
    """
    for leftover in glob.glob(os.path.join(glob.escape(directory), _TMP_PREFIX + "*")):
        os.remove(leftover)
    return _load(directory, with_arrays=True)


def _load(directory, with_arrays):
    """`(state, arrays)` from `directory/backup.npz` (arrays None unless
    `with_arrays`), or None when there is no backup."""
    path = os.path.join(directory, BACKUP_FILE)
    if not os.path.isfile(path):
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            state = json.loads(str(data[STATE_KEY]))
            arrays = ({k: data[k] for k in data.files if k != STATE_KEY}
                      if with_arrays else None)
    except (OSError, ValueError, KeyError) as e:
        raise CheckpointError(
            f"Expected a readable training backup. Received: {path} ({type(e).__name__}: "
            f"{e}). Delete it to start training from scratch (CLI: --restart)."
        ) from e
    return state, arrays


def remove_backup(directory):
    """Deletes the backup file (and `directory` when that leaves it empty)."""
    path = os.path.join(directory, BACKUP_FILE)
    if os.path.exists(path):
        os.remove(path)
    try:
        os.rmdir(directory)
    except OSError:
        pass


def backup_position(directory):
    """`(epoch, step)` a run would resume from (epoch counted from 1), or
    None when `directory` holds no backup. Reads the state only, not the
    arrays."""
    loaded = _load(directory, with_arrays=False)
    if loaded is None:
        return None
    state = loaded[0]
    return state["epoch"] + 1, state["step"]
