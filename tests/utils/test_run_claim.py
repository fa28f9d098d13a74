"""`kerasft.utils.run_claim`: one writer per run name, take-over of a dead
writer's run, --restart, --overwrite only at the end."""

import json
import os
import socket
import subprocess
import sys

import pytest

from kerasft.errors import ConfigError
from kerasft.utils.run_claim import (
    claim,
    in_progress_directory,
    owner_file,
    release,
    run_directory,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def write_owner(out, name, pid, host=None):
    os.makedirs(out, exist_ok=True)
    with open(owner_file(out, name), "w", encoding="utf-8") as f:
        json.dump({"pid": pid, "host": host or socket.gethostname(),
                   "since": "2024-01-01T00:00:00+00:00"}, f)


def test_success_renames_the_run_and_releases_the_claim(tmp_path):
    out = tmp_path / "runs"
    with run_directory(out, "r", say=None) as work:
        assert work == in_progress_directory(out, "r")
        assert os.path.isfile(owner_file(out, "r"))
        os.makedirs(os.path.join(work, "backup"))
        (tmp_path / work / "metrics.json").write_text("{}")
    assert sorted(os.listdir(out)) == ["r"]
    assert os.listdir(out / "r") == ["metrics.json"]  # backup/ is dropped


def test_a_live_owner_refuses_a_second_run(tmp_path):
    out = tmp_path / "runs"
    write_owner(out, "r", os.getppid())  # a live process, not this one
    with pytest.raises(ConfigError, match=rf"Run 'r' is being written by another process\. "
                                          rf"Received: name='r', owned by pid {os.getppid()} "
                                          r"on .* since 2024-01-01.*choose another --name"):
        with run_directory(out, "r", say=None):
            pass
    assert sorted(os.listdir(out)) == [".r.owner.json"]  # untouched


def test_an_owner_on_another_host_counts_as_alive(tmp_path):
    write_owner(tmp_path, "r", dead_pid(), host="elsewhere.example")
    with pytest.raises(ConfigError, match="owned by pid .* on elsewhere.example"):
        claim(tmp_path, "r")


def test_a_dead_owner_is_taken_over_and_its_state_resumed(tmp_path):
    out = tmp_path / "runs"
    pid = dead_pid()
    write_owner(out, "r", pid)
    work = in_progress_directory(out, "r")
    os.makedirs(os.path.join(work, "backup", "1"))
    os.makedirs(os.path.join(work, "logs"))
    (tmp_path / work / "history.csv").write_text("half")
    (out / ".r.partial-123-abc").mkdir()  # an older kerasft's stage
    said = []
    with run_directory(out, "r", say=said.append) as inside:
        assert sorted(os.listdir(inside)) == ["backup"]  # debris gone, state kept
        assert json.loads(open(owner_file(out, "r")).read())["pid"] == os.getpid()
    assert len(said) == 1 and f"pid {pid}" in said[0] and "resuming" in said[0]
    assert sorted(os.listdir(out)) == ["r"]


def test_failure_keeps_only_the_resume_state(tmp_path):
    out = tmp_path / "runs"
    with pytest.raises(RuntimeError, match="boom"):
        with run_directory(out, "r", say=None) as work:
            os.makedirs(os.path.join(work, "backup"))
            (tmp_path / work / "metrics.json").write_text("{}")
            raise RuntimeError("boom")
    assert sorted(os.listdir(out)) == [".r.inprogress"]  # claim released
    assert os.listdir(out / ".r.inprogress") == ["backup"]
    with pytest.raises(RuntimeError, match="boom"):  # no state: nothing left
        with run_directory(out, "s", say=None):
            raise RuntimeError("boom")
    assert sorted(os.listdir(out)) == [".r.inprogress"]


def test_restart_discards_the_state(tmp_path):
    out = tmp_path / "runs"
    os.makedirs(os.path.join(in_progress_directory(out, "r"), "backup"))
    write_owner(out, "r", dead_pid())
    said = []
    with run_directory(out, "r", restart=True, say=said.append) as work:
        assert os.listdir(work) == []
    assert said == []


def test_overwrite_replaces_a_finished_run_only_at_the_end(tmp_path):
    out = tmp_path / "runs"
    (out / "r").mkdir(parents=True)
    (out / "r" / "old.txt").write_text("old")
    with pytest.raises(ConfigError, match=r"must not exist yet.*r'.*Pass overwrite=True"):
        with run_directory(out, "r", say=None):
            pass
    with pytest.raises(RuntimeError):
        with run_directory(out, "r", overwrite=True, say=None):
            raise RuntimeError("a failed run leaves the finished one")
    assert (out / "r" / "old.txt").read_text() == "old"
    with run_directory(out, "r", overwrite=True, say=None) as work:
        assert (out / "r" / "old.txt").is_file()  # still there while training
        (tmp_path / work / "new.txt").write_text("new")
    assert os.listdir(out / "r") == ["new.txt"]


def test_a_file_at_the_run_path_is_refused_even_with_overwrite(tmp_path):
    out = tmp_path / "runs"
    out.mkdir()
    (out / "r").write_text("not a run")
    with pytest.raises(ConfigError, match=r"must be a directory.*a file"):
        with run_directory(out, "r", overwrite=True, say=None):
            pass
    assert (out / "r").read_text() == "not a run"
    assert not os.path.exists(owner_file(out, "r"))  # refused before the claim


def test_a_run_finished_meanwhile_is_not_replaced(tmp_path):
    out = tmp_path / "runs"
    with pytest.raises(ConfigError, match=r"appeared while this run was training.*kept in"):
        with run_directory(out, "r", say=None) as work:
            (out / "r").mkdir()
            (tmp_path / work / "new.txt").write_text("new")
    assert (out / ".r.inprogress" / "new.txt").is_file()
    assert not os.path.exists(owner_file(out, "r"))


def test_release_leaves_another_process_claim(tmp_path):
    write_owner(tmp_path, "r", os.getppid())
    release(tmp_path, "r")
    assert os.path.isfile(owner_file(tmp_path, "r"))


_RACER = """
import sys, time
from kerasft.errors import ConfigError
from kerasft.utils.run_claim import claim
try:
    claim(sys.argv[1], "r")
except ConfigError:
    print("refused")
else:
    print("claimed")
    time.sleep(3)
"""


def test_one_of_many_takes_a_stale_claim_over(tmp_path):
    write_owner(tmp_path, "r", dead_pid())
    env = dict(os.environ, PYTHONPATH=ROOT)
    procs = [subprocess.Popen([sys.executable, "-c", _RACER, str(tmp_path)],
                              stdout=subprocess.PIPE, text=True, env=env) for _ in range(6)]
    results = sorted(p.communicate(timeout=60)[0].strip() for p in procs)
    assert results == ["claimed"] + ["refused"] * 5
    assert sorted(os.listdir(tmp_path)) == [".r.owner.json"]  # no take-over debris
