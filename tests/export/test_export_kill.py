"""A killed `kerasft export`: its TFLite converter child dies with it, no
temporary folder is left in the temp dir, no artifact under the final name,
and the next export of that name removes the killed one's stage."""

import os
import signal
import subprocess
import sys
import time

import pytest

from kerasft.export import export_model

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads /proc to find the converter child")


def _children(pid, marker):
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid and marker in cmdline:
            found.append(int(entry))
    return found


def _running(pid):
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended
    except OSError:
        return False


def test_killed_export_leaves_no_converter_and_no_debris(tiny_classifier, tmp_path):
    model_dir, out, temp = tmp_path / "model", tmp_path / "out", tmp_path / "temp"
    tiny_classifier.save(str(model_dir))
    temp.mkdir()
    env = dict(os.environ, TMPDIR=str(temp), PYTHONPATH=ROOT)
    proc = subprocess.Popen(
        [sys.executable, "-m", "kerasft.cli", "export", str(model_dir), "--format", "tflite",
         "--output", str(out)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline, child = time.monotonic() + 240, []
        while not child and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
            child = _children(proc.pid, "_tflite_worker.py")
        assert child, "the TFLite converter child never started"
        time.sleep(1.0)  # converting (importing TensorFlow, then converting)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 5
        while _running(child[0]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _running(child[0]), "the converter outlived its killed parent"
    finally:
        if proc.poll() is None:
            proc.kill()
    assert [f for f in os.listdir(temp) if f.startswith("kerasft-")] == []
    assert not out.exists()
    stages = [f for f in os.listdir(tmp_path) if f.startswith(".out.partial-")]
    assert len(stages) == 1  # the killed export's stage, removed by the next export
    export_model(tiny_classifier, str(out), formats="saved_model", parity=False, verbose=False)
    assert sorted(f for f in os.listdir(tmp_path) if f.startswith(".out")) == []
