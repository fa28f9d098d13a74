"""One writer per run name: the claim on `<output_dir>/.<name>.inprogress/`.

A run writes into a directory whose name is stable per run name, so that a
run killed half-way leaves its resume state (`backup/`) where the next run
of that name finds it:

    <output_dir>/.<name>.owner.json    the claim: pid, host, start time
    <output_dir>/.<name>.inprogress/   what the run writes (backup/ inside)
    <output_dir>/<name>/               the finished run

The claim is an exclusive create of the owner file, so of two runs started
with one name exactly one proceeds. A claim whose owner died (same host,
process gone) is taken over by renaming the owner file away first: a rename
succeeds for one process only.
"""

import contextlib
import datetime
import glob
import json
import os
import shutil
import socket

from kerasft.errors import ConfigError
from kerasft.utils.files import check_destination, pid_alive, replace_directory

BACKUP = "backup"  # the resume state kept across an interrupted run


def in_progress_directory(output_dir, name):
    """`<output_dir>/.<name>.inprogress`, where run `name` is written."""
    return os.path.join(os.path.abspath(output_dir), f".{name}.inprogress")


def owner_file(output_dir, name):
    """`<output_dir>/.<name>.owner.json`, the claim on run `name`."""
    return os.path.join(os.path.abspath(output_dir), f".{name}.owner.json")


def _process_start(pid):
    """The kernel's start time of `pid` (Linux), to tell a reused pid apart."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _owner_record():
    return {"pid": os.getpid(), "host": socket.gethostname(),
            "since": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "process_start": _process_start(os.getpid())}


def owner_alive(owner):
    """Whether the process recorded in `owner` still runs. Owners on another
    host count as alive: their process cannot be checked from here."""
    if owner.get("host") != socket.gethostname():
        return True
    pid = owner.get("pid")
    if not isinstance(pid, int) or not pid_alive(pid):
        return False
    recorded = owner.get("process_start")
    return recorded is None or _process_start(pid) in (None, recorded)


def _read(path):
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        return None, None
    try:
        owner = json.loads(raw.decode("utf-8"))
    except ValueError:  # written half by a process killed at that instant
        owner = {}
    return raw, owner if isinstance(owner, dict) else {}


def _create(path, record):
    """Exclusive create of the owner file; False if it exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(record, f)
    return True


def _busy_error(name, path, owner):
    return ConfigError(
        f"Run {name!r} is being written by another process. Received: name={name!r}, "
        f"owned by pid {owner.get('pid')} on {owner.get('host')} since "
        f"{owner.get('since')} (claim {path}). Wait for that run to finish or choose "
        "another --name; if that process no longer runs (another host cannot be "
        "checked from here), delete the claim file."
    )


def claim(output_dir, name):
    """Claims run `name` for this process.

    Returns:
        dict or None: the record of a dead owner whose claim was taken over
        (its run is resumable), else None.

    Raises:
        ConfigError: a live process (or one on another host) owns the name.
    """
    path = owner_file(output_dir, name)
    mine = _owner_record()
    for _ in range(100):
        if _create(path, mine):
            return None
        raw, owner = _read(path)
        if raw is None:
            continue  # released meanwhile: try again
        if owner and owner_alive(owner):
            raise _busy_error(name, path, owner)
        # Stale: move it away under a name of our own; one process wins.
        taken = f"{path}.takeover-{os.getpid()}"
        try:
            os.rename(path, taken)
        except FileNotFoundError:
            continue  # another process took it over first
        raw_taken, taken_owner = _read(taken)
        if raw_taken != raw and taken_owner and owner_alive(taken_owner):
            # It was replaced by a live claim between our read and rename.
            with contextlib.suppress(OSError):
                os.link(taken, path)
            os.remove(taken)
            raise _busy_error(name, path, taken_owner)
        os.remove(taken)
        if _create(path, mine):
            return owner
    raise ConfigError(f"Could not claim run {name!r}. Received: claim file {path} "
                      "keeps changing. Try again.")


def release(output_dir, name):
    """Removes the claim on `name` if this process holds it."""
    path = owner_file(output_dir, name)
    _, owner = _read(path)
    if owner and owner.get("pid") == os.getpid() and owner.get("host") == socket.gethostname():
        os.remove(path)


def _remove_debris(work, name):
    """Removes what a killed run left, except its resume state."""
    if os.path.isdir(work):
        for entry in os.listdir(work):
            if entry != BACKUP:
                path = os.path.join(work, entry)
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)
                else:
                    os.remove(path)
    parent = os.path.dirname(work)
    for pattern in (f".{glob.escape(name)}.partial-*", f".{glob.escape(name)}.old-*"):
        for path in glob.glob(os.path.join(parent, pattern)):  # kerasft < 0.3 staging
            shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def run_directory(output_dir, name, overwrite=False, restart=False, say=print):
    """Claims run `name` and yields its in-progress directory.

    On success the directory, less `backup/`, becomes `<output_dir>/<name>`
    (replacing a finished run only with `overwrite`) and the claim is
    released. On failure `backup/` is kept for the next run of that name and
    the rest removed.

    Args:
        output_dir: str. Where runs are written.
        name: str. The run name.
        overwrite: bool. Replace a finished run of that name at the end.
        restart: bool. Discard the in-progress state of an earlier run.
        say: callable or None. Prints the take-over notice. Defaults to `print`.

    Raises:
        ConfigError: a finished run exists and not `overwrite`; another live
            process writes that name; the output directory is not writable.
    """
    say = say or (lambda message: None)
    # raises for a finished run without `overwrite`, or a file of that name
    final = check_destination(os.path.join(output_dir, name), overwrite)
    stale = claim(output_dir, name)
    work = in_progress_directory(output_dir, name)
    try:
        if restart:
            shutil.rmtree(work, ignore_errors=True)
        elif stale is not None:
            state = ("resuming from its saved state" if os.path.isdir(os.path.join(work, BACKUP))
                     else "it saved no state, starting over")
            say(f"Run {name!r} was interrupted (pid {stale.get('pid')} on {stale.get('host')}, "
                f"since {stale.get('since')}); taking it over, {state}. Pass --restart to "
                "start afresh.")
        _remove_debris(work, name)
        os.makedirs(work, exist_ok=True)
        try:
            yield work
        except BaseException:
            if os.path.isdir(os.path.join(work, BACKUP)):
                _remove_debris(work, name)
            else:
                shutil.rmtree(work, ignore_errors=True)
            raise
        shutil.rmtree(os.path.join(work, BACKUP), ignore_errors=True)
        if os.path.exists(final) and not overwrite:
            raise ConfigError(
                f"The run directory appeared while this run was training. Received: {final}. "
                f"This run's results are kept in {work}; move them or pass --overwrite."
            )
        replace_directory(work, final)
    finally:
        release(output_dir, name)
