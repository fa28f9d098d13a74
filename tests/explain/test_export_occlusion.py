"""The runners' numpy-only occlusion (`export/common.py`, `--explain`)."""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "export"))
from common import occlusion_scores


def test_occlusion_scores_drop_the_word_and_round_trip():
    def score(texts):  # a "model" that only likes the word "good"
        return np.array([float("good" in t) for t in texts])

    text = "a good, fine film"
    result = occlusion_scores([text], score)[0]
    assert result["output"] == 1.0
    words = {w["word"]: w["score"] for w in result["words"]}
    assert words == {"a": 0.0, "good": 1.0, ",": 0.0, "fine": 0.0, "film": 0.0}
    for w in result["words"]:
        assert text[w["start"]:w["end"]] == w["word"]
