"""Seq2SeqLM on a tiny random BART written by transformers and loaded with
`kerasft.from_pretrained`, trained on real pairs (Django's German UI
strings; Multi30k for a held-out report). Mechanics only: logits match,
loss falls, memorized pairs come back, decoders agree. Not translation
quality."""

import json
import os

import keras
import numpy as np
import pytest
from fixtures_hf import write_bart_checkpoint

import kerasft as kft
from kerasft.data.po_files import django_po_file, read_po_pairs
from kerasft.errors import ConfigError, DataError
from kerasft.tasks.seq2seq_lm import Seq2SeqLM



def django_pairs(n=8, max_chars=30):
    pytest.importorskip("django")
    sources, targets = read_po_pairs(django_po_file("de"))
    short = [i for i, s in enumerate(sources) if len(s) < max_chars]
    chosen = short[:5 * n:5]
    return [sources[i] for i in chosen], [targets[i] for i in chosen]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    directory = tmp_path_factory.mktemp("bart")
    return str(directory), write_bart_checkpoint(str(directory))


@pytest.fixture(scope="module")
def fresh(checkpoint):
    """An untrained model (tests must not train it)."""
    return Seq2SeqLM.from_pretrained(checkpoint[0], sequence_length=32)


@pytest.fixture(scope="module")
def trained(checkpoint):
    keras.utils.set_random_seed(0)
    sources, targets = django_pairs()
    model = Seq2SeqLM.from_pretrained(checkpoint[0], sequence_length=32)
    model.compile(learning_rate=2e-2, warmup_ratio=0.0)
    history = model.fit(sources, targets, epochs=50, batch_size=8, seed=0, verbose=0)
    return model, history, sources, targets


def test_logits_match_transformers(checkpoint, fresh):
    import torch

    _, hf_model = checkpoint
    tokenizer = fresh.preprocessor.tokenizer
    assert fresh.decoder_start_token_id == tokenizer.token_to_id("</s>")
    assert fresh.eos_token_id == tokenizer.token_to_id("</s>")
    source = tokenizer.encode(["A man in a blue shirt"])["token_ids"][0]
    target = tokenizer.encode(["Ein Mann"])["token_ids"][0]
    decoder = np.concatenate([[fresh.decoder_start_token_id], target[:-1]]).astype("int32")
    with torch.no_grad():
        expected = hf_model(input_ids=torch.as_tensor(source[None].astype("int64")),
                            decoder_input_ids=torch.as_tensor(decoder[None].astype("int64"))).logits
    got = fresh.predict({"encoder_token_ids": source[None],
                         "encoder_padding_mask": np.ones((1, len(source)), "int32"),
                         "decoder_token_ids": decoder[None],
                         "decoder_padding_mask": np.ones((1, len(decoder)), "int32")}, verbose=0)
    np.testing.assert_allclose(got, expected.numpy(), atol=1e-4)


def test_cached_uncached_batched_single_agree(fresh):
    sources = ["A man", "Two dogs play in the snow", "Save changes?"]
    for kwargs in (dict(), dict(num_beams=3)):
        cached = fresh.generate(sources, max_new_tokens=5, return_ids=True, **kwargs)
        full = fresh.generate(sources, max_new_tokens=5, return_ids=True, use_cache=False,
                              **kwargs)
        for a, b in zip(cached, full):
            np.testing.assert_array_equal(a, b)
        # Batched == alone (padding and beams do not leak across rows).
        np.testing.assert_array_equal(
            fresh.generate(sources[1], max_new_tokens=5, return_ids=True, **kwargs), cached[1])
    sampled = [fresh.generate(sources, max_new_tokens=5, return_ids=True, top_k=5, seed=s)
               for s in (1, 1)]
    for a, b in zip(*sampled):
        np.testing.assert_array_equal(a, b)


def test_loss_falls_and_pairs_learnt_by_heart(trained):
    model, history, sources, targets = trained
    losses = history.history["loss"]
    assert losses[-1] < 0.05 * losses[0], losses
    greedy = model.generate(sources)
    assert sum(g == t for g, t in zip(greedy, targets)) >= 6, list(zip(greedy, targets))
    assert model.generate(sources, num_beams=1, strategy="beam") == greedy
    assert model.predict(sources) == greedy
    assert model.predict_records(sources[:1]) == [{"generated_text": greedy[0]}]


