"""Task heads on every encoder kerasft converts, from tiny random Hugging Face
checkpoints (written by transformers, see `hf_fixtures.write_encoder_checkpoint`).

Each architecture's classifier is trained once per module on a separable toy
set; the tests then check its pooling, learning, padding conventions (XLNet
pads on the left and sums up from its last token; GPT-2 has no pad token and
reads its last real token) and save/load. BERT, RoBERTa, XLNet and GPT-2 run
by default; the other encoders are marked slow. TokenClassifier is trained on
RoBERTa (slow) and XLNet, QuestionAnswerer on RoBERTa (slow); it refuses XLNet.
"""

import json
import os
import runpy
import sys
import warnings

import keras
import numpy as np
import pytest
import fixtures_hf as hf
from helpers import check_save_load, toy_ner, toy_sentiment

import kerasft as kft
from kerasft.data import iob2_tags
from kerasft.errors import ConfigError

LAST_TOKEN = ("xlnet", "gpt2")
DEFAULT = ("bert", "roberta", "xlnet", "gpt2")
ENCODERS = [
    name if name in DEFAULT else pytest.param(name, marks=pytest.mark.slow)
    for name in ("bert", "distilbert", "roberta", "albert", "electra", "deberta-v2",
                 "xlm-roberta", "xlnet", "gpt2")
]
# Lengths from one word to past `sequence_length` (truncated).
TEXTS = ["great", "bad bad film", "it is not good, it was bad and not great at all",
         "good " * 40, "a great movie"]
PAIRS = ["a good film", "bad", "the film is great and good", "not good", "bad news " * 10]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """`checkpoint(model_type)`: the directory of a tiny random checkpoint,
    written once per module."""
    written = {}

    def get(model_type):
        if model_type not in written:
            directory = tmp_path_factory.mktemp(model_type) / "checkpoint"
            written[model_type] = hf.write_encoder_checkpoint(model_type, directory)
        return written[model_type]

    return get


