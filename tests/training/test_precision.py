"""Mixed precision: picked from the hardware (flags injected), applied per
layer (the global policy untouched), float32 head/loss/exports, opt-out."""

import keras
import numpy as np
import pytest
from helpers import toy_sentiment

import kerasft
from kerasft.config import load_config
from kerasft.errors import ConfigError
from kerasft.export import export_model
from kerasft.training.precision import (
    PRECISION_ENV, cpu_flags, default_precision, float32_compute, resolve_precision)

ZEN5 = {"fpu", "avx2", "avx512f", "avx512_bf16", "avx512_vnni"}


@pytest.mark.parametrize("flags, devices, expected", [
    (ZEN5, {"CPU"}, "mixed_bfloat16"),
    ({"avx512f", "amx_bf16", "amx_tile"}, {"CPU"}, "mixed_bfloat16"),
    ({"avx2", "avx512f"}, {"CPU"}, "float32"),
    (set(), {"CPU"}, "float32"),
    ({"avx2"}, {"CPU", "GPU"}, "mixed_float16"),
    ({"avx2"}, {"CPU", "TPU"}, "mixed_bfloat16"),
])
def test_default_precision_follows_the_hardware(flags, devices, expected):
    assert default_precision(flags, devices) == expected


def test_cpu_flags_read_from_cpuinfo(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu avx512f avx512_bf16\n\nprocessor\t: 1\n"
                    "flags\t\t: fpu avx512f avx512_bf16\n")
    assert cpu_flags(str(info)) == {"fpu", "avx512f", "avx512_bf16"}
    assert cpu_flags(str(tmp_path / "missing")) == set()


def test_resolve_precision(monkeypatch):
    monkeypatch.delenv(PRECISION_ENV, raising=False)
    assert resolve_precision("auto", ZEN5, {"CPU"}) == "mixed_bfloat16"
    assert resolve_precision("float32", ZEN5, {"CPU"}) == "float32"
    monkeypatch.setenv(PRECISION_ENV, "float32")
    assert resolve_precision("auto", ZEN5, {"CPU"}) == "float32"
    assert resolve_precision("mixed_bfloat16", set(), {"CPU"}) == "mixed_bfloat16"
    monkeypatch.setenv(PRECISION_ENV, "half")
    with pytest.raises(ConfigError, match="KERASFT_PRECISION='half'"):
        resolve_precision("auto")
    with pytest.raises(ConfigError, match="precision='bf16'. Known: auto, float32"):
        resolve_precision("bf16")


def test_config_validates_precision():
    base = {"data.dataset": "bbc_news"}
    assert load_config(overrides=base)["training"]["precision"] == "auto"
    assert load_config(overrides={**base, "training.precision": "float32"})[
        "training"]["precision"] == "float32"
    with pytest.raises(ConfigError, match="training.precision='fp16'.*mixed_float16"):
        load_config(overrides={**base, "training.precision": "fp16"})


@pytest.fixture(scope="module")
def bf16_classifier():
    """A tiny classifier trained in mixed_bfloat16."""
    keras.utils.set_random_seed(3)
    model = kerasft.TextClassifier.from_pretrained(
        "tiny-bert", labels=["neg", "pos"], sequence_length=16, dropout=0.0,
        precision="mixed_bfloat16")
    texts, labels = toy_sentiment()
    model.compile(learning_rate=1e-2)
    model.history_ = model.fit(texts, labels, epochs=3, batch_size=8, seed=0, verbose=0)
    return model


def test_backbone_in_bf16_head_loss_and_global_policy_float32(bf16_classifier):
    model = bf16_classifier
    assert keras.config.dtype_policy().name == "float32"  # nothing leaked
    assert model.backbone.compute_dtype == "bfloat16"
    assert model.dtype_policy.name == "mixed_bfloat16"
    assert model.get_layer("logits").compute_dtype == "float32"
    assert all(w.dtype == "float32" for w in model.weights)  # float32 master weights
    features = model.preprocessor.pad(model.preprocessor.encode(["a good movie", "bad"]))
    hidden = model.backbone(features)["sequence_output"]
    assert hidden.dtype == "bfloat16"
    assert model(features).dtype == "float32"
    losses = model.history_.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
    texts, labels = toy_sentiment()
    assert np.mean(np.array(model.predict_labels(texts)) == np.array(labels)) > 0.9


def test_float32_opt_out_and_bad_values():
    model = kerasft.TextClassifier.from_pretrained(
        "tiny-bert", labels=["neg", "pos"], sequence_length=16, precision="mixed_bfloat16")
    model.compile()
    assert model.backbone.compute_dtype == "bfloat16"
    model.compile(precision="float32")
    assert model.backbone.compute_dtype == "float32"
    assert model.dtype_policy.name == "float32"
    assert model.jit_compile is False  # XLA would compile every bucket shape
    with pytest.raises(ConfigError, match="precision='bf16'"):
        model.compile(precision="bf16")
    with pytest.raises(ConfigError, match="precision='half'"):
        kerasft.TextClassifier.from_pretrained("tiny-bert", labels=["a", "b"],
                                               sequence_length=16, precision="half")


def test_auto_precision_is_bf16_on_a_bf16_cpu(monkeypatch):
    monkeypatch.delenv(PRECISION_ENV, raising=False)
    monkeypatch.setattr("kerasft.training.precision.cpu_flags", lambda path=None: ZEN5)
    model = kerasft.TextClassifier.from_pretrained(
        "tiny-bert", labels=["neg", "pos"], sequence_length=16)
    model.compile()
    assert model.backbone.compute_dtype == "bfloat16"
    monkeypatch.setattr("kerasft.training.precision.cpu_flags", lambda path=None: {"avx2"})
    model.compile()
    assert model.backbone.compute_dtype == "float32"


def test_bf16_model_exports_float32_with_parity(bf16_classifier, tmp_path):
    model = bf16_classifier
    texts, labels = toy_sentiment(1)
    features = model.preprocessor.pad(model.preprocessor.encode(texts), 16)
    bf16_out = model.predict(features, verbose=0)
    with float32_compute(model):
        float32_out = model.predict(features, verbose=0)
    assert model.backbone.compute_dtype == "bfloat16"  # restored
    assert 0 < np.abs(bf16_out - float32_out).max() < 0.05
    report = export_model(model, str(tmp_path / "export"), formats=("saved_model", "onnx"),
                          texts=texts, labels=labels, latency_repeats=1, verbose=False)
    rows = report["parity"]["rows"]
    assert rows and all(r["passed"] for r in rows), rows
    assert max(r["max_abs_diff"] for r in rows) <= 1e-4
    assert model.backbone.compute_dtype == "bfloat16"  # back to training precision
    # (bf16 kernels may round differently after a retrace: a bf16-sized tolerance)
    np.testing.assert_allclose(model.predict(features, verbose=0), bf16_out, atol=5e-3)
