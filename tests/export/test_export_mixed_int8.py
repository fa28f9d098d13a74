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


def test_ladder_adds_the_noisiest_op_group_first():
    base = "m/bert_backbone/transformer_layer_0/"
    layers = [
        {"node": base + "feedforward_layer_norm/moments/SquaredDifference",
         "op": "SQUARED_DIFFERENCE", "noise": 0.9},
        {"node": base + "self_attention_layer/MatMul", "op": "BATCH_MATMUL", "noise": 1.0},
        {"node": base + "add_1", "op": "ADD", "noise": 0.5},
        {"node": base + "self_attention_layer/attention_mask/Select", "op": "SELECT_V2",
         "noise": 1.0},
        {"node": base + "feedforward_layer_norm/Rsqrt", "op": "RSQRT", "noise": 0.2},
    ]
    steps = _tflite_mixed.ladder(layers)
    order = ["attention_mask", "batch_matmul", "layer_norm", "residual_add"]
    assert [groups for groups, _ in steps] == [[]] + [[g] for g in order] + [
        order[:2], order[:3], order]
    assert set(steps[3][1]) == {layers[0]["node"], layers[4]["node"]}  # layer_norm alone
    assert set(steps[6][1]) == {layers[0]["node"], layers[1]["node"], layers[3]["node"],
                                layers[4]["node"]}
    assert len(steps[-1][1]) == len(layers)
    assert _tflite_mixed.group_of(base + "add", "ADD") == "residual_add"
    assert _tflite_mixed.group_of(base + "Gelu/Erfc", "GELU") == "gelu"


def test_noise_sees_channels_an_outlier_drowns():
    rng = np.random.RandomState(0)
    real = rng.normal(size=(4, 16, 8)).astype("float32")
    scale = np.abs(real).max() / 127
    clean = _tflite_mixed._noise(real, np.round(real / scale), scale, 0)
    real[..., 0] *= 300.0  # one outlier channel: the int8 step grows 300x
    scale = np.abs(real).max() / 127
    noisy = _tflite_mixed._noise(real, np.round(real / scale), scale, 0)
    assert clean < 0.02 and noisy > 0.5
