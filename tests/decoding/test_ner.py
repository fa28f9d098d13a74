"""The dependency-free NER decoding module (vendored by export runners)."""

import ast
import os

import numpy as np
import pytest

from kerasft.decoding import ner as nd


def test_module_needs_only_numpy():
    path = nd.__file__
    tree = ast.parse(open(path, encoding="utf-8").read())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom)}
    assert imported <= {"re", "numpy"}, imported
    assert os.path.basename(path) == "ner.py"


@pytest.mark.parametrize("text", [
    "Mr. Blair visited the U.S. in 1999, didn't he?",
    "  Angela  Merkel\tmet\nJean-Pierre in Zürich (Switzerland)...  ",
    "Shares rose 3.5% to $1,000 on 12/03; “great”—really?",
    "東京 and naïve café 🙂",
])
def test_split_words_offsets_are_exact(text):
    words, offsets = nd.split_words(text)
    assert words and all(text[s:e] == w for w, (s, e) in zip(words, offsets))
    assert all(not w.isspace() for w in words)
    # Every non-space character is in exactly one word.
    covered = "".join(text[s:e] for s, e in offsets)
    assert covered == "".join(text.split())


def test_split_words_keeps_abbreviations_and_numbers():
    words, _ = nd.split_words("The U.S. paid 1,000.50 dollars.")
    assert words == ["The", "U.S.", "paid", "1,000.50", "dollars", "."]


def test_plan_windows_short_sentence_is_one_window():
    windows = nd.plan_windows([0, 0, 1, 2, 2], budget=8, overlap=4)
    assert len(windows) == 1
    start, end, index = windows[0]
    assert (start, end) == (0, 5)
    assert index.tolist() == [0, -1, 1, 2, -1]


def test_plan_windows_labels_each_word_once_where_most_central():
    word_ids = np.repeat(np.arange(30), 1)
    windows = nd.plan_windows(word_ids, budget=10, overlap=5)
    assert all(e - s <= 10 for s, e, _ in windows)
    assert windows[0][0] == 0 and windows[-1][1] == 30
    labelled = np.concatenate([i[i >= 0] for _, _, i in windows])
    assert sorted(labelled.tolist()) == list(range(30))
    assert windows[0][2].tolist()[:6] == [0, 1, 2, 3, 4, 5]  # the sentence start
    assert windows[-1][2].tolist()[-3:] == [27, 28, 29]  # the sentence end

    def context(p, s, e):
        return min(p - s if s > 0 else 30, e - 1 - p if e < 30 else 30)

    for s, e, index in windows:
        for k in np.flatnonzero(index >= 0):
            p = s + k
            for s2, e2, _ in windows:
                if s2 <= p < e2:
                    assert context(p, s, e) >= context(p, s2, e2)


def test_plan_windows_start_at_word_boundaries():
    word_ids = np.repeat(np.arange(20), 3)  # every word is 3 sub-tokens
    windows = nd.plan_windows(word_ids, budget=10, overlap=4)
    for s, _, _ in windows[1:]:
        assert word_ids[s] != word_ids[s - 1]
    labelled = np.concatenate([i[i >= 0] for _, _, i in windows])
    assert sorted(labelled.tolist()) == list(range(20))


def test_plan_windows_cuts_inside_a_word_longer_than_the_window():
    word_ids = np.array([0] + [1] * 25 + [2])
    windows = nd.plan_windows(word_ids, budget=8, overlap=2)
    assert windows[-1][1] == 27
    labelled = np.concatenate([i[i >= 0] for _, _, i in windows])
    assert sorted(labelled.tolist()) == [0, 1, 2]


