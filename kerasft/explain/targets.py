"""What an explanation explains: model inputs with their targets.

A task's `explanation_inputs` hook turns raw inputs into
`ExplanationInput`s: the unpadded model features of one sequence, where
each token comes from in the texts, and one `Target` per output to explain.
A target is linear in one model output: `f(x) = sum(weights * output)`,
with `weights` shaped like that output for one example (`[num_labels]`, or
`[tokens, num_tags]` / `[tokens]` for per-token outputs, whose rows follow
the tokens). So one code path explains a class probability, a regression
value, an entity's tag probabilities and an answer's start logit.
"""

import dataclasses

import numpy as np

from kerasft.errors import ConfigError
from kerasft.tasks.inputs import split_texts


@dataclasses.dataclass
class Target:
    """One model output to explain.

    Args:
        weights: float array shaped like the output for one example.
        label: dict. What is explained, JSON-ready (`{"label": "pos"}`...).
        output: str or None. The output's name for dict outputs. On
            per-token outputs (a free length) the rows of `weights` follow
            the tokens.
    """

    weights: np.ndarray
    label: dict
    output: str = None


@dataclasses.dataclass
class ExplanationInput:
    """One model input sequence to explain.

    Args:
        features: dict name -> unpadded int32 array `[tokens]`.
        texts: dict name -> str, the texts the tokens come from
            (`{"text": ...}`, `{"text": ..., "text_pair": ...}`,
            `{"question": ..., "context": ...}`).
        token_text: int array `[tokens]`: index into `texts`, -1 for
            special tokens (which keep their embedding in the baseline).
        offsets: int array `[tokens, 2]`, characters in that text.
        targets: list of `Target`.
    """

    features: dict
    texts: dict
    token_text: np.ndarray
    offsets: np.ndarray
    targets: list = dataclasses.field(default_factory=list)


def encode_texts(model, x):
    """`ExplanationInput`s (without targets) of texts or sentence pairs,
    tokenized exactly as `model.predict` tokenizes them."""
    texts, pairs = split_texts(x)
    preprocessor = model.preprocessor
    features = preprocessor.encode(texts, pairs)
    tok = preprocessor.tokenizer.tokenizer
    tok.enable_truncation(preprocessor.sequence_length)
    try:
        items = list(texts) if pairs is None else list(zip(texts, pairs))
        encodings = tok.encode_batch(items)
    finally:
        tok.no_truncation()
    out = []
    for i, enc in enumerate(encodings):
        special = np.asarray(enc.special_tokens_mask, bool)
        sequence = np.array([-1 if s is None else s for s in enc.sequence_ids], "int32")
        names = {"text": texts[i]} if pairs is None else \
            {"text": texts[i], "text_pair": pairs[i]}
        out.append(ExplanationInput(
            features={k: np.asarray(v[i], "int32") for k, v in features.items()},
            texts=names, token_text=np.where(special, -1, sequence),
            offsets=np.asarray(enc.offsets, "int32").reshape(-1, 2)))
    return out


def label_indices(names, target, what="label"):
    """Indices of `target` (a name or a list of names) among `names`.

    Raises:
        ConfigError: an unknown name.
    """
    wanted = target if isinstance(target, (list, tuple)) else [target]
    known = [str(n) for n in names]
    indices = []
    for name in wanted:
        if str(name) not in known:
            raise ConfigError(
                f"Expected a {what} of the model to explain, one of {known}. Received: "
                f"target={name!r}. Pass one of those, or target=None for the prediction.")
        indices.append(known.index(str(name)))
    return indices


def sequence_inputs(model, x, choose):
    """`ExplanationInput`s of texts (or pairs) for a model with one output
    per example; `choose(row)` gives the targets from that example's
    predicted output row (float array)."""
    items = encode_texts(model, x)
    predictions = np.asarray(model.predict(x))
    for item, row in zip(items, predictions):
        item.targets = choose(row)
    return items


def choose_labels(names, target=None, thresholds=None):
    """`choose(row)` for classifiers: the probability of `target` (names),
    else of the predicted label (argmax; with `thresholds`, every label at
    or above its threshold, or the argmax when none is)."""
    fixed = None if target is None else label_indices(names, target)

    def choose(row):
        if fixed is not None:
            chosen = fixed
        elif thresholds is not None and np.any(row >= thresholds):
            chosen = np.flatnonzero(row >= thresholds).tolist()
        else:
            chosen = [int(np.argmax(row))]
        return [Target(np.eye(len(row), dtype="float32")[j],
                       {"label": str(names[j]), "probability": float(row[j])})
                for j in chosen]

    return choose


def choose_values(names, target=None):
    """`choose(row)` for regressors: each predicted value (or `target`'s)."""
    fixed = None if target is None else label_indices(names, target, what="target name")

    def choose(row):
        chosen = range(len(row)) if fixed is None else fixed
        return [Target(np.eye(len(row), dtype="float32")[j],
                       {"target": str(names[j]), "value": float(row[j])}) for j in chosen]

    return choose
