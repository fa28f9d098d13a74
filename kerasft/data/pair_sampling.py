"""Contrastive pairs from labelled examples (numpy only).

`label_pairs` follows SetFit (Tunstall et al. 2022, "Efficient Few-Shot
Learning Without Prompts"): in each of `num_iterations` rounds every example
is paired once with a random other example of its label (score 1) and once
with a random example of another label (score 0). `check_few_shot` is the
validation both share with `TextClassifier.fit_few_shot`.

Duplicates: a text given twice with the same label counts once (a pair of a
text with itself teaches nothing); a text given with two different labels
is an error.
"""

import numpy as np

from kerasft.errors import DataError


def check_few_shot(texts, labels, classes=None, name="texts"):
    """Validates labelled examples for contrastive pairs; returns
    `(texts, labels)` with exact duplicates dropped (first kept).

    Args:
        texts: list of str.
        labels: list of labels, one per text.
        classes: list or None. Every class the examples must cover (a
            classifier's labels); None: the classes of `labels`.
        name: str. What `texts` is called in messages.

    Raises:
        DataError: texts and labels of different lengths; a non-string or
            blank text (names the row); a text given with two labels (names
            both rows); fewer than two classes; more classes than examples;
            a class with a single distinct example (names the class and row);
            a class of `classes` without examples.
    """
    texts, labels = list(texts), list(labels)
    if len(texts) != len(labels):
        raise DataError(
            f"Found input variables with inconsistent numbers of samples. Received: "
            f"{len(texts)} texts and {len(labels)} labels. Pass one label per text.")
    seen, keep = {}, []
    for i, (text, label) in enumerate(zip(texts, labels)):
        if not isinstance(text, str) or not text.strip():
            raise DataError(
                f"Every example needs non-blank text. Received: {name}[{i}]={text!r} "
                f"(row {i}). Drop or fill that row.")
        if text in seen:
            first = seen[text]
            if labels[first] != label:
                raise DataError(
                    f"The same text has two labels. Received: {name}[{first}] labelled "
                    f"{labels[first]!r} and {name}[{i}] labelled {label!r} ({text[:60]!r}). "
                    "Keep one label per text.")
            continue
        seen[text] = i
        keep.append(i)
    texts, labels = [texts[i] for i in keep], [labels[i] for i in keep]
    present = list(dict.fromkeys(labels))
    if classes is not None:
        classes = list(classes)
        if len(classes) > len(texts):
            raise DataError(
                f"More classes than examples. Received: {len(classes)} classes and "
                f"{len(texts)} distinct examples. Give at least 2 examples per class.")
        missing = [c for c in classes if c not in set(present)]
        if missing:
            raise DataError(
                f"Every class needs examples. Received: no example of {missing} "
                f"(classes: {classes}). Add examples or drop those classes.")
    if len(present) < 2:
        raise DataError(
            f"Contrastive pairs need at least two classes (negatives come from other "
            f"classes). Received: labels {present}. Add examples of another class.")
    for label in present:
        rows = [keep[i] for i, l in enumerate(labels) if l == label]
        if len(rows) < 2:
            raise DataError(
                f"Every class needs at least 2 distinct examples to make a positive pair. "
                f"Received: class {label!r} with 1 (row {rows[0]}). Add an example of "
                f"{label!r} or drop the class.")
    return texts, labels


def label_pairs(texts, labels, num_iterations=20, seed=None):
    """SetFit pairs: `(first_texts, second_texts, scores)`.

    Args:
        texts: list of str.
        labels: list of hashable labels, one per text.
        num_iterations: int. Rounds of sampling; each gives every example
            one positive and one negative pair, so `2 * num_iterations *
            len(texts)` pairs in all. Defaults to 20 (SetFit's default).
        seed: int or None. Seed of the random choices.

    Returns:
        `(first, second, scores)`: two lists of str and a float32 array of
        1.0 (same label) and 0.0 (different labels), shuffled.

    Raises:
        DataError: see `check_few_shot`; `num_iterations` < 1.
    """
    if not isinstance(num_iterations, (int, np.integer)) or num_iterations < 1:
        raise DataError(
            f"`num_iterations` must be an integer >= 1. Received: "
            f"num_iterations={num_iterations!r}.")
    texts, labels = check_few_shot(texts, labels)
    rng = np.random.RandomState(seed)
    y = np.asarray(_label_ids(labels))
    members = {c: np.flatnonzero(y == c) for c in np.unique(y)}
    others = {c: np.flatnonzero(y != c) for c in members}
    first, second, scores = [], [], []
    for _ in range(int(num_iterations)):
        for i, c in enumerate(y):
            same = members[c][members[c] != i]
            for j, score in ((rng.choice(same), 1.0), (rng.choice(others[c]), 0.0)):
                first.append(i)
                second.append(j)
                scores.append(score)
    order = rng.permutation(len(first))
    return ([texts[first[k]] for k in order], [texts[second[k]] for k in order],
            np.asarray(scores, dtype="float32")[order])


def _label_ids(labels):
    index = {label: i for i, label in enumerate(dict.fromkeys(labels))}
    return [index[label] for label in labels]
