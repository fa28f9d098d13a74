"""Token classification (NER): word windows in, entity spans out.

Numpy only (see `kerasft.decoding`): deployment runners load this file by
path without TensorFlow or kerasft. A `TokenClassifier` model maps sub-word
token ids to per-token tag probabilities; around it:

1. `split_words(text)` cuts raw text into words with exact character offsets.
2. The checkpoint's fast tokenizer encodes the words pre-split
   (`tokenizers`: `encode(words, is_pretokenized=True,
   add_special_tokens=False)`), giving sub-token ids and `word_ids`.
3. `plan_windows` cuts long sentences into overlapping windows that fit the
   model and decides, for every word, which window labels it: the one where
   the word's first sub-token is most central (ties: the earliest). Each
   window gets the checkpoint's special tokens around it (`window_inputs`).
4. The model's probabilities at those first sub-tokens become per-word
   probabilities (`merge_windows`); words that produced no sub-token (only
   characters the tokenizer drops) get none and are tagged `O`.
5. `decode_entities` takes the argmax tag of each word, repairs IOB2 (an
   `I-X` that continues nothing starts an entity, as conlleval reads it)
   and returns entities with type, text, character start/end (so that
   `text[start:end] == entity["text"]`) and a score: the mean (or min) over
   the entity's words of the probability of each word's predicted tag.

Entry points: `prepare` (steps 1-3 over raw texts, for runners) and
`decode` (steps 4-5). `task_config`: `labels` (the IOB2 tags in output
order), `window_overlap`, `padding_side` (`"right"`, XLNet `"left"`) and
optionally `aggregation`; the output is `probabilities`,
`[windows, length, num_tags]`.
"""

import re

import numpy as np

IGNORE_INDEX = -100
INPUT_FIELDS = ("text",)
WINDOWED = True
# Words: dotted abbreviations (U.S.), numbers with separators (3.5, 1,000),
# word characters joined by hyphens or apostrophes (Jean-Pierre, O'Neil),
# else any single non-space character (punctuation, symbols).
WORD_PATTERN = re.compile(
    r"(?:[^\W\d_]\.){2,}|\d+(?:[.,:/]\d+)+|\w+(?:[-'\u2019]\w+)*|[^\w\s]", re.UNICODE)


def split_words(text):
    """Raw text -> `(words, offsets)`; `text[s:e] == word` for each `(s, e)`.

    Example:

    >>> split_words("Mr. Blair visited the U.S. in 1999, didn't he?")[0]
    ['Mr', '.', 'Blair', 'visited', 'the', 'U.S.', 'in', '1999', ',', "didn't", 'he', '?']
    """
    matches = list(WORD_PATTERN.finditer(text))
    return [m.group() for m in matches], [(m.start(), m.end()) for m in matches]


def plan_windows(word_ids, budget, overlap):
    """Plans windows over a sentence's sub-tokens (special tokens excluded).

    Args:
        word_ids: 1-D int array. Word index of each sub-token.
        budget: int. Sub-tokens per window (the sequence length minus the
            special tokens).
        overlap: int. Sub-tokens shared by consecutive windows, in
            `[0, budget)`. Windows start at a word's first sub-token where
            that still moves forward; the last one ends with the sentence.
            A word is labelled in the window that gives its first sub-token
            the most context on its poorer side (a sentence end counts as
            unlimited context); ties go to the earlier window.

    Returns:
        list of `(start, end, word_index)`: the window covers sub-tokens
        `[start, end)`; `word_index[k]` is the word that sub-token
        `start + k` labels, or -1 (continuation sub-tokens, and words that
        another window labels). Windows that would label no word are left
        out (but a sentence always keeps one window).
    """
    word_ids = np.asarray(word_ids, dtype="int64")
    n = len(word_ids)
    starts = [0]
    step = max(budget - overlap, 1)
    while starts[-1] + budget < n:
        previous = starts[-1]
        target = previous + step
        start = target
        if target + budget >= n:
            # The last window ends with the sentence: start at or after the
            # first word that begins in the last `budget` sub-tokens.
            target = start = n - budget
            while start < previous + budget and word_ids[start] == word_ids[start - 1]:
                start += 1
            if word_ids[start] == word_ids[start - 1]:
                start = target
        else:
            while start > previous + 1 and word_ids[start - 1] == word_ids[target]:
                start -= 1
            if word_ids[start - 1] == word_ids[target]:
                start = target  # a word longer than the window: cut inside it
        starts.append(start)
    windows = [(s, min(s + budget, n)) for s in starts]
    first = np.ones(n, dtype=bool)
    first[1:] = word_ids[1:] != word_ids[:-1]
    indices = [np.full(e - s, -1, dtype="int32") for s, e in windows]
    for position in np.flatnonzero(first):
        best, best_margin = None, -1
        for k, (s, e) in enumerate(windows):
            if s <= position < e:
                # Context on each side; the sentence's own ends cut nothing.
                margin = min(position - s if s > 0 else n, e - 1 - position if e < n else n)
                if margin > best_margin:
                    best, best_margin = k, margin
        indices[best][position - windows[best][0]] = word_ids[position]
    planned = [(s, e, index) for (s, e), index in zip(windows, indices)]
    # A window where no word is most central labels nothing: drop it.
    return [w for w in planned if (w[2] >= 0).any()] or planned[:1]


