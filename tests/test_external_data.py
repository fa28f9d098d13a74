"""The external test data: skipped with one reason when absent, an error under CI."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEST = "tests/data/test_conll.py::test_real_conll2003_counts"


def _pytest(tmp_path, **env):
    environ = {k: v for k, v in os.environ.items() if k not in ("CI", "KERASFT_TEST_DATA")}
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", TEST],
        cwd=ROOT, env=environ, capture_output=True, text=True, timeout=300)


def test_missing_data_skips_with_one_reason(tmp_path):
    result = _pytest(tmp_path, KERASFT_TEST_DATA=str(tmp_path / "absent"))
    assert result.returncode == 0, result.stdout[-2000:]
    assert "1 skipped" in result.stdout
    assert "needs the external test data: set KERASFT_TEST_DATA=DIR" in result.stdout


def test_missing_data_under_ci_is_an_error(tmp_path):
    result = _pytest(tmp_path, KERASFT_TEST_DATA=str(tmp_path / "absent"), CI="true")
    assert result.returncode != 0
    assert "CI is set but the external test data is missing" in result.stdout + result.stderr


def test_a_folder_without_the_file_fails_the_test(tmp_path):
    (tmp_path / "data").mkdir()
    result = _pytest(tmp_path, KERASFT_TEST_DATA=str(tmp_path / "data"))
    assert result.returncode == 1
    assert "has no conll2003/train.txt" in result.stdout
