"""`kerasft.utils.cluster.is_chief_process`: which worker of a `TF_CONFIG`
cluster writes the run."""

import json

import pytest

from kerasft.utils.cluster import is_chief_process


def _set(monkeypatch, cluster, task):
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": task}))


def test_no_or_unreadable_tf_config_is_the_chief(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert is_chief_process()
    monkeypatch.setenv("TF_CONFIG", "{not json")
    assert is_chief_process()
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"worker": ["a", "b"]}}))
    assert is_chief_process()  # no task: a single process


@pytest.mark.parametrize("index, chief", [(0, True), (1, False), ("1", False)])
def test_worker_zero_is_the_chief_without_a_chief_task(monkeypatch, index, chief):
    _set(monkeypatch, {"worker": ["a", "b"]}, {"type": "worker", "index": index})
    assert is_chief_process() is chief


def test_a_chief_task_makes_every_worker_a_non_chief(monkeypatch):
    cluster = {"chief": ["c"], "worker": ["a", "b"]}
    _set(monkeypatch, cluster, {"type": "chief", "index": 0})
    assert is_chief_process()
    _set(monkeypatch, cluster, {"type": "worker", "index": 0})
    assert not is_chief_process()
    _set(monkeypatch, cluster, {"type": "ps", "index": 0})
    assert not is_chief_process()
