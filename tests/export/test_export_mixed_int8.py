"""Pieces of mixed int8 that need no conversion: the ladder, the matmul
roles and the noise measure of the converter child
(`kerasft/export/_tflite_mixed.py`)."""

import importlib.util
import os
import re

import numpy as np

import kerasft.export

_PATH = os.path.join(os.path.dirname(kerasft.export.__file__), "_tflite_mixed.py")
_SPEC = importlib.util.spec_from_file_location("_tflite_mixed", _PATH)
_tflite_mixed = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_tflite_mixed)
BASE = "text_classifier_1/bert_backbone_1/transformer_layer_0_1/"


def test_ladder_tries_16x8_then_float_for_the_most_sensitive_matmuls():
    layers = [{"node": f"n{i}", "op": "FULLY_CONNECTED", "noise": 1.0 - i / 20}
              for i in range(20)]
    steps = _tflite_mixed.ladder(layers)
    assert steps[:5] == [("float", []), ("int16", ["n0"]), ("float", ["n0"]),
                         ("int16", ["n0", "n1"]), ("float", ["n0", "n1"])]
    assert [len(nodes) for _, nodes in steps[1::2]] == [1, 2, 3, 4, 5, 6, 7, 8, 10, 20]
    assert [kept_as for kept_as, _ in steps[1:]] == ["int16", "float"] * 10
    assert [len(n) for _, n in _tflite_mixed.ladder(layers[:2])] == [0, 1, 1, 2, 2]


def test_recipe_keeps_matmuls_in_16x8_or_float():
    ops = [("a", "FULLY_CONNECTED"), ("b", "FULLY_CONNECTED")]
    bits = [r["op_config"]["activation_tensor_config"]["num_bits"]
            for r in _tflite_mixed.recipe(ops, ["b"], "int16")]
    assert bits == [8, 16]
    assert len(_tflite_mixed.recipe(ops, ["b"], "float")) == 1
    # In a 16x8 step, a matmul 16x8 does not help stays float.
    rules = _tflite_mixed.recipe(ops, ["a", "b"], "int16", float_nodes=["a"])
    assert [r["op_config"]["activation_tensor_config"]["num_bits"] for r in rules] == [16]


def test_group_of_names_the_matmul_roles():
    group_of = _tflite_mixed.group_of
    assert group_of(BASE + "feedforward_output_dense_1/Tensordot;x/feedforward_y",
                    "FULLY_CONNECTED") == "feedforward_output"
    assert group_of(BASE + "self_attention_layer_1/query_1/MatMul;z", "FULLY_CONNECTED") == "query"
    assert group_of(BASE + "self_attention_layer_1/MatMul", "BATCH_MATMUL") == "attention_scores"
    assert group_of(BASE + "self_attention_layer_1/MatMul_1", "BATCH_MATMUL") == "attention_values"
    assert group_of("text_classifier_1/logits_1/MatMul;b", "FULLY_CONNECTED") == "logits"
    assert group_of("dense/MatMul", "FULLY_CONNECTED") == "fully_connected"


def test_recipe_names_one_op_each_and_skips_the_float_ones():
    ops = [(BASE + "key_1/MatMul;" + BASE + "key_1/Add", "FULLY_CONNECTED"),
           (BASE + "MatMul", "BATCH_MATMUL"), (BASE + "MatMul_1", "BATCH_MATMUL")]
    rules = _tflite_mixed.recipe(ops, kept=[ops[1][0]])
    assert [r["operation"] for r in rules] == ["FULLY_CONNECTED", "BATCH_MATMUL"]
    assert all(r["op_config"]["activation_tensor_config"]["num_bits"] == 8 for r in rules)
    # The scope regex of MatMul must not also match MatMul_1 (and vice versa).
    assert re.search(rules[1]["regex"], BASE + "MatMul_1")
    assert not re.search(rules[1]["regex"], BASE + "MatMul")
    assert re.search(rules[0]["regex"], ops[0][0])


def test_noise_is_relative_to_the_outputs():
    reference = np.array([[0.9, 0.1], [0.2, 0.8]])
    assert _tflite_mixed._noise(reference, reference) == 0.0
    small = _tflite_mixed._noise(reference, reference + 0.01)
    large = _tflite_mixed._noise(reference, reference[:, ::-1])
    assert 0.0 < small < 0.03 < 0.5 < large


def test_dynamic_recipe_quantizes_only_weighted_matmuls_and_skips_the_float_ones():
    ops = [(BASE + "query_1/MatMul", "FULLY_CONNECTED"), (BASE + "MatMul", "BATCH_MATMUL"),
           ("text_classifier_1/logits_1/MatMul", "FULLY_CONNECTED")]
    rules = _tflite_mixed.dynamic_recipe(ops)
    assert [r["operation"] for r in rules] == ["FULLY_CONNECTED", "FULLY_CONNECTED"]
    config = rules[0]["op_config"]
    assert "activation_tensor_config" not in config  # float activations, quantized on the fly
    assert config["weight_tensor_config"]["granularity"] == "CHANNELWISE"
    assert config["compute_precision"] == "INTEGER" and not config["explicit_dequantize"]
    kept = _tflite_mixed.dynamic_recipe(ops, float_nodes=[ops[2][0]])
    assert [r["regex"] for r in kept] == [rules[0]["regex"]]
    weight_only = _tflite_mixed.dynamic_recipe(ops, weight_only=True)[0]["op_config"]
    assert weight_only["compute_precision"] == "FLOAT" and weight_only["explicit_dequantize"]
