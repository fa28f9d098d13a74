import json
import os
import runpy
import sys
import time

import keras
import numpy as np
import pytest

import kerasft as kft
from helpers import fit_toy, run_task_test, run_cli, toy_ner
from kerasft.data import read_conll
from kerasft.data import entity_types, from_iob2, iob2_tags
from kerasft.errors import ConfigError, DataError
from kerasft.decoding.ner import tags_to_spans
from kerasft.metrics import MaskedTokenAccuracy
from kerasft.tasks.token_classifier import TokenClassifier

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
def make_model(**kwargs):
    kwargs.setdefault("tags", iob2_tags(["LOC", "PER"]))
    kwargs.setdefault("sequence_length", 16)
    return TokenClassifier.from_pretrained("tiny-bert", **kwargs)


def write_conll(path, sentences, tags):
    with open(path, "w", encoding="utf-8") as f:
        f.write("-DOCSTART- O\n\n")
        for words, labels in zip(sentences, tags):
            f.write("".join(f"{w} {t}\n" for w, t in zip(words, labels)) + "\n")
    return str(path)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    sentences, tags = toy_ner()
    ckpt = str(tmp_path_factory.mktemp("ckpt"))
    model, history = fit_toy(make_model, sentences, tags, learning_rate=1e-2,
                             validation_data=(sentences[:10], tags[:10]),
                             fit_kwargs={"checkpoint_dir": ckpt})
    return model, history, sentences, tags


def test_task_contract(trained, tmp_path):
    model, history, sentences, tags = trained
    result = run_task_test(model, sentences, tags, tmp_path, history=history, loss_drop=0.2,
                           saved_files=("labels.json",), report_text="micro avg")
    assert "val_loss" in history.history and "token_accuracy" in history.history
    assert model.predict_tags(sentences) == tags
    assert [r["tags"] for r in result.records] == tags[:5]
    assert all("entities" in r for r in result.records)
    report = result.report
    assert report["f1"] == 1.0 and set(report["per_type"]) == {"LOC", "PER"}
    assert report["num_sentences"] == len(sentences)
    iob1 = [from_iob2(t, "iob1") for t in tags]
    assert model.evaluate_report(sentences, iob1)["f1"] == 1.0
    reloaded = result.reloaded
    assert reloaded.tags == model.tags
    for a, b in zip(reloaded.predict_word_probabilities(sentences[:5]),
                    model.predict_word_probabilities(sentences[:5])):
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert result.spec.output_names == ["probabilities"] and result.spec.labels == model.tags


def test_model_outputs_float32_token_probabilities(trained):
    model, _, sentences, tags = trained
    ds, _ = model.make_dataset(sentences[:4], batch_size=4, padding="longest")
    x = next(iter(ds))
    p = model.predict(x, verbose=0)
    assert p.dtype == np.float32 and p.shape == (*x["token_ids"].shape, len(model.tags))
    np.testing.assert_allclose(p.sum(-1), 1.0, atol=1e-5)
    fixed, _ = model.make_dataset(sentences[:4], tags[:4], batch_size=4, padding="max_length")
    x, y = next(iter(fixed))
    assert x["token_ids"].shape == y.shape == (4, 16)


def test_predict_raw_text_gives_exact_character_offsets(trained):
    model, _, _, _ = trained
    texts = ["Bob is in  Paris.", "It was Kim and  Sam", "A good film in\tNew  York and Rome"]
    entities = model.predict(texts)
    for text, found in zip(texts, entities):
        for e in found:
            assert text[e["start"]:e["end"]] == e["text"]
            assert 0.0 < e["score"] <= 1.0
    assert [(e["type"], e["text"]) for e in entities[0]] == [("PER", "Bob"), ("LOC", "Paris")]
    assert [(e["type"], e["text"]) for e in entities[1]] == [("PER", "Kim"), ("PER", "Sam")]
    assert [(e["type"], e["text"]) for e in entities[2]] == [("LOC", "New  York"),
                                                             ("LOC", "Rome")]
    assert entities[0][1]["start"] == 11 and entities[0][1]["end"] == 16
    low = model.predict(texts, aggregation="min")
    assert all(m["score"] <= e["score"] + 1e-7 for a, b in zip(entities, low)
               for e, m in zip(a, b))


def test_long_sentences_are_windowed_not_truncated(trained):
    model, _, _, _ = trained
    words = ["the", "team", "of", "bob", "was", "good"] + ["and", "it", "was", "good"] * 6 + \
        ["in", "paris"]
    enc = model.preprocessor.encode_words([words])
    assert len(enc.sentence) > 1  # the sentence does not fit in 16 tokens
    tags = model.predict_tags([words])[0]
    assert len(tags) == len(words)
    assert tags[3] == "B-PER" and tags[-1] == "B-LOC"
    probs = model.predict_word_probabilities([words])[0]
    assert probs.shape == (len(words), 5) and not np.isnan(probs).any()


