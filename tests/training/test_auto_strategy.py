"""`strategy: auto` picks the strategy the environment describes (no cluster is started)."""

import json

import pytest
import tensorflow as tf

from kerasft.errors import ConfigError
from kerasft.training import strategy as strategy_module
from kerasft.training.distributed_loop import uses_own_loop
from kerasft.training.strategy import collective_timeout, get_strategy

CLEARED = ("TF_CONFIG", "SLURM_NTASKS", "SLURM_STEP_NUM_TASKS", "SLURM_PROCID",
           "KERASFT_COLLECTIVE_TIMEOUT")


@pytest.fixture
def env(monkeypatch):
    """A clean environment; records which strategy `auto` builds."""
    for name in CLEARED:
        monkeypatch.delenv(name, raising=False)
    built = []
    monkeypatch.setattr(strategy_module, "multi_worker_strategy",
                        lambda resolver=None: built.append(("multi_worker", resolver)) or
                        "multi_worker")
    monkeypatch.setattr(tf.distribute, "MirroredStrategy",
                        lambda *a, **k: built.append(("mirrored", None)) or "mirrored")
    monkeypatch.setattr(tf.config, "list_logical_devices", lambda kind=None: [])
    monkeypatch.built = built
    return monkeypatch


def _tf_config(workers, chief=0):
    cluster = {"worker": [f"127.0.0.1:{2000 + i}" for i in range(workers)]}
    if chief:
        cluster["chief"] = ["127.0.0.1:1999"]
    return json.dumps({"cluster": cluster, "task": {"type": "worker", "index": 0}})


def test_auto_without_a_cluster_or_gpus_is_the_default_strategy(env):
    assert get_strategy("auto") is tf.distribute.get_strategy()
    env.setenv("TF_CONFIG", _tf_config(1))
    env.setenv("SLURM_NTASKS", "1")
    env.setenv("SLURM_PROCID", "0")
    assert get_strategy("auto") is tf.distribute.get_strategy()
    assert env.built == []


@pytest.mark.parametrize("workers, chief", [(2, 0), (1, 1)])
def test_auto_with_a_tf_config_cluster_is_multi_worker(env, workers, chief):
    env.setenv("TF_CONFIG", _tf_config(workers, chief))
    assert get_strategy("auto") == "multi_worker"
    assert env.built == [("multi_worker", None)]


def test_auto_in_a_slurm_step_of_several_tasks_is_multi_worker(env):
    class FakeSlurmResolver:
        pass

    env.setattr(tf.distribute.cluster_resolver, "SlurmClusterResolver", FakeSlurmResolver)
    env.setenv("SLURM_NTASKS", "4")
    env.setenv("SLURM_PROCID", "2")
    assert get_strategy("auto") == "multi_worker"
    assert isinstance(env.built[0][1], FakeSlurmResolver)


def test_auto_with_several_gpus_is_mirrored(env):
    env.setattr(tf.config, "list_logical_devices",
                lambda kind=None: ["/gpu:0", "/gpu:1"] if kind == "GPU" else [])
    assert get_strategy("auto") == "mirrored"


def test_unreadable_tf_config(env):
    env.setenv("TF_CONFIG", "{not json")
    with pytest.raises(ConfigError, match="Expected TF_CONFIG to be a JSON object"):
        get_strategy("auto")


@pytest.mark.parametrize("value", ["0", "soon", "-3"])
def test_bad_collective_timeout(env, value):
    env.setenv("KERASFT_COLLECTIVE_TIMEOUT", value)
    with pytest.raises(ConfigError, match="KERASFT_COLLECTIVE_TIMEOUT to be a positive"):
        collective_timeout()


def test_collective_timeout(env):
    assert collective_timeout() == 600.0
    env.setenv("KERASFT_COLLECTIVE_TIMEOUT", "45")
    assert collective_timeout() == 45.0


def test_training_loop_choice():
    default = tf.distribute.get_strategy()
    assert not uses_own_loop(default)
    assert uses_own_loop(default, "kerasft")
    assert not uses_own_loop(default, "keras")
    with pytest.raises(ConfigError, match="Unknown training loop. Received: training_loop='mine'"):
        uses_own_loop(default, "mine")