def test_window_inputs_add_special_tokens():
    ids = np.arange(100, 120)
    windows = nd.window_inputs(ids, np.arange(20), 8, prefix=[1], suffix=[2, 3],
                               suffix_types=[0, 2], overlap=2)
    for w in windows:
        assert len(w["token_ids"]) <= 8
        assert w["token_ids"][0] == 1 and w["token_ids"][-2:].tolist() == [2, 3]
        assert w["segment_ids"][-1] == 2 and w["word_index"][0] == -1
        labelled = w["word_index"] >= 0
        np.testing.assert_array_equal(w["token_ids"][labelled], 100 + w["word_index"][labelled])
    with pytest.raises(ValueError, match="sequence_length=3"):
        nd.window_inputs(ids, np.arange(20), 3, prefix=[1], suffix=[2, 3])


def test_merge_windows_and_decode_entities():
    tags = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    text = "Angela Merkel visited  Paris ."
    words, offsets = nd.split_words(text)
    eye = np.eye(5, dtype="float32")
    # word 0 B-PER, 1 I-PER, 2 O, 3 I-LOC (repaired to B-LOC), 4 left unlabelled
    window_a = np.stack([eye[0], eye[1] * 0.8 + eye[0] * 0.2, eye[2] * 0.6 + eye[0] * 0.4])
    window_b = np.stack([eye[0], eye[4], eye[3]])
    probs = nd.merge_windows([window_a, window_b],
                             [np.array([-1, 0, 1]), np.array([2, 3, -1])], num_words=5)
    assert np.isnan(probs[4]).all()
    entities = nd.decode_entities(probs, tags, words, offsets, text)
    assert [(e["type"], e["text"], e["start"], e["end"]) for e in entities] == [
        ("PER", "Angela Merkel", 0, 13), ("LOC", "Paris", 23, 28)]
    assert entities[0]["score"] == pytest.approx(0.7)
    assert nd.decode_entities(probs, tags, words, offsets, text, "min")[0]["score"] == \
        pytest.approx(0.6)
    for e in entities:
        assert text[e["start"]:e["end"]] == e["text"]
    pre_split = nd.decode_entities(probs, tags, words)
    assert pre_split[0]["text"] == "Angela Merkel" and "start" not in pre_split[0]
    assert nd.decode_words(probs, tags)[0] == ["B-PER", "I-PER", "O", "I-LOC", "O"]
    with pytest.raises(ValueError, match="aggregation='max'"):
        nd.decode_entities(probs, tags, words, aggregation="max")


def test_tags_to_spans():
    assert nd.tags_to_spans(["B-A", "I-A", "I-B", "O", "I-A", "B-A", "I-A"]) == [
        ("A", 0, 2), ("B", 2, 3), ("A", 4, 5), ("A", 5, 7)]


@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_predict_entities_end_to_end_with_any_runtime(padding_side):
    from kerasft.backbones.presets import preset_directory
    from kerasft.tokenizers import Tokenizer

    tokenizer = Tokenizer.from_directory(preset_directory("minilm-l6")).tokenizer
    paris, york = tokenizer.token_to_id("paris"), tokenizer.token_to_id("york")
    tags = ["O", "B-LOC", "I-LOC"]
    calls = []

    def run(feed):  # a fake model: "paris" is B-LOC, "york" I-LOC
        ids = feed["token_ids"]
        assert ids.shape == (1, 8) and ids.dtype == np.int32
        calls.append(feed["padding_mask"].sum())
        probs = np.full((*ids.shape, 3), 0.05, dtype="float32")
        probs[..., 0] = 0.9
        probs[ids == paris] = [0.1, 0.8, 0.1]
        probs[ids == york] = [0.2, 0.1, 0.7]
        return probs

    text = "We flew to  Paris York, then on to Paris again and again and again."
    found = nd.predict_entities(text, tokenizer, run, tags, 8, padding_side=padding_side)
    assert len(calls) > 1  # the 18 words do not fit in one 8-token window
    assert [(e["type"], e["text"], e["start"], e["end"]) for e in found] == [
        ("LOC", "Paris York", 12, 22), ("LOC", "Paris", 35, 40)]
    assert found[0]["score"] == pytest.approx(0.75)
    assert nd.predict_entities("   ", tokenizer, run, tags, 8) == []