def window_inputs(token_ids, word_ids, sequence_length, prefix=(), suffix=(),
                  prefix_types=None, suffix_types=None, overlap=None):
    """Model inputs for one sentence: one dict per window.

    Args:
        token_ids, word_ids: 1-D int arrays of the sentence's sub-tokens
            without special tokens.
        sequence_length: int. Tokens per window, special tokens included.
        prefix, suffix: special token ids around each window (BERT:
            `[CLS]`, `[SEP]`).
        prefix_types, suffix_types: segment ids of the special tokens
            (default 0).
        overlap: int or None. See `plan_windows`; None is half a window.

    Returns:
        list of dicts with int32 arrays `token_ids`, `segment_ids`,
        `padding_mask` and `word_index` (-1 on special tokens).
    """
    budget = sequence_length - len(prefix) - len(suffix)
    if budget < 1:
        raise ValueError(
            f"Expected room for at least one token besides the {len(prefix) + len(suffix)} "
            f"special tokens. Received: sequence_length={sequence_length}."
        )
    overlap = budget // 2 if overlap is None else min(int(overlap), budget - 1)
    token_ids = np.asarray(token_ids, dtype="int32")
    pre_types = np.zeros(len(prefix), "int32") if prefix_types is None else prefix_types
    suf_types = np.zeros(len(suffix), "int32") if suffix_types is None else suffix_types
    out = []
    for start, end, index in plan_windows(word_ids, budget, overlap):
        ids = np.concatenate([prefix, token_ids[start:end], suffix]).astype("int32")
        out.append({
            "token_ids": ids,
            "segment_ids": np.concatenate(
                [pre_types, np.zeros(end - start, "int32"), suf_types]).astype("int32"),
            "padding_mask": np.ones(len(ids), "int32"),
            "word_index": np.concatenate([np.full(len(prefix), -1), index,
                                          np.full(len(suffix), -1)]).astype("int32"),
        })
    return out


def special_template(tokenizer):
    """Special tokens a `tokenizers.Tokenizer` puts around one sentence.

    Returns:
        `(prefix_ids, suffix_ids, prefix_segment_ids, suffix_segment_ids)`,
        int32 arrays (BERT: `[CLS]` and `[SEP]`; GPT-2: empty).
    """
    enc = tokenizer.encode(["a"], is_pretokenized=True)
    special = np.asarray(enc.special_tokens_mask, dtype=bool)
    content = np.flatnonzero(~special)
    first, last = (content[0], content[-1] + 1) if len(content) else (len(special),) * 2
    ids = np.asarray(enc.ids, dtype="int32")
    types = np.asarray(enc.type_ids, dtype="int32")
    return ids[:first], ids[last:], types[:first], types[last:]


def merge_windows(probabilities, word_indices, num_words):
    """Per-token probabilities of a sentence's windows -> per-word ones.

    Args:
        probabilities: list of `[length_k, num_tags]` arrays (padding may
            follow the real tokens; left padding is not supported here:
            strip it first).
        word_indices: list of 1-D int arrays, `word_index` of each window.
        num_words: int.

    Returns:
        float32 array `[num_words, num_tags]`; rows of words that no window
        labels are NaN.
    """
    num_tags = np.shape(probabilities[0])[-1]
    out = np.full((num_words, num_tags), np.nan, dtype="float32")
    for probs, index in zip(probabilities, word_indices):
        positions = np.flatnonzero(np.asarray(index) >= 0)
        out[np.asarray(index)[positions]] = np.asarray(probs)[positions]
    return out


