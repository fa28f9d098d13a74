"""`quantization="dynamic"`: TF's dynamic-range int8 first; where it misses the
gate, ai-edge-quantizer's with the embedding tables float
(`kerasft/export/_tflite_mixed.py`, `mixed_int8.choose_dynamic`)."""

import json
import os

import numpy as np
import pytest

import kerasft
from kerasft.export import export_model
from kerasft.export.spec import spec_for_model

pytest.importorskip("ai_edge_quantizer")
OUTLIER = 1000.0  # one unused token's embedding this many times the others


@pytest.fixture(scope="module")
def embedding_outlier(toy_data, gate_data):
    """A tiny classifier that tells the gate texts apart (accuracy 1.0; the
    session's `tiny_classifier` answers one label for all of them, so no
    quantization can change its top-1), with the embedding of a token no
    gate text uses scaled `OUTLIER`x: Keras' answers do not change, but one
    int8 scale for the whole table rounds every other embedding to zero."""
    import keras

    keras.utils.set_random_seed(7)
    model = kerasft.TextClassifier.from_pretrained(
        "tiny-bert", labels=["neg", "pos"], sequence_length=16, dropout=0.0)
    model.compile(learning_rate=3e-3)
    model.fit(*toy_data, epochs=8, batch_size=8, verbose=0)
    texts, labels = gate_data
    predicted = np.array(model.labels)[model.predict(texts).argmax(-1)]
    assert (predicted == np.array(labels)).mean() > 0.9  # else the test proves nothing
    used = set(spec_for_model(model).encode(texts)["token_ids"].ravel().tolist())
    table = model.backbone.token_embedding.embeddings
    unused = next(i for i in range(table.shape[0] - 1, 0, -1) if i not in used)
    value = table.numpy()
    value[unused] *= OUTLIER
    table.assign(value)
    return model


def _dynamic(report):
    return next(a for a in report["artifacts"]
                if a["format"] == "tflite" and a["quantization"] == "dynamic")


def test_tf_dynamic_is_kept_when_it_holds(tiny_export):
    directory, report = tiny_export
    ladder = _dynamic(report)["dynamic_ladder"]
    assert ladder["chosen"] == "tf" and ladder["held"]
    assert [s["name"] for s in ladder["steps"]] == ["tf"]
    assert not [f for f in os.listdir(directory) if ".step" in f]  # candidates removed


def test_embeddings_stay_float_when_tf_dynamic_misses(embedding_outlier, gate_data, tmp_path):
    texts, labels = gate_data
    directory = str(tmp_path / "export")
    report = export_model(embedding_outlier, directory, formats="tflite",
                          quantization=("none", "dynamic"), texts=texts, labels=labels,
                          latency_repeats=2, verbose=False)
    ladder = _dynamic(report)["dynamic_ladder"]
    tf_step, aeq_step = ladder["steps"][:2]
    assert tf_step["name"] == "tf" and not tf_step["held"]
    assert tf_step["top1_agreement_ci"][0] < 0.98
    assert aeq_step["name"] == "embeddings_float" and aeq_step["held"]
    assert ladder["chosen"] == "embeddings_float" and "embedding tables float" in ladder["why"]
    # (On MiniLM the float table costs size, 50.8 against 15.9 MB; here TF
    # leaves the tiny matmuls, under 1,024 weights, float, so it is larger.)
    rows = {(r["format"], r["quantization"]): r for r in report["parity"]["rows"]}
    assert rows[("tflite", "dynamic")]["passed"] and rows[("mediapipe", "dynamic")]["passed"]
    assert rows[("tflite", "dynamic")]["top1_agreement"] == aeq_step["top1_agreement"]
    assert _dynamic(report)["mediapipe_metadata"] is True
    assert not [f for f in os.listdir(directory) if ".step" in f]
    with open(os.path.join(directory, "export_config.json")) as f:
        assert "dynamic_ladder" not in json.dumps(json.load(f))
