"""Question/context pairs -> overlapping windows, offsets and span targets."""

import numpy as np

from kerasft.decoding.qa import (CLS_INDEX, cls_indices, segments_from_context,
                                 window_encodings)
from kerasft.errors import ConfigError, DataError
from kerasft.preprocessors.text_preprocessor import TextPreprocessor

INPUT_NAMES = ("token_ids", "segment_ids", "padding_mask")


class QAWindows:
    """The windows of a batch of question/context pairs.

    Attributes:
        features: dict of model input name -> list of int32 arrays (unpadded).
        offsets: list of int32 `[length, 2]` arrays, characters of the context.
        context_mask: list of bool arrays, True on context tokens.
        example_index: int64 array, the example of each window.
    """

    def __init__(self, features, offsets, context_mask, example_index):
        self.features = features
        self.offsets = offsets
        self.context_mask = context_mask
        self.example_index = example_index

    def __len__(self):
        return len(self.example_index)


def check_pairs(questions, contexts):
    """Validates questions and contexts; returns them as lists.

    Raises:
        DataError: different lengths, no examples, or an empty or
            non-string question or context (names the index).
    """
    questions, contexts = list(questions), list(contexts)
    if len(questions) != len(contexts):
        raise DataError(
            "Expected one context per question. Received: "
            f"{len(questions)} questions and {len(contexts)} contexts."
        )
    if not questions:
        raise DataError("The dataset is empty. Received: 0 questions. Pass at least one.")
    for name, values in (("question", questions), ("context", contexts)):
        for i, value in enumerate(values):
            if not isinstance(value, str) or not value.strip():
                raise DataError(
                    f"Expected a non-empty string for every {name}. Received: "
                    f"{name}s[{i}]={value!r}. Fill it in or drop the example."
                )
    return questions, contexts


