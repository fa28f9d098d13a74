"""Every encoder task explains its predictions with the documented
structure: words with offsets, one attribution per target, completeness."""

import json

import keras
import numpy as np
import pytest

import kerasft as kft
from kerasft.data import iob2_tags
from kerasft.errors import ConfigError, DataError
from kerasft.explain import Explanation, explain_html


def check(explanations, n_inputs):
    assert len(explanations) == n_inputs
    for e in explanations:
        assert isinstance(e, Explanation)
        for w in e.words:
            assert e.texts[w["text"]][w["start"]:w["end"]] == w["word"]
            assert not w["word"].startswith(("[", "<")) or len(w["word"]) == 1
        for a in e.attributions:
            assert a.scores.shape == (len(e.words),)
            if e.method == "integrated_gradients":
                assert a.complete, (a.target, a.completeness_gap)
        json.dumps(e.to_dict())


def test_multi_label_explains_each_predicted_label():
    model = kft.MultiLabelClassifier.from_pretrained(
        "tiny-bert", labels=["a", "b", "c"], thresholds=[0.01, 0.01, 0.99], sequence_length=32)
    explanations = model.explain(["good film", "bad news today"], steps=8)
    check(explanations, 2)
    assert [a.target["label"] for a in explanations[0].attributions] == ["a", "b"]
    e = model.explain(["good film"], target=["c"], steps=8)[0]
    assert [a.target["label"] for a in e.attributions] == ["c"]


def test_regressor_explains_each_value():
    model = kft.TextRegressor.from_pretrained("tiny-bert", target_names=["x", "y"],
                                              sequence_length=32)
    explanations = model.explain([("a man plays", "a man is playing")], steps=8)
    check(explanations, 1)
    a = explanations[0].attributions
    assert [t.target["target"] for t in a] == ["x", "y"]
    assert a[0].output == pytest.approx(model.predict([("a man plays", "a man is playing")])
                                        [0, 0], abs=1e-4)
    with pytest.raises(ConfigError, match="Expected a target name of the model"):
        model.explain(["a"], target="z")


@pytest.fixture(scope="module")
def tagger():
    model = kft.TokenClassifier.from_pretrained("tiny-bert", tags=iob2_tags(["PER"]),
                                                sequence_length=16)
    bias = model.get_layer("logits").bias
    # Every word a person: B-PER then I-PER, so there is an entity to explain.
    bias.assign(np.array([0.0, 8.0, 7.0], "float32")[[model.tags.index(t) for t in
                                                      ("O", "B-PER", "I-PER")]])
    return model


def test_token_classifier_explains_each_entity(tagger):
    texts = ["anna met bob in paris.", "a " * 20 + "end"]  # the second needs 2 windows
    entities = tagger.predict(texts)
    explanations = tagger.explain(texts, steps=8)
    check(explanations, len(explanations))
    # One explanation per window holding entities (several: 16-token windows).
    of_first = [e for e in explanations if e.texts["text"] == texts[0]]
    assert len(of_first) >= 2
    assert [a.target["text"] for e in of_first for a in e.attributions] == \
        [e["text"] for e in entities[0]]
    with pytest.raises(ConfigError, match="Expected entity types of the model"):
        tagger.explain(["anna"], target="LOC")
    with pytest.raises(DataError, match="Expected single texts"):
        tagger.explain([("a", "b")])


def test_question_answerer_explains_start_and_end():
    keras.utils.set_random_seed(0)
    qa = kft.QuestionAnswerer.from_pretrained("tiny-bert", sequence_length=64,
                                            max_question_length=16)
    question, context = "who wrote it?", "the book was written by ann lee in 1990."
    # Memorize one span, so the explained target is a real answer (not "no answer")
    # and the window/span selection of the explainer is exercised.
    gold = {"text": "ann lee", "answer_start": context.index("ann lee")}
    qa.compile(learning_rate=3e-3, warmup_ratio=0.0)
    qa.fit(([question] * 16, [context] * 16), [gold] * 16, epochs=15, batch_size=8, verbose=0)
    answer = qa.predict(question, context)
    assert answer["answer"] == "ann lee", answer
    explanations = qa.explain([(question, context)], steps=8)
    check(explanations, 1)
    e = explanations[0]
    assert [a.target["position"] for a in e.attributions] == ["start", "end"]
    assert e.attributions[0].target["answer"] == answer["answer"]
    assert {w["text"] for w in e.words} == {"question", "context"}
    assert [w["word"] for w in e.words if w["text"] == "question"] == ["who", "wrote", "it",
                                                                       "?"]
    occluded = qa.explain([(question, context)], method="occlusion")[0]
    assert len(occluded.attributions[1].scores) == len(e.words)
    with pytest.raises(ConfigError, match="explains its chosen answer"):
        qa.explain([(question, context)], target="x")
    with pytest.raises(DataError, match="Expected \\(questions, contexts\\)"):
        qa.explain("who?")


def test_html_is_self_contained_and_escaped(tmp_path):
    model = kft.TextClassifier.from_pretrained("tiny-bert", labels=["neg", "pos"],
                                               sequence_length=32)
    text = "<script>alert('x')</script> & good"
    e = model.explain([text], steps=4)
    page = explain_html(e, str(tmp_path / "e.html"))
    assert "<script" not in page and "</script" not in page
    assert page.count("&lt;") == 2 and page.count("&gt;") == 2 and "&amp;" in page
    assert "http" not in page
    assert (tmp_path / "e.html").read_text(encoding="utf-8") == page
    from kerasft.explain import plot_explanations

    plot_explanations(e, str(tmp_path / "e.png"))
    assert (tmp_path / "e.png").stat().st_size > 1000
