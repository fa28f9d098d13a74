"""When a time-based backup is due, alone and under a multi-worker strategy."""

from kerasft.training import backup_and_resume, workers
from kerasft.training.backup_and_resume import BackupAndResume


class Clock:
    now = 1000.0

    def __call__(self):
        return self.now


def _timer(monkeypatch, multi_worker):
    clock = Clock()
    asked = []

    def agree(flag, seconds, strategy=None):
        asked.append((flag, round(seconds, 3)))
        return flag, seconds

    monkeypatch.setattr(backup_and_resume.time, "monotonic", clock)
    monkeypatch.setattr(workers, "is_multi_worker", lambda strategy: multi_worker)
    monkeypatch.setattr(workers, "agree", agree)
    callback = BackupAndResume("unused")
    callback.on_train_begin()
    return callback, clock, asked


def _steps(callback, clock, seconds_per_step, n):
    due = []
    for _ in range(n):
        clock.now += seconds_per_step
        due.append(callback._time_due(strategy=None))
    return due


def test_one_worker_decides_alone_every_step(monkeypatch):
    callback, clock, asked = _timer(monkeypatch, multi_worker=False)
    due = _steps(callback, clock, 100.0, 3)
    assert due == [False, False, True]  # 300 s after the start
    assert asked == []


def test_workers_agree_about_every_agree_seconds_not_every_step(monkeypatch):
    callback, clock, asked = _timer(monkeypatch, multi_worker=True)
    # 0.5 s steps: asked at step 1, then every 40 steps (20 s).
    due = _steps(callback, clock, 0.5, 601)
    assert asked[:2] == [(False, 0.5), (False, 0.5)]
    assert len(asked) == 1 + 600 // 40
    assert due.index(True) == 600  # the first agreement after 300 s: step 601
    assert sum(due) == 1
    # Slow steps (60 s): asked every step, so a backup is never late by more
    # than a step.
    callback, clock, asked = _timer(monkeypatch, multi_worker=True)
    due = _steps(callback, clock, 60.0, 6)
    assert len(asked) == 6 and due == [False] * 4 + [True, True]
