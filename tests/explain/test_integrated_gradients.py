"""Integrated gradients on the tiny random BERT: completeness, a word the
model cannot see, batching, and the errors of `explain`."""

import keras
import numpy as np
import pytest

import kerasft as kft
from kerasft.errors import ConfigError
from kerasft.explain import deletion_curve, explain
from kerasft.explain.embedding_hook import token_embedding_layer
from kerasft.explain.integrated_gradients import baseline_token_id

TEXTS = ["a good film, not bad!", "it was bad", "the movie is great and good", "bad news"]


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    return kft.TextClassifier.from_pretrained("tiny-bert", labels=["neg", "pos"],
                                              sequence_length=32, dropout=0.0)


def test_attributions_add_up_to_the_output_change(model):
    for e in model.explain(TEXTS, steps=16):
        a = e.attributions[0]
        assert a.complete and abs(a.completeness_gap) < 1e-4, a
        assert np.isclose(a.scores.sum(), a.output - a.baseline_output, atol=1e-4)
        assert a.output == pytest.approx(a.target["probability"], abs=1e-5)
        assert not e.warnings


def test_too_few_steps_are_reported():
    from kerasft.explain.explanation import completeness

    gap, tolerance, warning = completeness(np.array([0.2, 0.1]), 0.9, 0.5, steps=2)
    assert gap == pytest.approx(-0.1) and warning and "steps=8" in warning


def test_a_word_the_model_cannot_tell_from_the_baseline_gets_zero(model):
    table = token_embedding_layer(model.backbone).embeddings
    saved = np.array(table)
    tokenizer = model.preprocessor.tokenizer
    movie, pad = tokenizer.token_to_id("movie"), tokenizer.pad_token_id
    try:  # "movie" now looks up the baseline's own vector: it carries nothing
        table.assign(np.where(np.arange(len(saved))[:, None] == movie, saved[pad], saved))
        e = model.explain(["a good movie"], steps=8)[0]
    finally:
        table.assign(saved)
    scores = dict(zip([w["word"] for w in e.words], e.scores))
    assert scores["movie"] == 0.0
    assert abs(scores["good"]) > 1e-6


def test_batched_equals_one_by_one(model):
    together = model.explain(TEXTS, steps=8, batch_size=4)
    for text, e in zip(TEXTS, together):
        alone = model.explain([text], steps=8, batch_size=1)[0]
        np.testing.assert_allclose(e.scores, alone.scores, atol=1e-6)


def test_explains_a_chosen_label_and_sentence_pairs(model):
    e = model.explain([("a good film", "bad one")], target="neg")[0]
    assert e.attributions[0].target["label"] == "neg"
    assert {w["text"] for w in e.words} == {"text", "text_pair"}
    assert [w["word"] for w in e.words if w["text"] == "text_pair"] == ["bad", "one"]
    assert e.attributions[0].complete


def test_occlusion_scores_are_output_drops(model):
    e = model.explain(["it was bad"], method="occlusion")[0]
    a = e.attributions[0]
    assert a.completeness_gap is None and a.complete is None
    without = model.predict(["it bad"])[0, 1]
    assert a.scores[1] == pytest.approx(a.output - without, abs=1e-5)


def test_deletion_curve_starts_at_the_output(model):
    explanations = model.explain(TEXTS, steps=8)
    curve = deletion_curve(model, explanations, fractions=(0.0, 0.5, 1.0))
    assert curve.shape == (len(TEXTS), 3)
    np.testing.assert_allclose(curve[:, 0], [e.attributions[0].output for e in explanations],
                               atol=1e-5)
    random = deletion_curve(model, explanations, fractions=(0.0, 1.0), order="random")
    np.testing.assert_allclose(random[:, 1], curve[:, 2], atol=1e-5)  # all words gone


@pytest.mark.parametrize("kwargs, match", [
    (dict(method="lime"), "`method` must be one of"),
    (dict(steps=0), "steps"),
    (dict(target="maybe"), "Expected a label of the model"),
])
def test_explain_rejects_bad_arguments(model, kwargs, match):
    with pytest.raises(ConfigError, match=match):
        model.explain(["good"], **kwargs)


def test_bad_baseline_and_deletion_order(model):
    with pytest.raises(ConfigError, match="`baseline` must be one of"):
        explain(model, ["good"], baseline="zeros")

    class NoMask:
        def token_to_id(self, token):
            return None

    with pytest.raises(ConfigError, match="needs a tokenizer with a mask token"):
        baseline_token_id(NoMask(), "mask")
    with pytest.raises(ConfigError, match="`order` must be one of"):
        deletion_curve(model, [], order="worst")
    bare = model.explain(["good"], steps=2)[0]
    del bare._item
    with pytest.raises(ConfigError, match="Expected explanations returned by `explain`"):
        deletion_curve(model, [bare])


def test_backbone_without_token_embedding_is_refused():
    with pytest.raises(ConfigError, match="backbone.token_embedding"):
        token_embedding_layer(object())


def test_tasks_without_explanations_say_so():
    from kerasft.errors import KerasftError
    from kerasft.tasks.task import Task

    with pytest.raises(KerasftError, match="Expected an encoder task with explanations"):
        Task.explanation_inputs(object(), ["text"])
