"""Decoding mechanics on fake models (NumPy steppers): sampling obeys its
parameters, stop tokens stop, beam search finds the best sequence. These
say nothing about the quality of generated text."""

import itertools

import numpy as np
import pytest

from kerasft.errors import ConfigError
from kerasft.tasks import generation
from kerasft.tasks.generation import (
    beam_search,
    decode,
    filter_logits,
    next_tokens,
    resolve_sampling,
)

VOCAB = 12


class ScriptStepper:
    """Logits that depend only on the prefix (deterministic pseudo-random),
    optionally overridden by `script[index]` (a fixed logits row)."""

    def __init__(self, vocab=VOCAB, script=None, scale=3.0):
        self.vocab, self.script, self.scale = vocab, script or {}, scale
        self.calls = 0

    def start(self, token_ids):
        pass

    def reorder(self, rows):
        pass

    def row_logits(self, prefix):
        key = tuple(int(t) for t in prefix)
        if key in self.script:
            return np.asarray(self.script[key], dtype="float64")
        seed = abs(hash(key)) % (2 ** 32)
        return np.random.default_rng(seed).normal(size=self.vocab) * self.scale

    def logits(self, token_ids, index):
        self.calls += 1
        return np.stack([self.row_logits(row[:index]) for row in token_ids])


def test_resolve_sampling_picks_strategy():
    assert resolve_sampling().strategy == "greedy"
    assert resolve_sampling(top_k=5).strategy == "sample"
    assert resolve_sampling(top_p=0.9).strategy == "sample"
    assert resolve_sampling(temperature=0.7).strategy == "sample"
    assert resolve_sampling(num_beams=3).strategy == "beam"
    assert resolve_sampling("beam").num_beams == 4
    # Temperature 0 is the greedy limit of sampling.
    assert resolve_sampling(temperature=0).strategy == "greedy"
    assert resolve_sampling("sample", temperature=0.0).strategy == "greedy"


@pytest.mark.parametrize("kwargs, match", [
    (dict(strategy="nucleus"), "Unknown decoding strategy"),
    (dict(strategy="greedy", top_k=3), "only apply when sampling"),
    (dict(strategy="beam", top_p=0.5), "only apply when sampling"),
    (dict(temperature=-1.0), "temperature"),
    (dict(top_k=0), "top_k"),
    (dict(top_k=2.5), "top_k"),
    (dict(top_p=0.0), "top_p"),
    (dict(top_p=1.5), "top_p"),
    (dict(strategy="beam", num_beams=0), "num_beams"),
    (dict(strategy="greedy", num_beams=3), "needs strategy='beam'"),
])
def test_resolve_sampling_rejects_bad_values(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        resolve_sampling(**kwargs)


def test_top_k_keeps_exactly_the_k_best():
    logits = np.array([[0.1, 2.0, -1.0, 3.0, 0.5, 2.0]])
    kept = np.isfinite(filter_logits(logits, top_k=3))[0]
    # 3.0 and both 2.0s; ties broken towards the lower id.
    assert kept.tolist() == [False, True, False, True, False, True]
    kept = np.isfinite(filter_logits(logits, top_k=2))[0]
    assert kept.tolist() == [False, True, False, True, False, False]


def test_top_k_sampling_never_leaves_the_k_best():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(4, 50))
    sampling = resolve_sampling(top_k=5)
    best = np.argsort(-logits, axis=-1)[:, :5]
    seen = [set() for _ in range(4)]
    for _ in range(300):
        chosen = next_tokens(logits, sampling, rng)
        for row, token in enumerate(chosen):
            assert token in best[row]
            seen[row].add(int(token))
    # It samples: more than the argmax shows up.
    assert all(len(s) > 1 for s in seen)


def test_top_p_keeps_the_smallest_nucleus():
    probs = np.array([[0.05, 0.5, 0.1, 0.3, 0.05]])
    logits = np.log(probs)
    nucleus = lambda p: set(np.flatnonzero(np.isfinite(filter_logits(logits, top_p=p))[0]))  # noqa: E731
    assert nucleus(0.5) == {1}
    assert nucleus(0.7) == {1, 3}
    assert nucleus(0.79) == {1, 3}
    assert nucleus(0.81) == {1, 3, 2}
    assert nucleus(1.0) == {0, 1, 2, 3, 4}
    assert nucleus(0.01) == {1}  # the most likely token is always kept


def test_top_p_sampling_stays_in_the_nucleus():
    probs = np.array([[0.05, 0.5, 0.1, 0.3, 0.05]] * 3)
    sampling = resolve_sampling(top_p=0.75)
    rng = np.random.default_rng(1)
    drawn = np.concatenate([next_tokens(np.log(probs), sampling, rng) for _ in range(400)])
    assert set(drawn.tolist()) == {1, 3}
    # Renormalised inside the nucleus: 0.5 / 0.8 of the draws are token 1.
    assert abs(np.mean(drawn == 1) - 0.625) < 0.06


def test_temperature_near_zero_equals_greedy_and_high_flattens():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(8, 30))
    cold = resolve_sampling(temperature=1e-4)
    for _ in range(20):
        np.testing.assert_array_equal(next_tokens(logits, cold, rng), logits.argmax(-1))
    hot = resolve_sampling(temperature=100.0)
    draws = np.stack([next_tokens(logits, hot, rng) for _ in range(200)])
    assert len(np.unique(draws)) > 20  # close to uniform over 30 tokens


