"""Occlusion: remove one word at a time and re-run the model.

A word's score is `f(x) - f(x without the word)`: how much the explained
output falls when the word is gone. Its tokens are deleted from the
sequence (the model sees a shorter text); only tokens that a per-token
target reads (an entity's words, an answer's start) are replaced by the
baseline token instead, so the target still has its positions. Needs
nothing but forward passes, so it explains any model; exported models get
the same method, numpy-only, in `export/common.py`.
"""

import weakref

import numpy as np
import tensorflow as tf

from kerasft.explain.batching import (
    as_dict,
    output_layout,
    pad_rows,
    padded_length,
    unpad,
)

_TRACED = weakref.WeakKeyDictionary()  # model -> its traced forward pass


def reading_tokens(item, layout):
    """Bool `[tokens]`: tokens some per-token target of `item` reads."""
    read = np.zeros(len(item.token_text), bool)
    for t in item.targets:
        if layout[t.output or ""][0]:
            w = np.asarray(t.weights).reshape(len(read), -1)
            read |= np.any(w != 0, axis=1)
    return read


def remove_words(item, groups, words, layout, baseline_id):
    """`(features, kept)`: `item`'s features without the tokens of `words`
    (indices into `groups`), and the kept token positions (replaced target
    tokens count as kept)."""
    drop = np.zeros(len(item.token_text), bool)
    for w in words:
        for i, _ in groups[w]["tokens"]:
            drop[i] = True
    read = reading_tokens(item, layout)
    replace, delete = drop & read, drop & ~read
    features = {k: np.array(v) for k, v in item.features.items()}
    features["token_ids"][replace] = baseline_id
    kept = np.flatnonzero(~delete)
    return {k: v[kept] for k, v in features.items()}, kept


class Forward:
    """Runs a task model on unpadded feature rows; returns the value of
    targets on them."""

    def __init__(self, model, batch_size=32):
        self.model = model
        self.batch_size = batch_size
        self.layout = output_layout(model)
        self.left = model.preprocessor.padding_side == "left"
        if model not in _TRACED:
            ref = weakref.ref(model)  # the cache must not keep the model alive
            _TRACED[model] = tf.function(lambda x: as_dict(ref()(x, training=False)),
                                         reduce_retracing=True)
        self._call = _TRACED[model]

    def outputs(self, rows):
        """Unpadded outputs (dict name -> array) of each feature dict."""
        pad = self.model.preprocessor.pad_values
        order = np.argsort([len(r["token_ids"]) for r in rows], kind="stable")
        results = [None] * len(rows)
        for start in range(0, len(rows), self.batch_size):
            batch = [rows[i] for i in order[start:start + self.batch_size]]
            length = padded_length([len(r["token_ids"]) for r in batch])
            inputs = {k: pad_rows([r[k] for r in batch], length, self.left, pad.get(k, 0))
                      for k in batch[0]}
            out = {k: np.asarray(v) for k, v in self._call(inputs).items()}
            for j, i in enumerate(order[start:start + self.batch_size]):
                n = len(rows[i]["token_ids"])
                results[i] = {k: unpad(v[j], n, self.left) if self.layout[k][0] else v[j]
                              for k, v in out.items()}
        return results

    def value(self, target, outputs, kept):
        """`f` of `target` on the outputs of a row whose tokens are `kept`."""
        w = np.asarray(target.weights, "float64")
        name = target.output or ""
        if self.layout[name][0]:
            w = w[kept]
        return float(np.sum(w * outputs[name]))


def occlusion(model, items, groups, baseline_id, batch_size=32):
    """Word scores of every target of `items` by occlusion.

    Args:
        items: list of `ExplanationInput`.
        groups: list (per item) of `kerasft.explain.words.word_groups`.
        baseline_id: int. Token put in place of target-read tokens.

    Returns:
        A list (per item) of lists (per target) of `(word_scores, f(x))`.
    """
    forward = Forward(model, batch_size)
    rows, index = [], []
    for i, (item, g) in enumerate(zip(items, groups)):
        everything = np.arange(len(item.token_text))
        rows.append(item.features)
        index.append((i, None, everything))
        for w in range(len(g)):
            features, kept = remove_words(item, g, [w], forward.layout, baseline_id)
            rows.append(features)
            index.append((i, w, kept))
    outputs = forward.outputs(rows)
    full = {}
    dropped = [np.zeros((len(t.targets), len(g))) for t, g in zip(items, groups)]
    for (i, w, kept), out in zip(index, outputs):
        values = [forward.value(t, out, kept) for t in items[i].targets]
        if w is None:
            full[i] = values
        else:
            dropped[i][:, w] = values
    return [[(np.asarray(full[i][k]) - dropped[i][k], full[i][k])
             for k in range(len(item.targets))] for i, item in enumerate(items)]
