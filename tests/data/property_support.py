"""Shared pieces of the property-based tests of the data readers.

The profile comes from `HYPOTHESIS_PROFILE`: `default` keeps the whole
property suite under a minute on two busy cores (`@budget(n)` runs 2 n
examples); `thorough` runs 40 n. With `CI` set, `default` is derandomized:
a CI run is reproducible, and a red run means a code change, not a new
draw (explore with `thorough`, which stays random). Every example runs
under a deadline and under `no_hang`, an alarm that fails the example
instead of letting it hang.
"""

import contextlib
import itertools
import os
import signal
import tempfile

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from kerasft.errors import KerasftError

THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"
SCALE = 40 if THOROUGH else 2
HANG_SECONDS = 20

settings.register_profile(
    "default", deadline=5000, derandomize=bool(os.environ.get("CI")), print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "thorough", settings.get_profile("default"), deadline=20000, derandomize=False)
settings.load_profile("thorough" if THOROUGH else "default")


def budget(examples):
    """`@budget(n)`: 2 n examples per test (40 n with the thorough profile)."""
    return settings(max_examples=examples * SCALE)


@contextlib.contextmanager
def no_hang(seconds=HANG_SECONDS):
    """Fails with `TimeoutError` when the block runs longer than `seconds`."""

    def alarm(signum, frame):
        raise TimeoutError(f"a reader ran longer than {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


_counter = itertools.count()
_root = None


def new_file(name, content):
    """Writes `content` (bytes or str as UTF-8) to a fresh folder; returns the path."""
    global _root
    if _root is None:
        _root = tempfile.mkdtemp(prefix="kerasft-properties-")
    folder = os.path.join(_root, str(next(_counter)))
    os.makedirs(folder)
    path = os.path.join(folder, name)
    with open(path, "wb") as f:
        f.write(content.encode("utf-8") if isinstance(content, str) else content)
    return path


# What errors about the whole file (not one line of it) say instead of a line.
WHOLE_FILE = ("Received: 0 rows", "Received: 0 lines", "Received: an empty file",
              "Received: columns=", "Received: no tokens", "Received: 0 questions",
              "holds no translated entry")


def loads_or_data_error(read, path, *names):
    """Runs `read()`; returns its result, or None when it raised a kerasft
    error whose message names `path` and one of `names` (e.g. "line") or
    says what is wrong with the whole file (`WHOLE_FILE`).

    Any other exception propagates: a pandas/json/yaml/csv traceback fails
    the property.
    """
    try:
        with no_hang():
            return read()
    except KerasftError as e:
        message = str(e)
        assert os.fspath(path) in message, f"the error does not name the file: {message}"
        if names:
            assert any(n in message for n in names + WHOLE_FILE), \
                f"the error names none of {names}: {message}"
        return None


# Text with anything a user file may hold: control characters, NUL, RTL and
# combining marks, emoji; no surrogates (they cannot be encoded).
any_text = st.text(st.characters(codec="utf-8"), max_size=40)
nonblank_text = any_text.filter(lambda t: t.strip())
line_ending = st.sampled_from(["\n", "\r\n"])
bom = st.sampled_from([b"", b"\xef\xbb\xbf"])
