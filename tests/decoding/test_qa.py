"""`kerasft.decoding.qa`: `prepare` windows, `decode` answers (the runner path)."""

import numpy as np
import pytest

from kerasft.backbones.tiny import tiny_tokenizer
from kerasft.decoding import qa

CONFIG = {"doc_stride": 4, "max_question_length": 4, "n_best_size": 5,
          "max_answer_length": 10, "version_2_with_negative": True,
          "null_score_diff_threshold": 0.0, "cls_position": "first"}
CONTEXT = "the film opened in paris . it is bob who wrote the music for it ."


def test_prepare_pads_windows_and_decode_answers_from_them():
    tokenizer = tiny_tokenizer().tokenizer
    features, state = qa.prepare([("who wrote it?", CONTEXT), ("who?", "it is kim .")],
                                 tokenizer, CONFIG, 16, pad_id=0)
    windows = len(state["example_index"])
    assert windows > 2 and sorted(set(state["example_index"].tolist())) == [0, 1]
    assert {k: v.shape for k, v in features.items()} == {
        k: (windows, 16) for k in ("token_ids", "segment_ids", "padding_mask")}
    assert state["cls_index"] == [0] * windows
    # Example 0: start and end on the tokens covering "bob"; example 1: CLS.
    start = np.full((windows, 16), -5.0)
    end = np.full((windows, 16), -5.0)
    bob = (CONTEXT.index("bob"), CONTEXT.index("bob") + 3)
    for w, (offsets, example) in enumerate(zip(state["offsets"], state["example_index"])):
        hit = np.flatnonzero((offsets[:, 0] < bob[1]) & (offsets[:, 1] > bob[0])
                             & state["context_mask"][w])
        if example == 1:
            start[w, 0] = end[w, 0] = 5.0
        elif hit.size and offsets[hit[0], 0] == bob[0] and offsets[hit[-1], 1] == bob[1]:
            start[w, hit[0]], end[w, hit[-1]] = 5.0, 5.0  # windows holding all of it
    answers = qa.decode({"start_logits": start, "end_logits": end}, CONFIG, state)
    assert answers[0]["answer"] == "bob" == CONTEXT[answers[0]["start"]:answers[0]["end"]]
    assert answers[1]["answer"] == "" and answers[1]["start"] is None
    assert qa.format_record({"context": CONTEXT, **answers[0]}).startswith("bob\t10.0000\t")


def test_return_n_best_comes_from_the_task_config():
    start = [np.array([0.0, 2.0, 1.0])]
    state = {"offsets": [np.array([[0, 0], [0, 2], [3, 5]])],
             "context_mask": [np.array([False, True, True])], "example_index": np.array([0]),
             "contexts": ["ab cd"], "cls_index": [0]}
    answer, = qa.decode({"start_logits": start, "end_logits": start},
                        {**CONFIG, "return_n_best": True}, state)
    assert answer["answer"] == "ab" and [c["answer"] for c in answer["n_best"]][:1] == ["ab"]


def test_prepare_needs_question_context_pairs():
    with pytest.raises(ValueError, match="takes \\(question, context\\) pairs. Received: "
                                         "'just a context'"):
        qa.prepare(["just a context"], tiny_tokenizer().tokenizer, CONFIG, 16)