def tags_to_spans(tags):
    """IOB2 tags (repaired leniently) -> `[(type, start, end), ...]`, end exclusive.

    Example:

    >>> tags_to_spans(["B-PER", "I-PER", "O", "I-LOC", "B-LOC"])
    [('PER', 0, 2), ('LOC', 3, 4), ('LOC', 4, 5)]
    """
    spans = []
    for i, tag in enumerate(tags):
        prefix, _, kind = tag.partition("-")
        if tag == "O" or not kind:
            continue
        if prefix == "I" and spans and spans[-1][0] == kind and spans[-1][2] == i:
            spans[-1] = (kind, spans[-1][1], i + 1)
        else:
            spans.append((kind, i, i + 1))
    return spans


def decode_words(word_probabilities, tags):
    """Per-word `(tags, scores)`: argmax tag and its probability ("O", nan
    for words without probabilities)."""
    probs = np.asarray(word_probabilities, dtype="float32")
    known = ~np.isnan(probs).any(axis=-1)
    best = np.where(known, np.nan_to_num(probs).argmax(-1), 0)
    outside = tags.index("O") if "O" in tags else 0
    names = [tags[b] if k else tags[outside] for b, k in zip(best, known)]
    scores = np.where(known, np.nan_to_num(probs)[np.arange(len(best)), best], np.nan)
    return names, scores


def decode_entities(word_probabilities, tags, words, offsets=None, text=None,
                    aggregation="mean"):
    """Entities of one sentence.

    Args:
        word_probabilities: `[num_words, num_tags]` (see `merge_windows`).
        tags: list of str. The model's IOB2 tags in output order.
        words: list of str.
        offsets: list of `(start, end)` character offsets of the words in
            `text`, or None (pre-split input: no character offsets).
        text: str or None. The original text.
        aggregation: `"mean"` or `"min"` of the words' tag probabilities.

    Returns:
        list of dicts: `type`, `text`, `word_start`, `word_end` (exclusive),
        `score` and, with offsets, `start`/`end` character offsets.
    """
    if aggregation not in ("mean", "min"):
        raise ValueError(
            f"`aggregation` must be 'mean' or 'min'. Received: aggregation={aggregation!r}"
        )
    names, scores = decode_words(word_probabilities, tags)
    entities = []
    for kind, start, end in tags_to_spans(names):
        span_scores = scores[start:end]
        reduce = np.nanmean if aggregation == "mean" else np.nanmin
        entity = {"type": kind, "word_start": start, "word_end": end,
                  "score": float(reduce(span_scores))}
        if offsets is not None:
            entity["start"], entity["end"] = int(offsets[start][0]), int(offsets[end - 1][1])
            entity["text"] = text[entity["start"]:entity["end"]]
        else:
            entity["text"] = " ".join(words[start:end])
        entities.append(entity)
    return entities


def pad_windows(windows, length, pad_id=0, padding_side="right"):
    """`window_inputs` dicts -> int32 `[windows, length]` model inputs."""
    out = {}
    for name, pad in (("token_ids", pad_id), ("segment_ids", 0), ("padding_mask", 0)):
        dense = np.full((len(windows), length), pad, dtype="int32")
        for i, window in enumerate(windows):
            n = len(window[name])
            if padding_side == "left":
                dense[i, length - n:] = window[name]
            else:
                dense[i, :n] = window[name]
        out[name] = dense
    return out


