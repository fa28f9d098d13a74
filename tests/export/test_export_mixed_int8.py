"""Pieces of mixed int8 that need no conversion: the ladder and the noise
measure of the converter child (`kerasft/export/_tflite_mixed.py`)."""

import importlib.util
import os

import numpy as np

import kerasft.export

_PATH = os.path.join(os.path.dirname(kerasft.export.__file__), "_tflite_mixed.py")
_SPEC = importlib.util.spec_from_file_location("_tflite_mixed", _PATH)
_tflite_mixed = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_tflite_mixed)


def test_ladder_doubles_then_ends_with_all():
    assert _tflite_mixed.ladder(0) == [0]
    assert _tflite_mixed.ladder(5) == [0, 1, 2, 4, 5]
    assert _tflite_mixed.ladder(8) == [0, 1, 2, 4, 8]


def test_noise_sees_channels_an_outlier_drowns():
    rng = np.random.RandomState(0)
    real = rng.normal(size=(4, 16, 8)).astype("float32")
    scale = np.abs(real).max() / 127
    clean = _tflite_mixed._noise(real, np.round(real / scale), scale, 0)
    real[..., 0] *= 300.0  # one outlier channel: the int8 step grows 300x
    scale = np.abs(real).max() / 127
    noisy = _tflite_mixed._noise(real, np.round(real / scale), scale, 0)
    assert clean < 0.02 and noisy > 0.5
