"""Windows in, answers out: the numpy side of extractive question answering.

This module imports only numpy and the standard library, so deployment
runners that have neither TensorFlow nor kerasft (LiteRT, ONNX Runtime)
load it by path and answer exactly as the Keras model does.

Conventions (shared by `kerasft.QuestionAnswerer` and any runner):

- A window is `[CLS] question [SEP] context-slice [SEP]` (or the
  checkpoint's own pair template), at most `sequence_length` tokens.
  Questions are cut to `max_question_length` tokens first. Consecutive
  windows of one context share `doc_stride` tokens (the Hugging Face
  `stride` meaning: overlap, not step).
- The CLS token is the no-answer position: position 0, or the last real
  token for templates that end with it (XLNet; `cls_indices`); `context_mask` marks the
  tokens of the context, `offsets` maps each token to `[start, end)`
  characters of its context.
- A model returns `start_logits` and `end_logits` of shape `[length]` per
  window. Scores are sums of start and end logits; across the windows of
  one example the best-scoring span wins. The no-answer score is the
  smallest CLS score over the windows (as in the SQuAD 2.0 reference
  implementation); with `version_2_with_negative`, the answer is empty when
  `null_score - best_span_score > null_score_diff_threshold`.

Entry points: `prepare` ((question, context) pairs -> padded windows, for
runners) and `decode` (logits -> answers). `task_config`: `doc_stride`,
`max_question_length`, `n_best_size`, `max_answer_length`,
`version_2_with_negative`, `null_score_diff_threshold`, `cls_position` and
optionally `return_n_best`; the outputs are `start_logits` and
`end_logits`, `[windows, length]`.
"""

import numpy as np

CLS_INDEX = 0
INPUT_FIELDS = ("question", "context")
WINDOWED = True


def window_encodings(tokenizer, questions, contexts, sequence_length, doc_stride,
                     max_question_length):
    """Tokenizes question/context pairs into overlapping windows.

    Args:
        tokenizer: a `tokenizers.Tokenizer` (Hugging Face, Rust) with the
            checkpoint's pair template. Its truncation setting is restored
            afterwards.
        questions, contexts: lists of str, one pair per example.
        sequence_length: int. Tokens per window, special tokens included.
        doc_stride: int. Tokens shared by consecutive windows.
        max_question_length: int. Questions are cut to this many tokens.

    Returns:
        dict of per-window lists: `"token_ids"`, `"type_ids"`,
        `"padding_mask"` (int32 `[length]`), `"offsets"` (int32
        `[length, 2]`, characters of the context; `(0, 0)` outside it),
        `"context_mask"` (bool `[length]`), and `"example_index"` (int64
        array: the example each window comes from).
    """
    questions = _cut_questions(tokenizer, questions, max_question_length)
    previous = tokenizer.truncation
    tokenizer.enable_truncation(sequence_length, stride=doc_stride, strategy="only_second")
    try:
        encodings = tokenizer.encode_batch(list(zip(questions, contexts)))
    finally:
        if previous:
            tokenizer.enable_truncation(**previous)
        else:
            tokenizer.no_truncation()
    out = {k: [] for k in ("token_ids", "type_ids", "padding_mask", "offsets",
                           "context_mask")}
    example_index = []
    for i, first in enumerate(encodings):
        for enc in [first] + list(first.overflowing):
            context = np.array([s == 1 for s in enc.sequence_ids], dtype=bool)
            offsets = np.asarray(enc.offsets, dtype="int32").reshape(-1, 2)
            offsets[~context] = 0
            out["token_ids"].append(np.asarray(enc.ids, dtype="int32"))
            out["type_ids"].append(np.asarray(enc.type_ids, dtype="int32"))
            out["padding_mask"].append(np.asarray(enc.attention_mask, dtype="int32"))
            out["offsets"].append(offsets)
            out["context_mask"].append(context)
            example_index.append(i)
    out["example_index"] = np.asarray(example_index, dtype="int64")
    return out


def _cut_questions(tokenizer, questions, max_question_length):
    """Cuts each question after its `max_question_length`-th token."""
    previous = tokenizer.truncation
    tokenizer.no_truncation()
    try:
        encodings = tokenizer.encode_batch(list(questions), add_special_tokens=False)
    finally:
        if previous:
            tokenizer.enable_truncation(**previous)
    cut = []
    for question, enc in zip(questions, encodings):
        if len(enc.ids) > max_question_length:
            question = question[:enc.offsets[max_question_length - 1][1]]
        cut.append(question)
    return cut


