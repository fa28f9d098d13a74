
import numpy as np
import pytest

from kerasft.backbones.presets import preset_directory
from kerasft.backbones.tiny import tiny_tokenizer
from kerasft.data.squad import read_squad
from kerasft.errors import ConfigError, DataError
from kerasft.preprocessors.question_answerer_preprocessor import (
    QuestionAnswererPreprocessor, answer_char_span, span_to_tokens)
from kerasft.decoding.qa import segments_from_context, window_encodings
from kerasft.tokenizers import Tokenizer

CONTEXT = ("the film was good. it is not bad. a great movie. the sport was great. "
           "and it was bob who did it.")
QUESTION = "who did it?"


def make(sequence_length=24, doc_stride=4, max_question_length=6, **kwargs):
    return QuestionAnswererPreprocessor(tiny_tokenizer(), sequence_length=sequence_length,
                                        doc_stride=doc_stride,
                                        max_question_length=max_question_length, **kwargs)


def test_windows_overlap_by_doc_stride_and_answer_in_second_window_is_found():
    pre = make()
    windows = pre.encode_windows([QUESTION], [CONTEXT])
    assert len(windows) >= 2 and set(windows.example_index) == {0}
    ids = windows.features["token_ids"]
    assert all(len(t) <= 24 for t in ids)
    # consecutive windows share exactly `doc_stride` context tokens
    for a, b in zip(range(len(ids) - 1), range(1, len(ids))):
        tail = ids[a][windows.context_mask[a]][-4:]
        head = ids[b][windows.context_mask[b]][:4]
        np.testing.assert_array_equal(tail, head)
        assert windows.offsets[a][windows.context_mask[a]][-4, 0] == \
            windows.offsets[b][windows.context_mask[b]][0, 0]
    answer = {"text": "bob", "answer_start": CONTEXT.index("bob")}
    targets = pre.encode_targets(windows, [CONTEXT], [answer])
    assert tuple(targets[0]) == (0, 0)  # the first window lacks the answer: CLS
    found = [w for w in range(len(windows)) if targets[w, 0] > 0]
    assert found and found[0] >= 1
    for w in found:
        s, e = targets[w]
        assert CONTEXT[windows.offsets[w][s, 0]:windows.offsets[w][e, 1]] == "bob"


def test_offsets_map_every_context_token_to_its_characters():
    pre = make(sequence_length=40, doc_stride=8)
    context = "Bob's  Team won, in PARIS!"
    windows = pre.encode_windows(["who won?"], [context])
    tok = pre.tokenizer
    for w in range(len(windows)):
        for i in np.flatnonzero(windows.context_mask[w]):
            a, b = windows.offsets[w][i]
            token = tok.id_to_token(windows.features["token_ids"][w][i]).removeprefix("##")
            assert context[a:b].lower() == token
        outside = ~windows.context_mask[w]
        assert not windows.offsets[w][outside].any()


def test_segments_padding_and_question_cut():
    pre = make(sequence_length=40, doc_stride=8, max_question_length=3)
    windows = pre.encode_windows(["where is the team now?"], ["in paris."])
    ids = windows.features["token_ids"][0]
    tokens = [pre.tokenizer.id_to_token(i) for i in ids]
    assert tokens[:5] == ["[CLS]", "w", "##h", "##e", "[SEP]"]  # question cut to 3 tokens
    segments = windows.features["segment_ids"][0]
    np.testing.assert_array_equal(segments, [0] * 5 + [1] * (len(ids) - 5))
    np.testing.assert_array_equal(windows.features["padding_mask"][0], np.ones(len(ids)))
    np.testing.assert_array_equal(
        segments_from_context(windows.context_mask[0], windows.features["padding_mask"][0]),
        segments)
    own = make(sequence_length=40, doc_stride=8, segments_from_tokenizer=False)
    mask = np.array([False, False, True, True, False, False])
    np.testing.assert_array_equal(segments_from_context(mask, [1, 1, 1, 1, 1, 0]),
                                  [0, 0, 1, 1, 1, 0])
    assert own.encode_windows(["q"], ["in paris."]).features["segment_ids"][0][-1] == 1


def test_window_encodings_restores_tokenizer_truncation():
    tok = tiny_tokenizer().tokenizer
    tok.enable_truncation(7)
    window_encodings(tok, ["who?"], ["it is bob."], 16, 2, 4)
    assert tok.truncation["max_length"] == 7


def test_answer_char_span_trims_whitespace_and_checks_offsets():
    context = "it is  bob ."
    assert answer_char_span({"text": " bob ", "answer_start": 6}, context) == (7, 10)
    assert answer_char_span([{"text": "bob", "answer_start": 7}, {"text": "x", "answer_start": 0}],
                            context) == (7, 10)
    assert answer_char_span(None, context) is None and answer_char_span([], context) is None
    with pytest.raises(DataError, match=r"Received at y\[3\]: text='bob', answer_start=0"):
        answer_char_span({"text": "bob", "answer_start": 0}, context, index=3)
    with pytest.raises(DataError, match="'text': str, 'answer_start': int"):
        answer_char_span("bob", context)


