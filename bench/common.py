"""Shared helpers of the benchmark scripts: timing, tables, JSON results."""

import json
import os
import platform
import time

import keras

RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


class EpochTimer(keras.callbacks.Callback):
    """Wall time and process CPU time of each training epoch.

    CPU seconds (all threads of this process) are the fairer measure on a
    shared machine: other processes stretch wall time, not our CPU time.
    """

    def on_train_begin(self, logs=None):
        self.epoch_seconds = []
        self.epoch_cpu_seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        self._cpu = time.process_time()

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_seconds.append(time.perf_counter() - self._start)
        self.epoch_cpu_seconds.append(time.process_time() - self._cpu)


def load_average():
    return round(os.getloadavg()[0], 2)


def print_table(rows, columns):
    widths = [max(len(str(c)), *(len(_fmt(r.get(c))) for r in rows)) for c in columns]
    line = "  ".join(str(c).ljust(w) for c, w in zip(columns, widths))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(_fmt(r.get(c)).ljust(w) for c, w in zip(columns, widths)))


def _fmt(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def write_results(name, payload):
    os.makedirs(RESULTS_DIR, exist_ok=True)
    payload = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                           "keras": keras.__version__}, **payload}
    path = os.path.join(RESULTS_DIR, f"{name}.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(payload, f, indent=2)
    print(f"\nResults written to {path}")
    return path