def test_evaluate_report(trained, tmp_path):
    model, _, sources, targets = trained
    report = model.evaluate_report(sources, targets, output_dir=str(tmp_path))
    from kerasft.evaluation.generation import bleu

    # One- and two-word targets have no 4-grams: BLEU is 0 unless all match;
    # chrF (character n-grams) is the telling number here.
    assert report["chrf"] > 80
    assert report["bleu"] == pytest.approx(bleu(model.generate(sources), targets), abs=1e-3)
    assert report["perplexity"] < 1.5 and report["tokens"] > len(targets)
    assert report["examples"][0]["source"] == sources[0]
    assert json.loads((tmp_path / "metrics.json").read_text())["bleu"] == report["bleu"]
    beam = model.evaluate_report(sources[:4], targets[:4], num_beams=2)
    assert beam["num_sentences"] == 4


def test_held_out_multi30k_report(trained, shared_data):
    MULTI30K = shared_data("multi30k")
    model, _, _, _ = trained
    with open(os.path.join(MULTI30K, "val.en"), encoding="utf-8") as f:
        english = [next(f).strip() for _ in range(4)]
    with open(os.path.join(MULTI30K, "val.de"), encoding="utf-8") as f:
        german = [next(f).strip() for _ in range(4)]
    report = model.evaluate_report(english, german, max_new_tokens=16)
    # A model that saw 8 UI strings: the numbers are mechanics, not quality.
    assert 0 <= report["bleu"] <= 100 and 0 <= report["chrf"] <= 100
    assert report["num_sentences"] == 4 and report["perplexity"] > 1


def test_save_load_round_trip(trained, tmp_path):
    model, _, sources, _ = trained
    model.save(tmp_path / "model")
    config = json.loads((tmp_path / "model" / "config.json").read_text())
    assert config["task"] == "Seq2SeqLM"
    assert config["task_config"]["decoder_start_token_id"] == model.decoder_start_token_id
    reloaded = kft.load(tmp_path / "model")
    assert isinstance(reloaded, Seq2SeqLM)
    assert reloaded.preprocessor.target_sequence_length == 32
    assert reloaded.generate(sources) == model.generate(sources)


def test_errors(trained, checkpoint):
    model, _, sources, targets = trained
    with pytest.raises(DataError, match="learns from \\(source, target\\) pairs"):
        model.make_dataset(sources)
    with pytest.raises(DataError, match="Each source needs one target"):
        model.fit(sources, targets[:-1])
    with pytest.raises(DataError, match="Empty text"):
        model.generate(["ok", " "])
    with pytest.raises(ConfigError, match="max_new_tokens"):
        model.generate(sources[:1], max_new_tokens=64)
    with pytest.raises(ConfigError, match="num_beams"):
        model.generate(sources[:1], strategy="greedy", num_beams=2)
    bert = kft.tiny_backbone()[0]
    with pytest.raises(ConfigError, match="needs an encoder-decoder backbone"):
        Seq2SeqLM(bert, model.preprocessor)


def test_class_weight_is_refused(fresh):
    with pytest.raises(ConfigError, match="no classes to weight. Received: class_weight="):
        fresh.fit(["Save"], ["Sichern"], class_weight={"Sichern": 2.0})


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Layer '.*attention'")
@pytest.mark.parametrize("tied", [True, False], ids=["t5-v1.0-tied", "t5-v1.1-untied"])
def test_t5_logits_match_and_decoders_agree(tied, tmp_path):
    import torch
    from fixtures_hf import write_t5_checkpoint

    hf_model = write_t5_checkpoint(str(tmp_path / "t5"), tied=tied)
    model = Seq2SeqLM.from_pretrained(str(tmp_path / "t5"), sequence_length=32)
    tokenizer = model.preprocessor.tokenizer
    assert model.decoder_start_token_id == tokenizer.pad_token_id == 0
    assert model.eos_token_id == tokenizer.token_to_id("</s>")
    source = tokenizer.encode(["A man in a blue shirt"])["token_ids"][0]
    decoder = np.array([0] + list(tokenizer.encode(["Ein Mann"])["token_ids"][0][:-1]), "int32")
    with torch.no_grad():
        expected = hf_model(input_ids=torch.as_tensor(source[None].astype("int64")),
                            decoder_input_ids=torch.as_tensor(decoder[None].astype("int64"))).logits
    got = model.predict({"encoder_token_ids": source[None],
                         "encoder_padding_mask": np.ones((1, len(source)), "int32"),
                         "decoder_token_ids": decoder[None],
                         "decoder_padding_mask": np.ones((1, len(decoder)), "int32")}, verbose=0)
    np.testing.assert_allclose(got, expected.numpy(), atol=1e-4)
    sources = ["A man", "Two dogs play in the snow"]
    cached = model.generate(sources, max_new_tokens=4, return_ids=True)
    full = model.generate(sources, max_new_tokens=4, return_ids=True, use_cache=False)
    for a, b in zip(cached, full):
        np.testing.assert_array_equal(a, b)