def test_predictions_do_not_depend_on_batching(trained):
    model, _, sentences, _ = trained
    together = model.predict_word_probabilities(sentences[:7], batch_size=3)
    alone = [model.predict_word_probabilities([s])[0] for s in sentences[:7]]
    for a, b in zip(together, alone):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_predict_on_token_lists_and_output_schemes(trained):
    model, _, sentences, tags = trained
    entities = model.predict(sentences[:1])[0]
    assert [(e["type"], e["word_start"], e["word_end"]) for e in entities] == \
        tags_to_spans(tags[0])
    assert [e["text"] for e in entities] == [
        " ".join(sentences[0][s:e]) for _, s, e in tags_to_spans(tags[0])]
    assert all("start" not in e for e in entities)
    bioes = model.predict_tags(sentences[:5], scheme="bioes")
    assert bioes == [from_iob2(t, "bioes") for t in tags[:5]]
    assert json.dumps(model.predict_records(["Bob is in Paris"]))


def test_keras_evaluate_reports_token_accuracy(trained):
    model, _, sentences, tags = trained
    results = model.evaluate(sentences, tags, return_dict=True, verbose=0)
    assert results["token_accuracy"] == 1.0


def test_unknown_tag_at_evaluation_names_file_and_line(trained, tmp_path):
    model, _, _, _ = trained
    path = write_conll(tmp_path / "test.txt", [["bob", "is", "in", "acme"]],
                       [["B-PER", "O", "O", "B-ORG"]])
    data = read_conll(path)
    with pytest.raises(DataError, match=r"tag='B-ORG' at .*test.txt, line 6"):
        model.evaluate_report(*TokenClassifier.inputs_targets(data))
    with pytest.raises(DataError, match=r"tag='B-ORG' at y\[0\]\[1\]"):
        model.evaluate_report([["bob", "acme"]], [["B-PER", "B-ORG"]])


@pytest.mark.slow  # about 20 s: an ONNX conversion
def test_onnx_export_decodes_like_keras_without_tensorflow(trained, tmp_path):
    """The runner path: ONNX Runtime + the numpy-only `ner_decoding` module."""
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("tf2onnx")
    import tokenizers

    from kerasft.export import export_model
    from kerasft.decoding import ner as ner_decoding

    model, _, _, _ = trained
    spec = model.export_spec()
    assert spec.output_names == ["probabilities"] and spec.labels == model.tags
    directory = tmp_path / "export"
    assert export_model(model, directory, formats=("onnx",))["passed"]
    config = json.loads((directory / "export_config.json").read_text())
    tags = json.loads((directory / "labels.json").read_text())
    session = ort.InferenceSession(str(directory / "model.onnx"))
    tokenizer = tokenizers.Tokenizer.from_file(str(directory / "tokenizer.json"))
    texts = ["Bob is in  Paris.", "the team of Kim was good and it was good and it was "
             "good and it was good in Rome"]  # the second needs several windows
    for text, expected in zip(texts, model.predict(texts)):
        found = ner_decoding.predict_entities(
            text, tokenizer, lambda feed: session.run(None, feed)[0], tags,
            config["sequence_length"])
        assert [(e["type"], e["start"], e["end"]) for e in found] == \
            [(e["type"], e["start"], e["end"]) for e in expected]
        assert [e["score"] for e in found] == pytest.approx([e["score"] for e in expected],
                                                            abs=1e-5)
    assert found[-1]["text"] == "Rome"


def test_masked_loss_and_accuracy_ignore_minus_100():
    y_true = np.array([[1, -100, 0], [2, -100, -100]])
    y_pred = np.array([[[0.2, 0.7, 0.1], [1, 0, 0], [0.6, 0.3, 0.1]],
                       [[0.1, 0.1, 0.8], [0, 1, 0], [0, 0, 1]]], dtype="float32")
    loss = make_model().default_loss()(y_true, y_pred)
    expected = -np.mean(np.log([0.7, 0.6, 0.8]))
    assert float(loss) == pytest.approx(expected, rel=1e-5)
    metric = MaskedTokenAccuracy()
    metric.update_state(y_true, y_pred)
    assert float(metric.result()) == 1.0
    metric.update_state(np.array([[0, -100]]), y_pred[:1, :2])
    assert float(metric.result()) == pytest.approx(3 / 4)
    assert float(make_model().default_loss()(np.full((1, 2), -100), y_pred[:1, :2])) == 0.0


def test_other_schemes_are_normalized_and_bad_inputs_raise(trained):
    model, _, sentences, tags = trained
    bioes = [from_iob2(t, "bioes") for t in tags]
    iob1 = [from_iob2(t, "iob1") for t in tags]
    expected, _ = model.encode_targets(tags)
    for other in (bioes, iob1):
        ids, _ = model.encode_targets(other)
        assert all((a == b).all() for a, b in zip(ids, expected))
    assert any(t != u for t, u in zip(bioes, tags))
    with pytest.raises(DataError, match="2 tokens and 1 tags in sentence 0"):
        model.fit([["bob", "is"]], [["B-PER"]], verbose=0)
    with pytest.raises(DataError, match=r"tag='B-ORG' at y\[0\]\[0\]"):
        model.fit([["acme"]], [["B-ORG"]], verbose=0)
    with pytest.raises(ConfigError, match="class_weight"):
        model.fit(sentences, tags, class_weight="balanced", verbose=0)
    with pytest.raises(ConfigError, match="padding='short'"):
        model.make_dataset(sentences, tags, padding="short")
    with pytest.raises(DataError, match="pre-split sentences"):
        model.evaluate_report(["bob is here"], [["B-PER", "O", "O"]])
    with pytest.raises(DataError, match="sentence pairs"):
        model.predict((["bob"], ["kim"]))
    with pytest.raises(DataError, match=r"Empty text at x\[0\]"):
        model.predict(["  "])


