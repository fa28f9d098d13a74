"""TensorFlow's start-up for the command line: without its C++ log noise.

Importing TensorFlow and probing for GPUs prints C++ log lines (`I0000 ...
cudart_stub.cc ... Could not find cuda drivers`, `E0000 ... failed call to
cuInit ... (303)` on a machine without a GPU) that read like failures. The
command line imports TensorFlow through `start_tensorflow`, which drops
those lines and says in one line which devices it runs on. A user who set
`TF_CPP_MIN_LOG_LEVEL` sees everything.
"""

import contextlib
import os
import re
import sys
import tempfile

# Start-up lines of TensorFlow's C++ runtime that are not the user's concern.
NOISE = re.compile(
    r"^[IW]\d{4} \d\d:\d\d:\d\d"  # absl INFO / WARNING lines
    r"|^WARNING: All log messages before absl::InitializeLog"
    r"|^To enable the following instructions:"  # cpu_feature_guard's second line
    r"|failed call to cuInit"  # no GPU (driver error 303)
)


@contextlib.contextmanager
def filtered_stderr(pattern=NOISE):
    """Captures file descriptor 2 inside and replays the lines that do not
    match `pattern` (C++ writes there directly, not through `sys.stderr`)."""
    sys.stderr.flush()
    saved = os.dup(2)
    # An unlinked file: nothing is left behind, even if the process is killed.
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            text = capture.read().decode("utf-8", errors="replace")
            kept = [line for line in text.splitlines(True) if not pattern.search(line)]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()


def _user_set_log_level():
    import kerasft

    return kerasft.TF_LOG_LEVEL_SET_BY_USER


def device_summary(tf):
    """One line naming the devices TensorFlow will train on."""
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        names = []
        for gpu in gpus:
            try:
                names.append(tf.config.experimental.get_device_details(gpu)["device_name"])
            except (KeyError, ValueError, RuntimeError):
                names.append(gpu.name)
        return f"Training on {len(gpus)} GPU{'s' if len(gpus) > 1 else ''}: {', '.join(names)}."
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"Training on CPU ({cores} cores); no GPU found."


def start_tensorflow():
    """Imports TensorFlow (filtering its start-up noise unless the user set
    `TF_CPP_MIN_LOG_LEVEL`), probes the devices and returns the line
    `device_summary` writes."""
    quiet = "tensorflow" not in sys.modules and not _user_set_log_level()
    with filtered_stderr() if quiet else contextlib.nullcontext():
        import tensorflow as tf

        return device_summary(tf)
