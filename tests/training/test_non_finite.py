"""Non-finite losses stop training with an error; NaN weights are never
saved, checkpointed, backed up or loaded; saved models carry no optimizer
state; `fit` leaves no temporary directory behind."""

import json
import os
import sys

import h5py
import keras
import numpy as np
import pytest

import kerasft as kft
from kerasft.errors import NonFiniteError, NonFiniteLossError
from kerasft.training.backup_file import read_backup

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from helpers import toy_sentiment  # noqa: E402


def tiny(**kwargs):
    keras.utils.set_random_seed(0)
    return kft.TextClassifier.from_pretrained(
        "tiny-bert", labels=["neg", "pos"], sequence_length=32, **kwargs)


@pytest.fixture(scope="module")
def trained():
    texts, labels = toy_sentiment()
    model = tiny()
    model.compile(learning_rate=3e-3)
    model.fit(texts, labels, epochs=1, batch_size=8, verbose=0)
    return model, texts


def test_nan_loss_stops_naming_epoch_and_step_and_saves_nothing(tmp_path):
    texts, labels = toy_sentiment()
    model = tiny()
    model.compile(learning_rate=1e6)
    with pytest.raises(NonFiniteLossError,
                       match=r"finite training loss.*loss=nan at epoch 1, step \d+.*learning rate"):
        model.fit(texts, labels, epochs=2, batch_size=8, verbose=0, seed=0,
                  validation_data=(texts[:16], labels[:16]),
                  checkpoint_dir=str(tmp_path / "ckpt"), backup_dir=str(tmp_path / "backup"),
                  backup_interval=1)
    best = tmp_path / "ckpt" / "best.weights.h5"
    assert not best.exists()  # no epoch ended
    backup = read_backup(str(tmp_path / "backup"))
    if backup is not None:  # the last backup is from before the divergence
        assert all(np.isfinite(a).all() for a in backup[1].values() if a.dtype.kind == "f")
    with pytest.raises(NonFiniteError, match=r"finite weights .*NaN or Inf in \S+"):
        model.save(tmp_path / "model")
    assert not (tmp_path / "model").exists()


def test_saved_weights_carry_no_optimizer_state_and_old_files_load(trained, tmp_path):
    model, texts = trained
    path = model.save(tmp_path / "model")
    weights = os.path.join(path, "model.weights.h5")
    with h5py.File(weights) as f:
        assert "optimizer" not in f
    old = str(tmp_path / "old.weights.h5")
    keras.Model.save_weights(model, old)  # the way kerasft saved before
    with h5py.File(old) as f:
        assert "optimizer" in f
    assert os.path.getsize(weights) < os.path.getsize(old)
    os.replace(old, weights)
    loaded = kft.load(path)
    np.testing.assert_allclose(loaded.predict(texts[:4]), model.predict(texts[:4]), atol=1e-6)


def test_load_refuses_poisoned_weights(trained, tmp_path):
    model, _ = trained
    path = model.save(tmp_path / "model")
    with h5py.File(os.path.join(path, "model.weights.h5"), "r+") as f:
        names = []
        f.visititems(lambda name, obj: names.append(name)
                     if isinstance(obj, h5py.Dataset) and obj.dtype.kind == "f" else None)
        data = f[names[-1]]
        poisoned = data[()]
        poisoned.flat[0] = np.nan
        data[...] = poisoned
    with pytest.raises(NonFiniteError, match=r"finite weights in .*model.weights.h5.*NaN or Inf"):
        kft.load(path)


def test_load_safe_mode_is_an_argument(trained, tmp_path):
    model, _ = trained
    path = model.save(tmp_path / "model")
    config_path = os.path.join(path, "config.json")
    with open(config_path) as f:
        config = json.load(f)
    with pytest.warns(UserWarning, match="lambda"):
        config["backbone"] = keras.saving.serialize_keras_object(lambda x: x)
    with open(config_path, "w") as f:
        json.dump(config, f)
    with pytest.raises(ValueError, match="safe_mode=False"):
        kft.load(path)
    with pytest.raises(Exception) as info:  # past the safe-mode check: not a backbone
        kft.load(path, safe_mode=False)
    assert "Requested the deserialization" not in str(info.value)


def test_fit_removes_its_temporary_checkpoint_directory(tmp_path, monkeypatch):
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    texts, labels = toy_sentiment(repeat=1)
    model = tiny()
    model.compile(learning_rate=1e-3)
    model.fit(texts, labels, epochs=1, batch_size=8, verbose=0,
              validation_data=(texts[:8], labels[:8]))
    assert os.listdir(scratch) == []
    assert model.best_checkpoint_ is None
    model.compile(learning_rate=1e6)
    with pytest.raises(NonFiniteLossError):
        model.fit(texts * 4, labels * 4, epochs=3, batch_size=8, verbose=0,
                  validation_data=(texts[:8], labels[:8]))
    assert os.listdir(scratch) == []
