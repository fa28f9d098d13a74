"""`kerasft.decoding.generation`: the numpy-only token choice and loop that
causal-LM exports ship to their runner choose exactly as kerasft's
samplers do."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from kerasft.decoding import generation
from kerasft.generation import resolve_sampling

_ISOLATED = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("generation", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps(sorted(m for m in sys.modules
                        if m.split(".")[0] in ("tensorflow", "keras", "kerasft"))))
"""


def test_loads_by_path_without_tensorflow_keras_or_kerasft():
    proc = subprocess.run([sys.executable, "-I", "-c", _ISOLATED, generation.__file__],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout) == []


@pytest.mark.parametrize("kwargs", [
    {}, {"temperature": 0.7}, {"top_k": 3}, {"top_p": 0.6}, {"top_k": 4, "top_p": 0.8},
    {"top_k": 3, "temperature": 0.0}, {"temperature": 1.5, "top_p": 0.9},
])
def test_next_tokens_match_the_samplers_draw_for_draw(kwargs):
    logits = np.random.default_rng(0).normal(size=(4, 30)).astype("float32")
    sampler = resolve_sampling(**kwargs).sampler
    want_rng, got_rng = np.random.default_rng(5), np.random.default_rng(5)
    for _ in range(20):
        want = sampler(logits, want_rng)
        got = generation.next_tokens(logits, got_rng, kwargs.get("temperature"),
                                     kwargs.get("top_k"), kwargs.get("top_p"))
        np.testing.assert_array_equal(got, want)
    if not kwargs or kwargs.get("temperature") == 0.0:
        np.testing.assert_array_equal(got, logits.argmax(-1))


def test_top_k_draws_stay_in_the_top_k():
    logits = np.random.default_rng(1).normal(size=(1, 50))
    top = set(np.argsort(-logits[0])[:3])
    rng = np.random.default_rng(0)
    drawn = {int(generation.next_tokens(logits, rng, top_k=3)[0]) for _ in range(200)}
    assert drawn == top  # all three, and nothing else, in 200 draws


def test_trim_prompt():
    assert generation.trim_prompt([5, 6, 7, 2], room=10, eos_token_id=2).tolist() == [5, 6, 7]
    assert generation.trim_prompt([5, 6, 7, 8], room=2, eos_token_id=2).tolist() == [7, 8]
    assert generation.trim_prompt([], room=4, eos_token_id=2).tolist() == [2]
    assert generation.trim_prompt([], room=4, eos_token_id=None, pad_token_id=9).tolist() == [9]


def test_generate_feeds_positions_and_stops():
    calls = []
    vocabulary = 10

    def one_hot(token):
        logits = np.zeros(vocabulary)
        logits[token] = 1.0
        return logits

    def prefill(ids):
        calls.append(("prefill", ids.tolist()))
        return one_hot(int(ids[-1]) + 1)

    def step(token, position):
        calls.append(("step", token, position))
        return one_hot(token + 1)  # counts up: 4, 5, 6, ...

    new = generation.generate(prefill, step, np.array([1, 2, 3]), 4, rng=None)
    assert new.tolist() == [4, 5, 6, 7]
    assert calls == [("prefill", [1, 2, 3]), ("step", 4, 3), ("step", 5, 4), ("step", 6, 5)]
    calls.clear()
    new = generation.generate(prefill, step, np.array([1, 2, 3]), 10, rng=None,
                              stop_token_ids=[6])
    assert new.tolist() == [4, 5]  # the stop token ends the text and is left out
    assert calls[-1] == ("step", 5, 4)
    assert os.path.basename(generation.__file__) == "generation.py"