def segments_from_context(context_mask, padding_mask):
    """BERT-style segment ids: 1 from the first context token to the last
    real token (the closing special token), 0 before. For backbones whose
    tokenizer has no segment ids of its own (RoBERTa, DistilBERT)."""
    segments = np.zeros(len(context_mask), dtype="int32")
    context = np.flatnonzero(context_mask)
    real = np.flatnonzero(padding_mask)
    if context.size:
        segments[context[0]:real[-1] + 1] = 1
    return segments


def top_spans(start_logits, end_logits, context_mask, n_best_size=20,
              max_answer_length=30):
    """The best `(start, end, score)` token spans of one window, best first.

    Starts and ends are drawn from the `n_best_size` highest logits over
    the context; a span is kept when `start <= end` and it is at most
    `max_answer_length` tokens long. `score = start_logit + end_logit`.
    """
    start_logits = np.asarray(start_logits, dtype="float64")
    end_logits = np.asarray(end_logits, dtype="float64")
    context = np.flatnonzero(np.asarray(context_mask, dtype=bool)[:len(start_logits)])
    if context.size == 0:
        return []
    starts = context[np.argsort(-start_logits[context], kind="stable")[:n_best_size]]
    ends = context[np.argsort(-end_logits[context], kind="stable")[:n_best_size]]
    s, e = np.meshgrid(starts, ends, indexing="ij")
    s, e = s.ravel(), e.ravel()
    keep = (e >= s) & (e - s + 1 <= max_answer_length)
    s, e = s[keep], e[keep]
    scores = start_logits[s] + end_logits[e]
    order = np.argsort(-scores, kind="stable")[:n_best_size]
    return [(int(s[i]), int(e[i]), float(scores[i])) for i in order]


def _softmax(scores):
    scores = np.asarray(scores, dtype="float64")
    if scores.size == 0:
        return scores
    exp = np.exp(scores - scores.max())
    return exp / exp.sum()


def cls_indices(token_ids, cls_position="first"):
    """The no-answer (CLS) position of each window: 0 when the checkpoint's
    pair template starts with its CLS token (BERT, RoBERTa...), the last
    real token when it ends with it (XLNet: `q <sep> c <sep> <cls>`)."""
    if cls_position not in ("first", "last"):
        raise ValueError(f"cls_position must be 'first' or 'last'. Received: {cls_position!r}")
    return [CLS_INDEX if cls_position == "first" else len(ids) - 1 for ids in token_ids]


def decode_answers(start_logits, end_logits, offsets, context_masks, example_index,
                   contexts, n_best_size=20, max_answer_length=30,
                   version_2_with_negative=False, null_score_diff_threshold=0.0,
                   return_n_best=False, cls_index=None):
    """Turns per-window logits into one answer per example.

    Args:
        start_logits, end_logits: sequences of 1-D float arrays, one per
            window (at least as long as the window's real tokens).
        offsets: sequence of int `[length, 2]` arrays (characters in the
            window's context).
        context_masks: sequence of bool `[length]` arrays.
        example_index: int array, the example of each window.
        contexts: list of str, one per example.
        n_best_size: int. Start and end candidates per window, and the size
            of the n-best list. Defaults to 20.
        max_answer_length: int. Longest answer in tokens. Defaults to 30.
        version_2_with_negative: bool. Allow "no answer" (SQuAD 2.0).
            Defaults to False.
        null_score_diff_threshold: float. Answer "no answer" when the null
            score beats the best span by more than this. Defaults to 0.0.
        return_n_best: bool. Add the `"n_best"` list to each answer.
        cls_index: sequence of int or None. The no-answer position of each
            window (`cls_indices`); None is position 0 everywhere.

    Returns:
        list of dicts, one per example: `"answer"` (str, `""` for no
        answer), `"start"`/`"end"` (character offsets in the context, None
        for no answer; `context[start:end] == answer`), `"score"` (start +
        end logit of the span, or the null score) and `"probability"`
        (softmax over the n-best candidates, no-answer included).

    Raises:
        ValueError: the per-window inputs disagree in length.
    """
    n_windows = len(example_index)
    lengths = {len(start_logits), len(end_logits), len(offsets), len(context_masks)}
    if lengths != {n_windows}:
        raise ValueError(
            "Expected one start/end logit row, offsets row and context mask per "
            f"window. Received: {len(start_logits)} start rows, {len(end_logits)} "
            f"end rows, {len(offsets)} offsets, {len(context_masks)} masks and "
            f"{n_windows} windows. Pass the outputs of one `window_encodings` call."
        )
    windows_of = [[] for _ in contexts]
    for w, i in enumerate(np.asarray(example_index)):
        windows_of[int(i)].append(w)
    results = []
    for i, context in enumerate(contexts):
        candidates = {}
        null_score = None
        for w in windows_of[i]:
            cls = CLS_INDEX if cls_index is None else int(cls_index[w])
            null = float(start_logits[w][cls]) + float(end_logits[w][cls])
            null_score = null if null_score is None else min(null_score, null)
            for s, e, score in top_spans(start_logits[w], end_logits[w], context_masks[w],
                                         n_best_size, max_answer_length):
                char_start, char_end = int(offsets[w][s][0]), int(offsets[w][e][1])
                key = (char_start, char_end)
                if key not in candidates or candidates[key] < score:
                    candidates[key] = score
        spans = sorted(candidates.items(), key=lambda kv: -kv[1])[:n_best_size]
        n_best = [{"answer": context[a:b], "start": a, "end": b, "score": score}
                  for (a, b), score in spans]
        if version_2_with_negative and null_score is not None:
            n_best.append({"answer": "", "start": None, "end": None, "score": null_score})
            n_best.sort(key=lambda c: -c["score"])
        for candidate, p in zip(n_best, _softmax([c["score"] for c in n_best])):
            candidate["probability"] = float(p)
        best_span = next((c for c in n_best if c["start"] is not None), None)
        null = next((c for c in n_best if c["start"] is None), None)
        if best_span is None or (
                null is not None
                and null["score"] - best_span["score"] > null_score_diff_threshold):
            best = null or {"answer": "", "start": None, "end": None,
                            "score": float("-inf"), "probability": 0.0}
        else:
            best = best_span
        result = dict(best)
        if return_n_best:
            result["n_best"] = n_best
        results.append(result)
    return results