def prepare(inputs, tokenizer, task_config, sequence_length, pad_id=0):
    """Raw texts -> the windows of all texts as one batch of model inputs.

    Args:
        inputs: list of str.
        tokenizer: `tokenizers.Tokenizer` of the export (`tokenizer.json`),
            without truncation or padding enabled.
        task_config: dict. `window_overlap` (None: half a window) and
            `padding_side`.
        sequence_length: int. Tokens per window, special tokens included.
        pad_id: int. The padding token id.

    Returns:
        `(features, state)`: int32 `[windows, sequence_length]` arrays
        `token_ids`, `segment_ids`, `padding_mask`, and what `decode` needs
        (`sentence` and `word_index` of each window, `words`, `offsets`,
        `texts`). A text without words gets no window.
    """
    texts = list(inputs)
    template = special_template(tokenizer)
    windows, sentence, words_of, offsets_of = [], [], [], []
    for i, text in enumerate(texts):
        words, offsets = split_words(text)
        words_of.append(words)
        offsets_of.append(offsets)
        if not words:
            continue
        enc = tokenizer.encode(words, is_pretokenized=True, add_special_tokens=False)
        word_ids = [-1 if w is None else w for w in enc.word_ids]
        for window in window_inputs(enc.ids, word_ids, sequence_length, *template,
                                    overlap=task_config.get("window_overlap")):
            windows.append(window)
            sentence.append(i)
    features = pad_windows(windows, sequence_length, pad_id,
                           task_config.get("padding_side", "right"))
    state = {"sentence": sentence, "word_index": [w["word_index"] for w in windows],
             "words": words_of, "offsets": offsets_of, "texts": texts}
    return features, state


def word_probabilities(outputs, task_config, state):
    """Per-window `probabilities` -> one `[num_words, num_tags]` array per
    input (see `merge_windows`). Rows may be padded to any length on the
    `padding_side`; each window's real length is its `word_index`'s."""
    left = task_config.get("padding_side", "right") == "left"
    rows = outputs["probabilities"] if len(state["sentence"]) else []
    grouped = [[] for _ in state["words"]]
    for k, s in enumerate(state["sentence"]):
        grouped[int(s)].append(k)
    out = []
    for ks, words in zip(grouped, state["words"]):
        if not ks:
            out.append(np.full((len(words), len(task_config["labels"])), np.nan, "float32"))
            continue
        probabilities = []
        for k in ks:
            n, row = len(state["word_index"][k]), np.asarray(rows[k])
            probabilities.append(row[len(row) - n:] if left else row[:n])
        out.append(merge_windows(probabilities, [state["word_index"][k] for k in ks],
                                 len(words)))
    return out


def decode(outputs, task_config, state):
    """Window probabilities -> `{"entities": [...]}` per input.

    Args:
        outputs: dict. `probabilities`: per window, `[length, num_tags]`.
        task_config: dict. `labels` (IOB2 tags), `padding_side`, and
            `aggregation` (`"mean"`, the default, or `"min"`).
        state: what `prepare` returned; for pre-split sentences `offsets`
            and `texts` are None (entities then have no character offsets).

    Returns:
        list of dicts, one per input, see `decode_entities`.
    """
    tags = list(task_config["labels"])
    aggregation = task_config.get("aggregation", "mean")
    offsets, texts = state.get("offsets"), state.get("texts")
    return [{"entities": decode_entities(
                p, tags, words, None if offsets is None else offsets[i],
                None if texts is None else texts[i], aggregation)}
            for i, (p, words) in enumerate(zip(word_probabilities(outputs, task_config, state),
                                               state["words"]))]


def format_record(result):
    """The text, then `TYPE:text@start-end` per entity, tab-separated."""
    return "\t".join([result["text"]] + [f"{e['type']}:{e['text']}@{e['start']}-{e['end']}"
                                         for e in result["entities"]])


def predict_entities(text, tokenizer, run, tags, sequence_length, overlap=None,
                     aggregation="mean", pad_id=0, padding_side="right"):
    """Entities of one raw text with any runtime: `prepare`, `run` each
    window (a dict of int32 `[1, sequence_length]` inputs -> probabilities
    `[1, sequence_length, num_tags]`), `decode`. `tags` are the IOB2 tags
    (`labels.json`), `overlap` the `window_overlap` (None: half a window),
    `padding_side` `"right"` or `"left"` (XLNet). Returns the entity dicts
    of `decode_entities`."""
    config = {"labels": tags, "window_overlap": overlap, "padding_side": padding_side,
              "aggregation": aggregation}
    features, state = prepare([text], tokenizer, config, sequence_length, pad_id)
    rows = [np.asarray(run({k: v[i:i + 1] for k, v in features.items()}))[0]
            for i in range(len(state["sentence"]))]
    return decode({"probabilities": rows}, config, state)[0]["entities"]
