"""Filesystem helpers: nothing half-written under a final name.

`atomic_directory` writes a directory beside its final name
(`.<name>.partial-<pid>-*`) and renames it at the end; `atomic_file` does
the same for one file. Stages of killed processes are removed by the next
write of the same name. Readers see the old
version or the new one, never a partial one.
"""

import contextlib
import glob
import os
import shutil
import tempfile

from kerasft.errors import ConfigError

FAILED_SUFFIX = ".failed"


def _umask():
    umask = os.umask(0)
    os.umask(umask)
    return umask


def check_destination(directory, overwrite=False, error=ConfigError):
    """Validates an output directory before any work is done.

    Args:
        directory: str or PathLike.
        overwrite: bool. Whether an existing directory may be replaced.
        error: the exception class to raise. Defaults to `ConfigError`.

    Returns:
        str: the absolute directory.

    Raises:
        error: it exists and `overwrite` is False, it is a file, or its
            parent cannot be created or written.
    """
    directory = os.path.abspath(os.fspath(directory))
    if os.path.exists(directory) and not overwrite:
        raise error(
            "The output directory must not exist yet. Received: "
            f"directory={directory!r}, which already exists. Pass overwrite=True "
            "(CLI: --overwrite) or choose another directory."
        )
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise error(
            f"The output path must be a directory. Received: directory={directory!r}, "
            "a file. Choose another path."
        )
    parent = os.path.dirname(directory)
    try:
        os.makedirs(parent, exist_ok=True)
        probe = tempfile.mkdtemp(prefix=".kerasft-write-test-", dir=parent)
        os.rmdir(probe)
    except OSError as e:
        raise error(
            "The output directory's parent must be a writable directory. "
            f"Received: directory={directory!r} ({type(e).__name__}: {e}). "
            "Choose a writable location."
        ) from e
    return directory


def pid_alive(pid):
    """Whether process `pid` exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    except OSError:
        return False
    return True


def replace_directory(source, target):
    """Renames `source` to `target`, replacing an existing `target`."""
    old = None
    if os.path.exists(target):
        old = tempfile.mkdtemp(prefix=f".{os.path.basename(target)}.old-{os.getpid()}-",
                               dir=os.path.dirname(target))
        os.rmdir(old)
        os.replace(target, old)
    os.replace(source, target)
    if old:
        shutil.rmtree(old, ignore_errors=True)



def remove_stale_stages(directory):
    """Removes `.<name>.partial-<pid>-*` and `.<name>.old-*` siblings of
    `directory` left by killed processes (their pid no longer runs)."""
    parent, base = os.path.split(os.path.abspath(os.fspath(directory)))
    for kind in ("partial", "old"):
        for path in glob.glob(os.path.join(parent, f".{glob.escape(base)}.{kind}-*")):
            pid = os.path.basename(path)[len(base) + len(kind) + 3:].split("-", 1)[0]
            if pid.isdigit() and not pid_alive(int(pid)):
                shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def atomic_directory(directory, overwrite=False, error=ConfigError, keep_failed=()):
    """Yields a temporary sibling directory; renames it to `directory` on
    success, deletes it on failure.

    Args:
        directory: str or PathLike. The final directory.
        overwrite: bool. Replace an existing `directory`.
        error: the exception class for a bad destination (see
            `check_destination`). Defaults to `ConfigError`.
        keep_failed: tuple of exception classes. When one of them escapes,
            the partial directory is kept at `directory + ".failed"` (for
            inspection; replacing an older one) instead of being deleted.

    Raises:
        error: see `check_destination`.
    """
    directory = check_destination(directory, overwrite, error)
    remove_stale_stages(directory)  # left by a killed earlier write
    tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(directory)}.partial-{os.getpid()}-",
                           dir=os.path.dirname(directory))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp made it private
    try:
        yield tmp
    except keep_failed:
        replace_directory(tmp, directory + FAILED_SUFFIX)
        raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    replace_directory(tmp, directory)


@contextlib.contextmanager
def atomic_file(path, mode="w"):
    """Yields a temporary file next to `path`; moves it onto `path` on success.

    Readers of `path` see the old file or the new one, never a half-written
    one. The new file gets the usual permissions (`0o666` less the umask).

    Args:
        path: str or PathLike.
        mode: str. `"w"` (UTF-8 text) or `"wb"`. Defaults to `"w"`.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    encoding = None if "b" in mode else "utf-8"
    f = tempfile.NamedTemporaryFile(
        mode, encoding=encoding, dir=directory, prefix=".tmp-", delete=False
    )
    try:
        with f:
            yield f
        os.chmod(f.name, 0o666 & ~_umask())
        os.replace(f.name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(f.name)
        raise