def test_export_generate_signature_and_forward_spec(trained, tmp_path):
    import tensorflow as tf

    model, _, sources, _ = trained
    model.export_generate(str(tmp_path / "gen"), max_new_tokens=12)
    served = tf.saved_model.load(str(tmp_path / "gen")).signatures["generate"]
    spec = model.export_spec(sequence_length=16)
    features = spec.encode(sources[:3])
    assert sorted(features) == sorted(model.input)
    assert features["decoder_token_ids"][0, 0] == model.decoder_start_token_id
    out = served(encoder_token_ids=tf.constant(features["encoder_token_ids"]),
                 encoder_padding_mask=tf.constant(features["encoder_padding_mask"]))
    out = out["token_ids"].numpy()
    expected = model.generate(sources[:3], max_new_tokens=12, return_ids=True)
    for row, ids in enumerate(expected):
        assert out[row, 0] == model.decoder_start_token_id
        np.testing.assert_array_equal(out[row, 1:1 + len(ids)], ids)
        if len(ids) < 12:
            assert out[row, 1 + len(ids)] == model.eos_token_id
    logits = model.predict(features, verbose=0)
    assert logits.shape[:2] == (3, 16)
    np.testing.assert_array_equal(logits[:, 0].argmax(-1), [ids[0] for ids in expected])


def test_run_hooks_read_po_csv_split_and_config(tmp_path):
    pytest.importorskip("django")
    data = Seq2SeqLM.read_data(django_po_file("de"), {"encoding": "utf-8"})
    assert len(data.texts) > 250 and data.labels[data.texts.index("German")] == "Deutsch"
    train, held_out = Seq2SeqLM.split_data(data, 0.1, seed=0)
    assert len(train) + len(held_out) == len(data) and len(held_out) >= 25
    (tmp_path / "pairs.csv").write_text("en,de\nSave,Speichern\nOne,1\n", encoding="utf-8")
    pairs = Seq2SeqLM.read_data(str(tmp_path / "pairs.csv"), {
        "text_column": "en", "label_column": "de", "text_pair_column": None,
        "encoding": "utf-8"})
    assert Seq2SeqLM.inputs_targets(pairs) == (["Save", "One"], ["Speichern", "1"])
    assert Seq2SeqLM.task_kwargs_from_config(
        {"dropout": 0.1, "l2": 0.0, "pooling": "auto", "source_prefix": "translate: "}) == {
        "source_prefix": "translate: "}


@pytest.mark.slow
def test_forward_pass_exports_to_tflite_and_onnx_with_parity(fresh, tmp_path):
    from kerasft.export import export_model

    report = export_model(fresh, str(tmp_path / "export"), formats=("tflite", "onnx"),
                          sequence_length=16, texts=["A man in a blue shirt", "Two dogs"],
                          latency_repeats=2, verbose=False)
    assert report["passed"]
    rows = {row["format"]: row for row in report["parity"]["rows"]}
    assert rows["tflite"]["max_abs_diff"] < 1e-4 and rows["onnx"]["max_abs_diff"] < 1e-4


@pytest.mark.slow
def test_yaml_run_on_django_po(checkpoint, tmp_path):
    pytest.importorskip("django")
    from kerasft.config import load_config
    from kerasft.runs import train_from_config

    config = load_config(None, {
        "task": "seq2seq_lm", "backbone": checkpoint[0], "sequence_length": 32,
        "data.train": django_po_file("de"), "training.epochs": 1, "training.batch_size": 16,
        "model.target_sequence_length": 24, "output_dir": str(tmp_path / "runs"), "name": "s2s"})
    run_dir, report = train_from_config(config, verbose=0)
    assert {"bleu", "chrf", "perplexity"} <= set(report) and report["num_sentences"] >= 25
    assert kft.load(os.path.join(run_dir, "model")).preprocessor.target_sequence_length == 24