def test_same_seed_same_output_different_seed_differs():
    sampling = resolve_sampling(top_k=8, temperature=1.5)
    prompts = np.zeros((3, 2 + 10), "int32")
    lengths = np.array([1, 2, 2])
    runs = [decode(ScriptStepper(), prompts, lengths, 10, sampling, seed=s) for s in (7, 7, 8)]
    for a, b in zip(runs[0], runs[1]):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(runs[0], runs[2]))


def test_decode_respects_max_new_tokens_and_prompt_lengths():
    stepper = ScriptStepper()
    token_ids = np.zeros((3, 4 + 5), "int32")
    token_ids[0, :1] = [3]
    token_ids[1, :4] = [3, 4, 5, 6]
    token_ids[2, :2] = [3, 4]
    out = decode(stepper, token_ids, np.array([1, 4, 2]), 5, resolve_sampling())
    assert [len(o) for o in out] == [5, 5, 5]
    # Greedy: each new token is the argmax given exactly its own prefix.
    for row, (prompt, new) in enumerate(zip([[3], [3, 4, 5, 6], [3, 4]], out)):
        prefix = list(prompt)
        for token in new:
            assert token == stepper.row_logits(prefix).argmax()
            prefix.append(int(token))


def test_stop_tokens_stop_and_are_not_returned():
    # Row 0 is scripted to emit 9 after two tokens; row 1 never emits 9.
    boost = np.full(VOCAB, -10.0)
    script = {}
    for first, second in itertools.product(range(VOCAB), repeat=2):
        row = boost.copy()
        row[9] = 10.0
        script[(1, first, second)] = row
    never = ScriptStepper(script=script)
    token_ids = np.zeros((2, 1 + 6), "int32")
    token_ids[:, 0] = [1, 2]
    out = decode(never, token_ids, np.array([1, 1]), 6, resolve_sampling(), stop_token_ids=[9])
    assert len(out[0]) == 2 and 9 not in out[0]
    # Row 1 runs to its budget unless it meets 9 on its own.
    assert len(out[1]) == 6 or never.row_logits([2] + out[1].tolist()).argmax() == 9


def test_decode_stops_early_when_all_rows_stopped():
    row = np.full(VOCAB, -10.0)
    row[0] = 10.0  # always the stop token
    stepper = ScriptStepper(script={(5,): row})
    out = decode(stepper, np.array([[5, 0, 0, 0, 0, 0]]), np.array([1]), 5,
                 resolve_sampling(), stop_token_ids=[0])
    assert out[0].tolist() == []
    assert stepper.calls == 1


def _brute_force_best(stepper, prompt, max_new, stop):
    """Best sum of log-probs over all continuations (stop ends one)."""
    best = (-np.inf, None)
    frontier = [(list(prompt), 0.0)]
    for _ in range(max_new):
        nxt = []
        for prefix, score in frontier:
            logp = generation.log_softmax(stepper.row_logits(prefix)[None])[0]
            for token in range(stepper.vocab):
                s = score + logp[token]
                if token == stop:
                    best = max(best, (s, tuple(prefix[len(prompt):])))
                else:
                    nxt.append((prefix + [token], s))
        frontier = nxt
    for prefix, score in frontier:
        best = max(best, (score, tuple(prefix[len(prompt):])))
    return best


@pytest.mark.parametrize("prompt", [[1], [4, 2]])
def test_beam_search_with_enough_beams_is_exact(prompt):
    vocab, max_new, stop = 5, 3, 0
    stepper = ScriptStepper(vocab=vocab, scale=1.0)
    expected_score, expected_tokens = _brute_force_best(stepper, prompt, max_new, stop)
    token_ids = np.zeros((1, len(prompt) + max_new), "int32")
    token_ids[0, :len(prompt)] = prompt
    tokens, scores = beam_search(stepper, token_ids, len(prompt), max_new, vocab ** 2,
                                 [stop], length_penalty=0.0)
    assert tuple(tokens[0].tolist()) == expected_tokens
    assert scores[0] == pytest.approx(expected_score)


def test_beam_search_beats_greedy_on_a_trap_and_one_beam_is_greedy():
    # Token 1 is likelier first (0.6 vs 0.4) but leads to a flat next step;
    # token 2 is followed by the stop token with near certainty.
    first = np.log([1e-9, 0.6, 0.4, 1e-9, 1e-9])
    flat = np.log([0.2] * 5)
    sure_stop = np.log([0.99, 0.0025, 0.0025, 0.0025, 0.0025])
    script = {(3,): first, (3, 2): sure_stop}
    for t in range(5):
        script[(3, 1, t)] = flat
    script[(3, 1)] = flat
    stepper = ScriptStepper(vocab=5, script=script)
    prompt = np.array([[3, 0, 0]], "int32")
    greedy = decode(stepper, prompt, np.array([1]), 2, resolve_sampling(), stop_token_ids=[0])
    assert greedy[0].tolist()[0] == 1
    tokens, _ = beam_search(stepper, prompt, 1, 2, 2, [0], length_penalty=0.0)
    assert tokens[0].tolist() == [2]
    one_beam, _ = beam_search(stepper, prompt, 1, 2, 1, [0], length_penalty=0.0)
    assert one_beam[0].tolist() == greedy[0].tolist()