@pytest.fixture(scope="module", params=ENCODERS)
def trained(request, checkpoint):
    keras.utils.set_random_seed(0)
    texts, labels = toy_sentiment()
    model = kft.TextClassifier.from_pretrained(
        checkpoint(request.param), labels=["neg", "pos"], sequence_length=32, dropout=0.0)
    model.compile(learning_rate=3e-3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(texts, labels, epochs=4, batch_size=8, seed=0, verbose=0)
    return request.param, model, history.history["loss"], (texts, labels), caught


def unpadded_probabilities(model, texts, pairs=None):
    """Each text run through the model alone, without any padding."""
    features = model.preprocessor.encode(texts, pairs)
    return np.concatenate([
        np.asarray(model({k: v[i][None] for k, v in features.items()}))
        for i in range(len(texts))
    ])


def test_pooling_follows_the_architecture(trained):
    name, model, *_ = trained
    expected = "last" if name in LAST_TOKEN else "mean"
    assert model.pooling == expected
    layer = {"last": "last_token_pooling", "mean": "mean_pooling"}[expected]
    assert layer in [sublayer.name for sublayer in model.layers]


def test_loss_falls_and_the_toy_task_is_learnt(trained):
    _, model, losses, (texts, labels), _ = trained
    assert losses[-1] < 0.5 * losses[0], losses
    accuracy = np.mean(np.array(model.predict_labels(texts)) == np.array(labels))
    assert accuracy >= 0.9


def test_every_trained_weight_gets_a_gradient(trained):
    # Unused poolers and XLNet's pre-training `mask_emb` are frozen.
    messages = [str(w.message) for w in trained[-1]]
    assert not [m for m in messages if "Gradients do not exist" in m]


def test_batches_pad_on_the_checkpoint_side(trained):
    name, model, *_ = trained
    tokenizer = model.preprocessor.tokenizer
    assert tokenizer.padding_side == ("left" if name == "xlnet" else "right")
    ds, _ = model.make_dataset((TEXTS, PAIRS), padding="longest", batch_size=len(TEXTS))
    batch = {k: np.asarray(v) for k, v in next(iter(ds)).items()}
    mask = batch["padding_mask"]
    assert mask.shape[1] == 32 and not mask.all()
    real_end = mask[:, -1] if name == "xlnet" else mask[:, 0]
    assert real_end.all()
    # Left padding: zeros then ones; right padding: ones then zeros.
    assert (np.diff(mask, axis=1) >= 0).all() if name == "xlnet" else \
        (np.diff(mask, axis=1) <= 0).all()
    np.testing.assert_array_equal(batch["token_ids"][mask == 0], tokenizer.pad_token_id)
    if "segment_ids" in batch:
        segments = batch["segment_ids"]
        for row in range(len(TEXTS)):
            real = segments[row][mask[row] == 1]
            assert real[0] == 0 and 1 in real  # first text, then the pair
            if name == "xlnet":
                assert real[-1] == 2  # XLNet's <cls> segment, last


def test_predictions_do_not_depend_on_padding(trained):
    """A text alone, unpadded, gets the probabilities it gets in a padded
    batch of longer and shorter texts, whatever id the padding holds."""
    _, model, *_ = trained
    tokenizer = model.preprocessor.tokenizer
    batched = model.predict(TEXTS)
    np.testing.assert_allclose(batched, unpadded_probabilities(model, TEXTS), atol=1e-5)
    np.testing.assert_allclose(model.predict((TEXTS, PAIRS)),
                               unpadded_probabilities(model, TEXTS, PAIRS), atol=1e-5)
    pad_id = tokenizer.pad_token_id
    try:
        tokenizer.pad_token_id = pad_id + 7  # any other token: the mask decides
        np.testing.assert_allclose(model.predict(TEXTS), batched, atol=1e-5)
    finally:
        tokenizer.pad_token_id = pad_id


def test_save_load_round_trip(trained, tmp_path):
    name, model, _, (texts, _), _ = trained
    reloaded = check_save_load(model, TEXTS + texts[:8], str(tmp_path / "model"))
    with open(tmp_path / "model" / "config.json") as f:
        assert json.load(f)["task_config"]["pooling"] == model.pooling  # resolved
    with open(tmp_path / "model" / "tokenizer" / "tokenizer_config.json") as f:
        assert json.load(f)["padding_side"] == model.preprocessor.tokenizer.padding_side
    assert type(reloaded.backbone) is type(model.backbone)
    assert reloaded.pooling == model.pooling
    assert reloaded.preprocessor.tokenizer.padding_side == \
        model.preprocessor.tokenizer.padding_side


def test_gpt2_pads_with_end_of_text_without_a_pad_token(checkpoint):
    directory = checkpoint("gpt2")
    with open(f"{directory}/tokenizer_config.json") as f:
        assert json.load(f).get("pad_token") is None
    tokenizer = kft.Tokenizer.from_directory(directory)
    assert tokenizer.pad_token == "<|endoftext|>"
    assert tokenizer.pad_token_id == tokenizer.token_to_id("<|endoftext|>")
    assert tokenizer.padding_side == "right"


def test_cls_pooling_is_refused_on_xlnet(checkpoint):
    with pytest.raises(ConfigError, match="XLNetBackbone is padding"):
        kft.TextClassifier.from_pretrained(checkpoint("xlnet"), labels=["a", "b"],
                                           sequence_length=16, pooling="cls")


# -- token-level and span tasks on non-BERT encoders ---------------------------
@pytest.mark.parametrize("model_type", [pytest.param("roberta", marks=pytest.mark.slow),
                                        "xlnet"])
def test_token_classifier_trains_and_tags_alike_alone_or_batched(checkpoint, model_type):
    keras.utils.set_random_seed(0)
    sentences, tags = toy_ner(32)
    model = kft.TokenClassifier.from_pretrained(
        checkpoint(model_type), tags=iob2_tags(["LOC", "PER"]), sequence_length=16,
        dropout=0.0)
    model.compile(learning_rate=1e-2)
    losses = model.fit(sentences, tags, epochs=3, batch_size=8, seed=0, verbose=0,
                       padding="max_length").history["loss"]
    assert losses[-1] < 0.7 * losses[0], losses
    batch = [["bob", "is", "in", "rome"], ["paris"], ["a", "good", "day", "in", "new", "york"]]
    batched = model.predict_word_probabilities(batch)
    for sentence, probabilities in zip(batch, batched):
        assert probabilities.shape == (len(sentence), len(model.tags))
        np.testing.assert_allclose(model.predict_word_probabilities([sentence])[0],
                                   probabilities, atol=1e-5)


def who_is_it():
    """16 toy QA examples: "who is it?" about contexts holding "it is NAME."."""
    contexts = ["it is bob. the film was good.", "the film was bad. it is kim.",
                "a great movie. it is sam.", "it is lee."] * 4
    answers = [[{"text": c.split("it is ")[1][:3], "answer_start": c.index("it is ") + 6}]
               for c in contexts]
    return ["who is it?"] * len(contexts), contexts, answers


@pytest.mark.slow  # one more model to trace; byte-level BPE offsets
def test_question_answerer_trains_on_roberta(checkpoint):
    keras.utils.set_random_seed(0)
    questions, contexts, answers = who_is_it()
    model = kft.QuestionAnswerer.from_pretrained(
        checkpoint("roberta"), sequence_length=24, max_question_length=6, doc_stride=4)
    model.compile(learning_rate=1e-2)
    losses = model.fit((questions, contexts), answers, epochs=3, batch_size=8, seed=0,
                       verbose=0, padding="max_length").history["loss"]
    assert losses[-1] < 0.7 * losses[0], losses
    # Byte-level BPE offsets map answers back onto the context's characters.
    for question, context in zip(questions[:4], contexts[:4]):
        answer = model.predict(question, context)
        assert answer["answer"] and context[answer["start"]:answer["end"]] == answer["answer"]


def test_question_answerer_on_xlnet_scores_no_answer_at_the_last_token(checkpoint):
    """XLNet windows are `q <sep> c <sep> <cls>`: right-padded for QA, the
    no-answer target and score sit on each window's last real token."""
    keras.utils.set_random_seed(0)
    questions, contexts, answers = who_is_it()
    model = kft.QuestionAnswerer.from_pretrained(
        checkpoint("xlnet"), sequence_length=24, max_question_length=6, doc_stride=4)
    pre = model.preprocessor
    assert pre.cls_position == "last" and pre.padding_side == "right"
    windows = pre.encode_windows(questions, contexts)
    targets = pre.encode_targets(windows, contexts, answers)
    last = np.array([len(t) - 1 for t in windows.features["token_ids"]])
    for t, mask, cls in zip(targets, windows.context_mask, last):  # span or <cls>
        assert tuple(t) == (cls, cls) or (mask[t[0]] and mask[t[1]] and t[0] <= t[1])
    assert any(tuple(t) == (cls, cls) for t, cls in zip(targets, last))
    assert not any(tuple(t) == (0, 0) for t in targets)
    # The masked logits keep the context and the last token only.
    features = pre.pad(windows.features)
    out = model.predict_on_batch(features)
    allowed = np.asarray(out["start_logits"]) > -1000
    for row, (mask, n) in enumerate(zip(windows.context_mask, last + 1)):
        want = np.zeros(features["token_ids"].shape[1], bool)
        want[:n] = mask
        want[n - 1] = True
        np.testing.assert_array_equal(allowed[row], want)
    model.compile(learning_rate=1e-2)
    losses = model.fit((questions, contexts), answers, epochs=3, batch_size=8, seed=0,
                       verbose=0).history["loss"]
    assert losses[-1] < 0.7 * losses[0], losses
    for question, context in zip(questions[:4], contexts[:4]):
        answer = model.predict(question, context)
        assert context[answer["start"]:answer["end"]] == answer["answer"]
    # Batched answers equal one-by-one answers (padding changes nothing).
    batched = model.predict(questions[:4], contexts[:4])
    assert [a["answer"] for a in batched] == \
        [model.predict(q, c)["answer"] for q, c in zip(questions[:4], contexts[:4])]


def test_question_answerer_refuses_a_template_without_special_tokens(checkpoint):
    with pytest.raises(ConfigError, match="adds no special token around a pair"):
        kft.QuestionAnswerer.from_pretrained(checkpoint("gpt2"), sequence_length=24,
                                             max_question_length=6)


@pytest.mark.slow  # about 30 s: writes and trains a tiny random XLNet on polarity
def test_xlnet_sample_runs(tmp_path, monkeypatch):
    script = os.path.join(os.path.dirname(__file__), "..", "..", "samples",
                          "xlnet_classification.py")
    monkeypatch.setattr(sys, "argv", ["xlnet_classification.py", "--epochs", "1",
                                      "--sequence-length", "32", "--output", str(tmp_path)])
    runpy.run_path(script, run_name="__main__")
    assert (tmp_path / "model" / "config.json").is_file()
    assert (tmp_path / "report" / "metrics.json").is_file()


def test_bpe_classifier_saved_model_passes_the_gate_through_ids(checkpoint, tmp_path):
    """A byte-level BPE tokenizer has no in-graph form: `serving_default`
    takes ids, and the gate feeds it ids (it used to feed raw strings)."""
    from kerasft.export import export_model

    keras.utils.set_random_seed(1)
    model = kft.TextClassifier.from_pretrained(
        checkpoint("roberta"), labels=["neg", "pos"], sequence_length=16)
    report = export_model(model, str(tmp_path / "export"), formats=("saved_model",),
                          texts=TEXTS, latency_repeats=2, verbose=False)
    saved = report["parity"]["rows"][1]
    assert report["passed"] and saved["format"] == "saved_model"
    assert saved["max_abs_diff"] < 1e-4 and saved["top1_agreement"] == 1.0
    assert any("serving_default takes ids" in note for note in report["notes"])
