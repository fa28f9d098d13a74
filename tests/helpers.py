"""Test helpers shared across the suite (import as `from helpers import ...`)."""

import numpy as np

POSITIVE = ["good great film", "a great movie", "good and great", "great great good",
            "it is good", "the film is great", "a good movie", "great news"]
NEGATIVE = ["bad bad film", "not good", "a bad movie", "it was bad", "the film is bad",
            "bad and not great", "bad news", "bad market"]


def toy_sentiment(repeat=4):
    """A separable toy sentiment set over the tiny vocabulary."""
    texts = (POSITIVE + NEGATIVE) * repeat
    labels = (["pos"] * len(POSITIVE) + ["neg"] * len(NEGATIVE)) * repeat
    order = np.random.RandomState(0).permutation(len(texts))
    return [texts[i] for i in order], [labels[i] for i in order]


def write_file(tmp_path, name, text, encoding="utf-8"):
    """Writes `text` to `tmp_path / name`; returns the path as str."""
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return str(path)
