"""Filesystem helpers: nothing half-written under a final name."""

import contextlib
import os
import shutil
import tempfile

from kerasft.errors import ConfigError


def check_writable_parent(directory):
    parent = os.path.dirname(os.path.abspath(directory)) or "."
    try:
        os.makedirs(parent, exist_ok=True)
    except OSError as e:
        raise ConfigError(
            f"Cannot create the output directory's parent {parent}: {e}. "
            "Choose a writable location."
        ) from e
    if not os.access(parent, os.W_OK):
        raise ConfigError(
            f"The output directory {directory} is not writable (no write "
            f"permission on {parent}). Choose a writable location."
        )
    return parent


@contextlib.contextmanager
def atomic_directory(directory, overwrite=False):
    """Yields a temporary sibling directory; renames it to `directory` on
    success, deletes it on failure.

    Raises:
        ConfigError: `directory` exists and `overwrite` is False, or its
            parent is not writable.
    """
    directory = os.path.abspath(os.fspath(directory))
    if os.path.exists(directory) and not overwrite:
        raise ConfigError(
            f"The output directory already exists. Received: {directory}. "
            "Pass overwrite=True (CLI: --overwrite) or choose another path."
        )
    parent = check_writable_parent(directory)
    tmp = tempfile.mkdtemp(prefix="." + os.path.basename(directory) + ".tmp-", dir=parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if os.path.exists(directory):
        old = tmp + ".old"
        os.replace(directory, old)
        os.replace(tmp, directory)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, directory)
