"""Shared fixtures: seeding, and the external test data (`shared_data`).

Tests that read real data sets (CoNLL-2003, SQuAD, SST-2, STS-B,
GoEmotions, Multi30k) take the `shared_data` fixture. It finds the folder
that holds them: `KERASFT_TEST_DATA` if set, else `../shared/data` beside
the checkout. When the folder is missing those tests are skipped with one
reason; when `CI` is set a missing folder stops the run, so CI can never
pass by skipping.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# The suites check float32 numerics (resume equality, multi-worker vs single
# process); tests of mixed precision ask for it explicitly
# (tests/training/test_precision.py).
os.environ.setdefault("KERASFT_PRECISION", "float32")

import keras  # noqa: E402
import pytest  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MISSING = ("needs the external test data: set KERASFT_TEST_DATA=DIR or put the "
           "shared data folder at ../shared/data beside the checkout")


def external_data_dir():
    """The external test data folder, or None when it is not there."""
    path = os.environ.get("KERASFT_TEST_DATA") or os.path.join(ROOT, "..", "shared", "data")
    path = os.path.abspath(path)
    return path if os.path.isdir(path) else None


def pytest_configure(config):
    if os.environ.get("CI") and external_data_dir() is None:
        raise pytest.UsageError(
            f"CI is set but the external test data is missing ({MISSING}). CI runs "
            "with ../shared beside the clone; refusing to pass by skipping.")


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(1234)
    yield


@pytest.fixture(scope="session")
def shared_data():
    """`shared_data("conll2003", "train.txt")` -> the path of that file in
    the external test data. Skips the test (fails it under `CI`) when the
    folder is missing; fails it when the folder is there but lacks the file."""
    root = external_data_dir()
    if root is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but the external test data is missing ({MISSING}).")
        pytest.skip(MISSING)

    def path(*parts):
        full = os.path.join(root, *parts)
        if not os.path.exists(full):
            pytest.fail(f"The external test data at {root} has no {os.path.join(*parts)}.")
        return full

    return path
