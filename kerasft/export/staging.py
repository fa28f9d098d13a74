"""Write beside, then rename: no partial export under the final name."""

import os
import shutil
import tempfile

from kerasft.errors import ExportError


def check_destination(directory, overwrite):
    """Validates the output directory before any work is done.

    Returns:
        str: the absolute directory.

    Raises:
        ExportError: it exists and `overwrite` is False, or its parent
            cannot be created or written.
    """
    directory = os.path.abspath(os.fspath(directory))
    if os.path.exists(directory) and not overwrite:
        raise ExportError(
            "The export directory must not exist yet. Received: "
            f"directory={directory!r}, which exists. Pass overwrite=True "
            "(CLI: --overwrite) or choose another directory."
        )
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise ExportError(
            f"The export path must be a directory. Received: directory={directory!r}, "
            "a file. Choose another path."
        )
    parent = os.path.dirname(directory)
    try:
        os.makedirs(parent, exist_ok=True)
        probe = tempfile.mkdtemp(prefix=".kerasft-write-test-", dir=parent)
        os.rmdir(probe)
    except OSError as e:
        raise ExportError(
            "The export directory's parent must be a writable directory. "
            f"Received: directory={directory!r} ({type(e).__name__}: {e}). "
            "Choose a writable location."
        ) from e
    return directory


def new_stage(directory):
    """A fresh hidden sibling of `directory` to write the export into."""
    parent, name = os.path.split(directory)
    return tempfile.mkdtemp(prefix=f".{name}.partial-", dir=parent)


def _replace(source, target):
    """Renames `source` to `target`, replacing an existing `target`."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(source, 0o777 & ~umask)  # mkdtemp made it private
    old = None
    if os.path.exists(target):
        old = tempfile.mkdtemp(prefix=f".{os.path.basename(target)}.old-",
                               dir=os.path.dirname(target))
        os.rmdir(old)
        os.replace(target, old)
    os.replace(source, target)
    if old:
        shutil.rmtree(old, ignore_errors=True)


def commit(stage, directory):
    """Moves the finished `stage` to `directory` (replacing it)."""
    _replace(stage, directory)


def keep_aside(stage, directory):
    """Moves a failed `stage` to `<directory>.failed`; returns that path."""
    aside = directory + ".failed"
    _replace(stage, aside)
    return aside


def discard(stage):
    shutil.rmtree(stage, ignore_errors=True)
