"""A TextEmbedder through the exporter: the cosine parity gate, MediaPipe
Tasks' TextEmbedder on raw strings, and the runners ranking like Keras."""

import json
import os

import numpy as np
import pytest

from kerasft.errors import ParityError
from kerasft.export import export_model

TEXTS = ["good film", "bad film", "great movie", "not good at all", "it is good",
         "bad news", "the movie was great", "a bad market"]


@pytest.fixture(scope="module")
def embedder():
    import keras

    import kerasft

    keras.utils.set_random_seed(3)
    return kerasft.TextEmbedder.from_pretrained("tiny-bert", sequence_length=16)


@pytest.fixture(scope="module")
def embedder_export(embedder, tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("embedder") / "export")
    report = export_model(embedder, directory, texts=TEXTS, latency_repeats=3, verbose=False)
    return directory, report


def test_every_artifact_passes_the_cosine_gate(embedder_export):
    directory, report = embedder_export
    rows = {r["format"]: r for r in report["parity"]["rows"]}
    assert set(rows) == {"keras", "saved_model", "tflite", "mediapipe", "onnx"}
    for name in ("saved_model", "tflite", "mediapipe", "onnx"):
        assert rows[name]["gate"] == "min_cosine >= 0.9999" and rows[name]["passed"]
        assert rows[name]["min_cosine"] >= 0.9999
    with open(os.path.join(directory, "export_config.json")) as f:
        config = json.load(f)
    assert config["decoding_module"] == "embedding.py"
    assert config["task_config"] == {"dim": 16, "normalize": True}


def test_mediapipe_text_embedder_embeds_raw_strings(embedder, embedder_export):
    from mediapipe.tasks.python.core import base_options
    from mediapipe.tasks.python.text import text_embedder

    directory, _ = embedder_export
    options = text_embedder.TextEmbedderOptions(
        base_options=base_options.BaseOptions(model_asset_path=os.path.join(
            directory, "model.tflite")))
    mp = text_embedder.TextEmbedder.create_from_options(options)
    try:
        got = np.stack([mp.embed(t).embeddings[0].embedding for t in TEXTS])
    finally:
        mp.close()
    keras_vectors = embedder.encode(TEXTS)
    cosine = (got * keras_vectors).sum(-1) / np.linalg.norm(got, axis=1)
    assert cosine.min() >= 0.9999


@pytest.mark.parametrize("runner", ["litert", "onnx", "mediapipe"])
def test_runners_rank_like_keras(embedder, embedder_export, run_runner, runner):
    directory, _ = embedder_export
    query, collection = "a great film", TEXTS[1:]
    expected = embedder.search([query], embedder.encode(collection), top_k=3)[0]
    ranked = run_runner(runner, directory, collection, "--query", query, "--top-k", "3",
                        forbid=("kerasft",) if runner == "mediapipe" else
                        ("tensorflow", "kerasft"))
    assert [r["index"] for r in ranked] == [i for i, _ in expected]
    assert [r["text"] for r in ranked] == [collection[i] for i, _ in expected]
    np.testing.assert_allclose([r["score"] for r in ranked], [s for _, s in expected],
                               atol=1e-4)


def test_a_changed_artifact_fails_the_gate(embedder, tmp_path):
    # a threshold no fp32 artifact can reach shows the gate reads min_cosine
    with pytest.raises(ParityError, match="needs min_cosine >= 1.00001"):
        export_model(embedder, str(tmp_path / "e"), formats=("onnx",), texts=TEXTS,
                     thresholds={"min_cosine": 1.00001}, latency_repeats=2, verbose=False)
