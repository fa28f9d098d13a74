"""`kerasft.utils.files`: nothing half-written under a final name."""

import os
import subprocess
import sys

import pytest

from kerasft.errors import ConfigError, ExportError
from kerasft.utils.files import atomic_directory, atomic_file, check_destination


def test_atomic_directory_replaces_only_on_success(tmp_path):
    target = tmp_path / "out"
    with atomic_directory(target) as tmp:
        assert ".partial-" in os.path.basename(tmp)
        (tmp_path / tmp / "a.txt").write_text("1")
    assert (target / "a.txt").read_text() == "1"
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_directory(target, overwrite=True) as tmp:
            (tmp_path / tmp / "a.txt").write_text("2")
            raise RuntimeError("boom")
    assert (target / "a.txt").read_text() == "1"
    assert sorted(os.listdir(tmp_path)) == ["out"]


def test_keep_failed_moves_the_partial_directory_aside(tmp_path):
    target = tmp_path / "out"
    for attempt in ("1", "2"):  # a second failure replaces the first .failed
        with pytest.raises(ExportError, match="gate"):
            with atomic_directory(target, keep_failed=(ExportError,)) as tmp:
                (tmp_path / tmp / "report.json").write_text(attempt)
                raise ExportError("gate failed")
    assert sorted(os.listdir(tmp_path)) == ["out.failed"]
    assert (tmp_path / "out.failed" / "report.json").read_text() == "2"


def test_check_destination_errors(tmp_path):
    (tmp_path / "exists").mkdir()
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(ConfigError, match="must not exist yet. Received: directory=.*exists'"
                                          ", which already exists. Pass overwrite=True"):
        check_destination(tmp_path / "exists")
    with pytest.raises(ExportError, match="must be a directory. Received: directory=.*a_file"):
        check_destination(tmp_path / "a_file", overwrite=True, error=ExportError)
    with pytest.raises(ConfigError, match="parent must be a writable directory. Received: "
                                          "directory=.*a_file/out"):
        check_destination(tmp_path / "a_file" / "out")
    assert check_destination(tmp_path / "new") == str(tmp_path / "new")


def test_atomic_file_writes_text_and_bytes(tmp_path):
    with atomic_file(tmp_path / "a.json") as f:
        f.write("{}")
    with atomic_file(tmp_path / "b.bin", mode="wb") as f:
        f.write(b"\x00")
    assert (tmp_path / "a.json").read_text() == "{}"
    assert (tmp_path / "b.bin").read_bytes() == b"\x00"
    assert sorted(os.listdir(tmp_path)) == ["a.json", "b.bin"]


def test_stages_of_killed_writers_are_removed(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # its pid is now free
    (tmp_path / f".out.partial-{proc.pid}-abc").mkdir()
    (tmp_path / f".out.partial-{os.getppid()}-def").mkdir()  # a live writer's
    with atomic_directory(tmp_path / "out"):
        pass
    assert sorted(os.listdir(tmp_path)) == [f".out.partial-{os.getppid()}-def", "out"]