def prepare(inputs, tokenizer, task_config, sequence_length, pad_id=0):
    """`(question, context)` pairs -> their windows as one batch of inputs.

    Args:
        inputs: list of `(question, context)` pairs of str.
        tokenizer: `tokenizers.Tokenizer` of the export, with its pair
            template.
        task_config: dict. `doc_stride`, `max_question_length`,
            `cls_position`.
        sequence_length: int. Tokens per window; windows are right-padded
            to it with `pad_id`.

    Returns:
        `(features, state)`: int32 `[windows, sequence_length]` arrays
        `token_ids`, `segment_ids`, `padding_mask`, and what `decode` needs
        (`offsets`, `context_mask`, `example_index`, `contexts`,
        `cls_index`).

    Raises:
        ValueError: an input is not a pair.
    """
    pairs = list(inputs)
    bad = [p for p in pairs if not (isinstance(p, (tuple, list)) and len(p) == 2)]
    if bad:
        raise ValueError(
            "Question answering takes (question, context) pairs. Received: "
            f"{bad[0]!r}. Pass each context with its question (runners: --question).")
    contexts = [c for _, c in pairs]
    windows = window_encodings(tokenizer, [q for q, _ in pairs], contexts, sequence_length,
                               task_config["doc_stride"], task_config["max_question_length"])
    n = len(windows["token_ids"])
    features = {"token_ids": np.full((n, sequence_length), pad_id, dtype="int32"),
                "segment_ids": np.zeros((n, sequence_length), dtype="int32"),
                "padding_mask": np.zeros((n, sequence_length), dtype="int32")}
    for w, ids in enumerate(windows["token_ids"]):
        features["token_ids"][w, :len(ids)] = ids
        features["segment_ids"][w, :len(ids)] = windows["type_ids"][w]
        features["padding_mask"][w, :len(ids)] = windows["padding_mask"][w]
    state = {"offsets": windows["offsets"], "context_mask": windows["context_mask"],
             "example_index": windows["example_index"], "contexts": contexts,
             "cls_index": cls_indices(windows["token_ids"],
                                      task_config.get("cls_position", "first"))}
    return features, state


def decode(outputs, task_config, state):
    """Per-window logits -> one answer per input (see `decode_answers`).

    Args:
        outputs: dict. `start_logits`, `end_logits`: per window, `[length]`
            (padding after the real tokens is ignored).
        task_config: dict. `n_best_size`, `max_answer_length`,
            `version_2_with_negative`, `null_score_diff_threshold`, and
            `return_n_best` (default False).
        state: what `prepare` returned (`cls_index` None: position 0).

    Returns:
        list of answer dicts: `answer`, `start`, `end`, `score`,
        `probability` (and `n_best`).
    """
    return decode_answers(
        list(outputs["start_logits"]), list(outputs["end_logits"]), state["offsets"],
        state["context_mask"], state["example_index"], state["contexts"],
        n_best_size=task_config["n_best_size"],
        max_answer_length=task_config["max_answer_length"],
        version_2_with_negative=task_config["version_2_with_negative"],
        null_score_diff_threshold=task_config["null_score_diff_threshold"],
        return_n_best=task_config.get("return_n_best", False),
        cls_index=state.get("cls_index"))


def format_record(result):
    """`answer<TAB>score<TAB>context`."""
    return f"{result['answer']}\t{result['score']:.4f}\t{result['context']}"