def test_span_to_tokens_partial_answers_point_to_cls():
    offsets = np.array([[0, 0], [0, 2], [3, 5], [6, 9], [0, 0]])
    mask = np.array([False, True, True, True, False])
    assert span_to_tokens(offsets, mask, 3, 9) == (2, 3)
    assert span_to_tokens(offsets, mask, 4, 5) == (2, 2)  # inside a token
    assert span_to_tokens(offsets, mask, 6, 12) == (0, 0)  # runs past the window
    assert span_to_tokens(np.array([[0, 0], [5, 8]]), np.array([False, True]), 1, 3) == (0, 0)


def test_dataset_targets_match_model_outputs():
    pre = make()
    windows = pre.encode_windows([QUESTION] * 3, [CONTEXT] * 3)
    answer = {"text": "bob", "answer_start": CONTEXT.index("bob")}
    targets = pre.encode_targets(windows, [CONTEXT] * 3, [answer] * 3)
    ds, steps = pre.make_dataset(windows.features, targets, batch_size=4)
    x, y = next(iter(ds))
    assert set(x) == {"token_ids", "segment_ids", "padding_mask"}
    assert set(y) == {"start_logits", "end_logits"}
    total = sum(int(b[1]["start_logits"].shape[0]) for b in ds)
    assert total == len(windows) and steps >= 1


def test_config_and_data_errors():
    with pytest.raises(ConfigError, match=r"`doc_stride`.*in \[0, 15\).*doc_stride=20"):
        make(doc_stride=20)
    with pytest.raises(ConfigError, match="leaves no room for context"):
        make(max_question_length=20)
    with pytest.raises(ConfigError, match="max_question_length=0"):
        make(max_question_length=0)
    left = tiny_tokenizer()
    left.padding_side = "left"  # QA windows are right-padded whatever the tokenizer says
    left_pre = QuestionAnswererPreprocessor(left, sequence_length=24, max_question_length=6)
    assert left_pre.padding_side == "right" and left_pre.cls_position == "first"
    padded = left_pre.pad(left_pre.encode_windows(["a"], ["b c"]).features, 8)
    assert padded["padding_mask"][0].tolist() == [1] * 6 + [0] * 2
    assert make(doc_stride=None).doc_stride == (24 - 3 - 6) // 2
    pre = make()
    with pytest.raises(DataError, match="Received: 2 questions and 1 contexts"):
        pre.encode_windows(["a", "b"], ["c"])
    with pytest.raises(DataError, match=r"contexts\[1\]=' '"):
        pre.encode_windows(["a", "b"], ["c", " "])
    with pytest.raises(DataError, match="0 questions"):
        pre.encode_windows([], [])
    windows = pre.encode_windows(["a"], ["c"])
    with pytest.raises(DataError, match="1 questions and 2 answers"):
        pre.encode_targets(windows, ["c"], [None, None])


def test_save_load_keeps_window_settings(tmp_path):
    pre = make(doc_stride=5, max_question_length=7)
    pre.save(str(tmp_path))
    loaded = QuestionAnswererPreprocessor.load(str(tmp_path))
    assert (loaded.doc_stride, loaded.max_question_length, loaded.sequence_length) == (5, 7, 24)


def test_real_squad_answers_map_back_through_minilm_offsets(shared_data):
    """On real SQuAD text with the MiniLM WordPiece tokenizer, the target
    tokens of (nearly) every answer give back exactly the answer text."""
    data = read_squad(shared_data("squad_v1.1", "eval.json")).subset(range(300))
    tokenizer = Tokenizer.from_directory(preset_directory("minilm-l6"))
    pre = QuestionAnswererPreprocessor(tokenizer, sequence_length=128, doc_stride=32)
    windows = pre.encode_windows(data.questions, data.contexts)
    assert len(windows) > len(data)  # long contexts give several windows
    targets = pre.encode_targets(windows, data.contexts, data.answers)
    exact, found = 0, set()
    for w, i in enumerate(windows.example_index):
        s, e = targets[w]
        if s == 0:
            continue
        found.add(int(i))
        text = data.contexts[i][windows.offsets[w][s, 0]:windows.offsets[w][e, 1]]
        assert data.answers[i][0]["text"].strip() in text
        exact += text == data.answers[i][0]["text"].strip()
    assert len(found) == len(data)
    # the rest are annotation slips (answers that start inside a word)
    assert exact >= 0.99 * np.count_nonzero(targets[:, 0])
