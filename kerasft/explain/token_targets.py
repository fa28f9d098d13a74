"""Explanation targets of the per-token tasks: entities and answers."""

import numpy as np

from kerasft.errors import ConfigError, DataError
from kerasft.explain.targets import ExplanationInput, Target
from kerasft.tasks.inputs import question_context_pairs, split_texts


def _find(haystack, needle):
    """First index where `needle` occurs in `haystack`, or -1."""
    n = len(needle)
    for p in range(len(haystack) - n + 1):
        if np.array_equal(haystack[p:p + n], needle):
            return p
    return -1


def _check_types(model, target):
    if target is None:
        return None
    types = [target] if isinstance(target, str) else list(target)
    unknown = [t for t in types if t not in model.entity_types]
    if unknown:
        raise ConfigError(
            f"Expected entity types of the model {model.entity_types} as target. Received: "
            f"target={target!r}. Pass some of those types, or target=None for all.")
    return set(types)


def entity_inputs(model, x, target=None):
    """`ExplanationInput`s of a `TokenClassifier` on raw texts: each window
    holding predicted entities (the first window when there is none), one
    target per entity: the mean over its words of the probability of its
    tag (`B-` on the first word, `I-` after) at the word's first sub-token.
    """
    types = _check_types(model, target)
    texts, pairs = split_texts(x)
    if pairs is not None:
        raise DataError("Expected single texts for token classification. Received: "
                        "sentence pairs as x. Pass one text per example.")
    sentences, offsets = model._words(texts)
    entities = model.predict(texts)
    preprocessor = model.preprocessor
    enc = preprocessor.encode_words(sentences)
    full = preprocessor.tokenizer.encode(sentences, is_pretokenized=True,
                                         add_special_tokens=False, return_offsets=True)
    prefix, suffix = preprocessor.special_tokens
    tag_index = {tag: i for i, tag in enumerate(model.tags)}
    items, covered = [], set()
    for w, s in enumerate(enc.sentence):
        ids = enc.features["token_ids"][w]
        labelled = enc.word_index[w]
        targets = []
        for e in entities[s]:
            words = range(e["word_start"], e["word_end"])
            if (types and e["type"] not in types) or not np.any(labelled == words[0]):
                continue
            weights = np.zeros((len(ids), len(model.tags)), "float32")
            for k, word in enumerate(words):
                tag = tag_index[("B-" if k == 0 else "I-") + e["type"]]
                weights[labelled == word, tag] = 1.0 / len(words)
            targets.append(Target(weights, {k: e[k] for k in ("type", "text", "start", "end",
                                                               "score") if k in e},
                                  output=""))
        if not targets and s in covered:
            continue
        covered.add(s)
        inner = ids[len(prefix):len(ids) - len(suffix)]
        p = _find(full["token_ids"][s], inner)
        word_of = np.full(len(ids), -1, "int64")
        word_of[len(prefix):len(prefix) + len(inner)] = full["word_ids"][s][p:p + len(inner)]
        spans = np.asarray(offsets[s] + [(0, 0)], "int32").reshape(-1, 2)
        items.append(ExplanationInput(
            features={k: np.asarray(v[w], "int32") for k, v in enc.features.items()},
            texts={"text": texts[s]}, token_text=np.where(word_of >= 0, 0, -1),
            offsets=spans[word_of], targets=targets))
    return items


def answer_inputs(model, x, target=None):
    """`ExplanationInput`s of a `QuestionAnswerer`: per question, the window
    holding its chosen answer (its first window for no answer), with two
    targets: the start logit at the answer's first token and the end logit
    at its last (the no-answer token for no answer)."""
    from kerasft.preprocessors.question_answerer_preprocessor import (
        check_pairs,
        span_to_tokens,
    )

    if target is not None:
        raise ConfigError("A question answerer explains its chosen answer. Received: "
                          f"target={target!r}. Pass target=None.")
    pairs = question_context_pairs(x)
    if pairs is None:
        raise DataError("Expected (questions, contexts) or (question, context) pairs. "
                        f"Received: x of type {type(x).__name__}.")
    questions, contexts = check_pairs(*pairs)
    preprocessor = model.preprocessor
    windows, start_logits, end_logits = model.predict_logits(questions, contexts)
    answers = model._decode_answers(windows, start_logits, end_logits, contexts)
    cls = preprocessor.cls_index(windows)
    tok = preprocessor.tokenizer.tokenizer
    asked = tok.encode_batch(questions, add_special_tokens=False)
    items = []
    for i, (question, context, answer) in enumerate(zip(questions, contexts, answers)):
        best, where = None, None
        for w in np.flatnonzero(windows.example_index == i):
            span = (cls[w], cls[w])
            if answer["start"] is not None:
                span = span_to_tokens(windows.offsets[w], windows.context_mask[w],
                                      answer["start"], answer["end"], cls_index=cls[w])
            score = start_logits[w][span[0]] + end_logits[w][span[1]]
            if best is None or (span != (cls[w], cls[w]) and score > best):
                best, where = score, (w, span)
        w, (first, last) = where
        ids = windows.features["token_ids"][w]
        token_text = np.where(windows.context_mask[w], 1, -1)
        offsets = np.array(windows.offsets[w])
        q_ids = np.asarray(asked[i].ids[:preprocessor.max_question_length])
        p = _find(ids, q_ids)
        if p >= 0:
            token_text[p:p + len(q_ids)] = 0
            offsets[p:p + len(q_ids)] = np.asarray(asked[i].offsets, "int32").reshape(
                -1, 2)[:len(q_ids)]
        label = {"answer": answer["answer"], "start": answer["start"], "end": answer["end"]}
        targets = [Target(np.eye(len(ids), dtype="float32")[first],
                          {**label, "position": "start"}, output="start_logits"),
                   Target(np.eye(len(ids), dtype="float32")[last],
                          {**label, "position": "end"}, output="end_logits")]
        items.append(ExplanationInput(
            features={k: np.asarray(v[w], "int32") for k, v in windows.features.items()},
            texts={"question": question, "context": context}, token_text=token_text,
            offsets=offsets, targets=targets))
    return items
