"""`kerasft train` as a process: one writer per run name, checks that come
before TensorFlow's import (config, checkpoint), and a quiet start-up."""

import json
import os
import struct
import subprocess
import sys
import time

import pytest

from kerasft.cli import _check_backbone
from kerasft.errors import CheckpointError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = ["--backbone", "tiny-bert", "--dataset", "polarity", "--sequence-length", "16"]


def _env():
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # the user's setting shows every log line
    return env


def _kerasft(*args, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "kerasft.cli", *args], env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **kwargs)


def test_two_runs_of_one_name_one_writer(tmp_path):
    out = tmp_path / "runs"
    first = _kerasft("train", *TINY, "--epochs", "1", "--name", "same", "--output-dir", str(out))
    deadline = time.monotonic() + 120
    while not (out / ".same.owner.json").exists() and time.monotonic() < deadline:
        assert first.poll() is None, first.communicate()
        time.sleep(0.05)
    start = time.monotonic()
    second = _kerasft("train", *TINY, "--epochs", "2", "--name", "same", "--output-dir", str(out))
    _, err = second.communicate(timeout=120)
    elapsed = time.monotonic() - start
    assert second.returncode == 2
    assert f"owned by pid {first.pid} on" in err and "choose another --name" in err
    assert elapsed < 8, f"the second run took {elapsed:.1f} s to fail (TensorFlow imported?)"
    stdout, stderr = first.communicate(timeout=600)
    assert first.returncode == 0, stderr[-3000:]
    assert os.listdir(out) == ["same"]  # claim released, nothing in progress
    assert "epochs: 1" in (out / "same" / "config.yaml").read_text()  # the first's run
    # the start-up says where it trains, without TensorFlow's C++ log lines
    assert "Training on " in stdout
    assert "cuInit" not in stderr and "E0000" not in stderr and "I0000" not in stderr


def _hostile_checkpoint(directory):
    """A BERT config.json claiming hidden_size=1e9 over a 100 x 8 embedding."""
    directory.mkdir()
    (directory / "config.json").write_text(json.dumps({
        "model_type": "bert", "vocab_size": 100, "hidden_size": 1_000_000_000,
        "num_hidden_layers": 1, "num_attention_heads": 1, "intermediate_size": 16,
        "max_position_embeddings": 32, "type_vocab_size": 2}))
    header = json.dumps({"embeddings.word_embeddings.weight": {
        "dtype": "F32", "shape": [100, 8], "data_offsets": [0, 3200]}}).encode()
    with open(directory / "model.safetensors", "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + bytes(3200))
    return str(directory)


def test_a_hostile_checkpoint_fails_before_data_and_tensorflow(tmp_path):
    checkpoint = _hostile_checkpoint(tmp_path / "ckpt")
    with pytest.raises(CheckpointError, match=r"hidden size.*Received: .*1000000000"):
        _check_backbone(checkpoint)
    start = time.monotonic()
    proc = _kerasft("train", "--backbone", checkpoint, "--train", str(tmp_path / "missing.csv"),
                    "--output-dir", str(tmp_path / "runs"))
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert "1000000000" in err and "config.json" in err
    assert "missing.csv" not in err  # the data was never read
    assert time.monotonic() - start < 8
    assert not (tmp_path / "runs").exists()


_CONFIG_ERROR = """
import sys, time
from kerasft.cli import main
start = time.perf_counter()
rc = main(sys.argv[1:])
assert rc == 2, rc
assert "tensorflow" not in sys.modules, "TensorFlow was imported before the config error"
print(round(time.perf_counter() - start, 3))
"""


@pytest.mark.parametrize("args, match", [
    (["--set", "training.epochs=-1"], "training.epochs must be a positive integer"),
    (["--set", "training.epoch=3"], "Unknown config key. Received: training.epoch"),
])
def test_config_errors_come_before_tensorflow(tmp_path, args, match):
    argv = ["train", *TINY, "--output-dir", str(tmp_path), *args]
    proc = subprocess.run([sys.executable, "-c", _CONFIG_ERROR, *argv], env=_env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert match in proc.stderr
    assert float(proc.stdout.strip()) < 2.0


def test_task_model_keys_are_read_only_when_needed():
    from kerasft.config import add_task_model_defaults, load_config
    from kerasft.errors import ConfigError
    from kerasft.tasks import QuestionAnswerer

    overrides = {"task": "question_answerer", "data.dataset": "polarity"}
    config = load_config(None, {**overrides, "model.doc_stride": 96})
    assert config["model"]["doc_stride"] == 96
    with pytest.raises(ConfigError, match=r"Received: model.doc_strid\. Valid keys under "
                                          r"model: .*doc_stride"):
        load_config(None, {**overrides, "model.doc_strid": 96})
    config = add_task_model_defaults(load_config(None, overrides), QuestionAnswerer)
    assert config["model"]["max_question_length"] == 64  # added when the run starts