def test_bad_config_values():
    with pytest.raises(ConfigError, match=r"missing: \['I-PER'\]"):
        make_model(tags=["O", "B-PER"])
    with pytest.raises(ConfigError, match=r"not IOB2: \['S-PER'\]"):
        make_model(tags=["O", "B-PER", "I-PER", "S-PER"])
    with pytest.raises(ConfigError, match="IOB2 tags"):
        make_model(tags=["O"])
    with pytest.raises(ConfigError, match="dropout"):
        make_model(dropout=1.0)
    with pytest.raises(ConfigError, match="window_overlap=20"):
        make_model(window_overlap=20)
    assert make_model(window_overlap=3).preprocessor.window_overlap == 3
    with pytest.raises(ConfigError, match="no pooling"):
        TokenClassifier.task_kwargs_from_config({"dropout": 0.1, "pooling": "cls"})


def test_yaml_run_and_cli(tmp_path, capsys):
    from kerasft.cli import main

    sentences, tags = toy_ner(40, seed=1)
    train = write_conll(tmp_path / "train.txt", sentences[:30], tags[:30])
    test = write_conll(tmp_path / "test.txt", sentences[30:], tags[30:])
    run_dir = tmp_path / "runs" / "toy"
    overrides = {"backbone": "tiny-bert", "sequence_length": 16, "data.train": train,
                 "data.validation": "null", "data.test": test,
                 "output_dir": str(tmp_path / "runs"), "name": "toy", "training.epochs": 1,
                 "training.learning_rate": 1e-2, "training.batch_size": 8,
                 "model.window_overlap": 4}
    texts = ["Bob is in Paris", "Rome market news"]
    report, _, records = run_cli(
        capsys, os.path.join(ROOT, "configs", "conll2003_ner.yaml"), run_dir,
        ["--data", test], texts, texts, evaluate_text="micro avg",
        train_args=[arg for key, value in overrides.items()
                    for arg in ("--set", f"{key}={value}")])
    assert kft.load(run_dir / "model").preprocessor.window_overlap == 4
    assert report["run"]["train_examples"] == 27  # validation_split 0.1 of 30
    assert "f1" in report and report["run"]["eval_examples"] == 10
    assert (run_dir / "model" / "labels.json").is_file()
    assert all(isinstance(record["entities"], list) for record in records)
    bad = write_conll(tmp_path / "bad.txt", [["acme"]], [["B-ORG"]])
    assert main(["evaluate", str(run_dir), "--data", bad]) == 2
    assert "bad.txt, line 3" in capsys.readouterr().err


@pytest.mark.slow  # about 30 s: a 1-layer MiniLM on real CoNLL sentences
def test_sample_script_runs(tmp_path, monkeypatch, shared_data):
    monkeypatch.setattr(sys, "argv", [
        "ner.py", "--backbone", "minilm-l6", "--num-layers", "1", "--train-sentences", "40",
        "--test-sentences", "20", "--epochs", "1", "--sequence-length", "32",
        "--output", str(tmp_path / "ner"), "--data", shared_data("conll2003")])
    runpy.run_path(os.path.join(ROOT, "samples", "ner.py"), run_name="__main__")
    assert (tmp_path / "ner" / "model" / "config.json").is_file()


def test_real_conll_minilm_learns(shared_data):
    """2-layer MiniLM on 600 CoNLL-2003 sentences: entity F1 clearly above 0."""
    keras.utils.set_random_seed(0)
    train = read_conll(shared_data("conll2003", "train.txt"))
    test = read_conll(shared_data("conll2003", "valid.txt"))
    types = entity_types(train.tags)
    model = TokenClassifier.from_pretrained(
        "minilm-l6", tags=iob2_tags(types), sequence_length=64,
        backbone_config={"num_layers": 2})
    model.compile(learning_rate=2e-4)
    start = time.perf_counter()
    model.fit(train.tokens[:600], train.tags[:600], epochs=1, batch_size=16, seed=0,
              verbose=0)
    report = model.evaluate_report(test.tokens[:200], test.tags[:200])
    print(f"F1 {report['f1']:.3f} in {time.perf_counter() - start:.1f}s")
    assert report["f1"] > 0.3


def test_parity_inputs_join_words_for_the_export_gate():
    texts, labels = TokenClassifier.parity_inputs([["Bob", "is", "in", "Paris"]],
                                                  [["B-PER", "O", "O", "B-LOC"]])
    assert texts == ["Bob is in Paris"] and labels is None