def answer_char_span(answer, context, index=None):
    """`(start, end)` characters of a gold answer, whitespace trimmed, or None.

    `answer` is a `{"text", "answer_start"}` dict, a list of them (the
    first is used), or None / `[]` for no answer.

    Raises:
        DataError: the answer is malformed or not at its offset.
    """
    if isinstance(answer, (list, tuple)):
        answer = answer[0] if len(answer) else None
    if answer is None:
        return None
    text = answer.get("text") if isinstance(answer, dict) else None
    start = answer.get("answer_start") if isinstance(answer, dict) else None
    where = "" if index is None else f" at y[{index}]"
    if not isinstance(text, str) or not isinstance(start, (int, np.integer)):
        raise DataError(
            "Expected answers as {'text': str, 'answer_start': int} dicts (or a "
            f"list of them, or None for no answer). Received{where}: {answer!r}."
        )
    if context[start:start + len(text)] != text:
        raise DataError(
            f"Expected the answer text at its answer_start offset in the context. "
            f"Received{where}: text={text!r}, answer_start={start}, but the context "
            f"holds {context[start:start + len(text)]!r} there. Fix answer_start."
        )
    end = start + len(text)
    while start < end and context[start].isspace():
        start += 1
    while end > start and context[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def span_to_tokens(offsets, context_mask, char_start, char_end, cls_index=CLS_INDEX):
    """Token `(start, end)` of a character span in one window; `(cls, cls)`
    when the span is not wholly inside the window's context."""
    context = np.flatnonzero(context_mask)
    if context.size == 0:
        return cls_index, cls_index
    starts, ends = offsets[context, 0], offsets[context, 1]
    if starts[0] > char_start or ends[-1] < char_end:
        return cls_index, cls_index
    first = np.searchsorted(starts, char_start, side="right") - 1
    last = np.searchsorted(ends, char_end, side="left")
    return int(context[first]), int(context[last])


class QuestionAnswererPreprocessor(TextPreprocessor):
    """Tokenizes question/context pairs into windows for a QA model.

    Each window is `[CLS] question [SEP] context-slice [SEP]`; long contexts
    give several windows that overlap by `doc_stride` tokens.

    Args:
        tokenizer: `kerasft.tokenizers.Tokenizer` (right padding).
        sequence_length: int. Tokens per window. Defaults to 384.
        input_names: list of str. Model inputs; always `token_ids`,
            `segment_ids`, `padding_mask` (segment ids also mark the
            context for the output mask, even if the backbone ignores them).
        max_sequence_length: int or None. The backbone's limit.
        doc_stride: int or None. Tokens shared by consecutive windows of one
            context. None: `min(128, room // 2)` where room is what is left
            of a window after the question and special tokens.
        max_question_length: int. Questions are cut to this many tokens.
            Defaults to 64.
        segments_from_tokenizer: bool. Use the tokenizer's type ids as
            segment ids (backbones with a segment embedding). Otherwise
            segment ids are 1 from the context on. Defaults to True.
    """

    def __init__(self, tokenizer, sequence_length=384, input_names=None,
                 max_sequence_length=None, doc_stride=None, max_question_length=64,
                 segments_from_tokenizer=True):
        super().__init__(tokenizer, sequence_length=sequence_length,
                         input_names=list(INPUT_NAMES),
                         max_sequence_length=max_sequence_length)
        specials = tokenizer.tokenizer.num_special_tokens_to_add(True)
        if not isinstance(max_question_length, int) or max_question_length < 1:
            raise ConfigError(
                "`max_question_length` must be a positive integer. Received: "
                f"max_question_length={max_question_length!r}."
            )
        room = sequence_length - specials - max_question_length
        if room < 2:
            raise ConfigError(
                f"A window of sequence_length={sequence_length} leaves no room for "
                f"context after {specials} special tokens and a question of up to "
                f"max_question_length={max_question_length} tokens. Received: "
                f"sequence_length={sequence_length}. Raise sequence_length or lower "
                "max_question_length."
            )
        if doc_stride is None:
            doc_stride = min(128, room // 2)
        if not isinstance(doc_stride, int) or not 0 <= doc_stride < room:
            raise ConfigError(
                f"`doc_stride` (tokens shared by consecutive windows) must be an integer "
                f"in [0, {room}) for sequence_length={sequence_length} and "
                f"max_question_length={max_question_length}. Received: "
                f"doc_stride={doc_stride!r}. Lower doc_stride or raise sequence_length."
            )
        self.doc_stride = doc_stride
        self.max_question_length = max_question_length
        self.segments_from_tokenizer = bool(segments_from_tokenizer)
        self.cls_position = self._cls_position()
        if self.segments_from_tokenizer:
            probe = self.encode_windows(["a"], ["b"])
            segments = probe.features["segment_ids"][0]
            if not np.all(segments[probe.context_mask[0]] == 1):
                raise ConfigError(
                    "Expected the tokenizer's type ids to be 1 on the context (the "
                    "second text), as BERT's are. Received: type ids "
                    f"{segments.tolist()}. Pass segments_from_tokenizer=False."
                )

    def _cls_position(self):
        """`"first"` when the pair template starts with a special token (the
        CLS of BERT, RoBERTa...), `"last"` when it ends with one but starts
        with the question (XLNet: `q <sep> c <sep> <cls>`)."""
        special = self.tokenizer.tokenizer.encode("a", "b").special_tokens_mask
        if special and special[0]:
            return "first"
        if special and special[-1]:
            return "last"
        raise ConfigError(
            "Question answering scores 'no answer' at the CLS token, first or last in "
            "the checkpoint's pair template. Received: a tokenizer that adds no special "
            f"token around a pair (special tokens mask {special}, e.g. GPT-2). Use an "
            "encoder checkpoint (BERT, RoBERTa, XLNet, ...).")

    def cls_index(self, windows):
        """The CLS (no-answer) position of each window."""
        return cls_indices(windows.features["token_ids"], self.cls_position)

    @property
    def padding_side(self):
        """Windows are always right-padded, so every position keeps its
        index (XLNet's relative attention gives the same states either way)."""
        return "right"

    @property
    def pad_values(self):
        return {"token_ids": self.tokenizer.pad_token_id}

    def encode_windows(self, questions, contexts):
        """Question/context pairs -> `QAWindows`.

        Raises:
            DataError: see `check_pairs`.
        """
        questions, contexts = check_pairs(questions, contexts)
        enc = window_encodings(self.tokenizer.tokenizer, questions, contexts,
                               self.sequence_length, self.doc_stride,
                               self.max_question_length)
        if self.segments_from_tokenizer:
            segments = enc["type_ids"]
        else:
            segments = [segments_from_context(c, m)
                        for c, m in zip(enc["context_mask"], enc["padding_mask"])]
        features = {"token_ids": enc["token_ids"], "segment_ids": segments,
                    "padding_mask": enc["padding_mask"]}
        return QAWindows(features, enc["offsets"], enc["context_mask"], enc["example_index"])

    def encode_targets(self, windows, contexts, answers):
        """Start/end token targets, int32 `[windows, 2]`; CLS (0, 0) where
        the window does not hold the whole answer or there is none.

        Raises:
            DataError: malformed answers, or not one answer per context.
        """
        answers = list(answers)
        if len(answers) != len(contexts):
            raise DataError(
                "Found input variables with inconsistent numbers of samples. "
                f"Received: {len(contexts)} questions and {len(answers)} answers."
            )
        spans = [answer_char_span(a, c, i) for i, (a, c) in enumerate(zip(answers, contexts))]
        cls = self.cls_index(windows)
        targets = np.tile(np.asarray(cls, dtype="int32")[:, None], (1, 2))
        for w, i in enumerate(windows.example_index):
            if spans[i] is not None:
                targets[w] = span_to_tokens(windows.offsets[w], windows.context_mask[w],
                                            *spans[i], cls_index=cls[w])
        return targets

    def make_dataset(self, features, targets=None, sample_weight=None,
                     batch_size=32, shuffle=False, seed=None, bucket=True,
                     pad_multiple=8):
        """Like `TextPreprocessor.make_dataset`; `[n, 2]` targets become
        `{"start_logits", "end_logits"}` to match the model's outputs."""
        ds, steps = super().make_dataset(
            features, targets, sample_weight, batch_size=batch_size, shuffle=shuffle,
            seed=seed, bucket=bucket, pad_multiple=pad_multiple)
        if targets is None:
            return ds, steps

        def split(x, y, *weights):
            return (x, {"start_logits": y[:, 0], "end_logits": y[:, 1]}, *weights)

        return ds.map(split), steps

    def get_config(self):
        return {
            **super().get_config(),
            "doc_stride": self.doc_stride,
            "max_question_length": self.max_question_length,
            "segments_from_tokenizer": self.segments_from_tokenizer,
        }
