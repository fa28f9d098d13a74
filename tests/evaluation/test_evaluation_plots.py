import os
import struct

import keras
import numpy as np
import pytest

from kerasft.evaluation import plot_confusion_matrix, plot_training_curves

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(path):
    with open(path, "rb") as f:
        header = f.read(24)
    assert header[:8] == PNG_MAGIC and header[12:16] == b"IHDR"
    assert os.path.getsize(path) > 5000  # a drawn figure, not an empty canvas
    return struct.unpack(">II", header[16:24])


def test_confusion_matrix_png(tmp_path):
    matrix = [[30, 2, 1], [4, 25, 3], [0, 5, 40]]
    path = plot_confusion_matrix(matrix, ["neg", "neutral", "pos"], tmp_path / "cm.png")
    width, height = png_size(path)
    assert width > 300 and height > 300
    normalized = plot_confusion_matrix(np.array(matrix), [0, 1, 2],
                                       tmp_path / "sub" / "cmn.png", normalize=True)
    png_size(normalized)
    assert sorted(os.listdir(tmp_path)) == ["cm.png", "sub"]  # no temp files left


def test_confusion_matrix_many_classes_and_empty_rows(tmp_path):
    matrix = np.zeros((40, 40), dtype=int)
    matrix[:20, :20] = np.eye(20, dtype=int) * 3
    png_size(plot_confusion_matrix(matrix, [f"class_{i}" for i in range(40)],
                                   tmp_path / "big.png", normalize=True))


def test_confusion_matrix_shape_error(tmp_path):
    with pytest.raises(ValueError, match=r"\(2 labels\). Received: matrix with shape \(3, 3\)"):
        plot_confusion_matrix(np.eye(3), ["a", "b"], tmp_path / "x.png")
    assert not os.path.exists(tmp_path / "x.png")


def test_training_curves_from_history_object(tmp_path):
    history = keras.callbacks.History()
    history.history = {
        "loss": [1.0, 0.6, 0.4, 0.3], "accuracy": [0.5, 0.7, 0.8, 0.9],
        "val_loss": [0.9, 0.7], "val_accuracy": [0.6, 0.75],  # validation_freq=2
        "learning_rate": np.array([1e-4, 8e-5, 5e-5, 2e-5], dtype="float32"),
    }
    width, height = png_size(plot_training_curves(history, tmp_path / "curves.png"))
    assert width > 2 * height  # three panels side by side


def test_training_curves_from_dict_single_epoch(tmp_path):
    png_size(plot_training_curves({"loss": [0.7], "val_loss": [0.8]}, tmp_path / "c.png"))


def test_training_curves_empty_history(tmp_path):
    with pytest.raises(ValueError, match=r"at least one epoch. Received: history=\{'loss': \[\]\}"):
        plot_training_curves({"loss": []}, tmp_path / "c.png")
