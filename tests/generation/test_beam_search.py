"""`beam_search` on a fake stepper: exact with enough beams, better than
greedy on a trap, one beam is greedy."""

import numpy as np
import pytest
from generation.script_stepper import ScriptStepper

from kerasft.generation.beam_search import beam_search
from kerasft.generation.decoding import decode
from kerasft.generation.sampler import log_softmax
from kerasft.generation.sampling import resolve_sampling


def _brute_force_best(stepper, prompt, max_new, stop):
    """Best sum of log-probs over all continuations (stop ends one)."""
    best = (-np.inf, None)
    frontier = [(list(prompt), 0.0)]
    for _ in range(max_new):
        nxt = []
        for prefix, score in frontier:
            logp = log_softmax(stepper.row_logits(prefix)[None])[0]
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
    greedy = decode(stepper, prompt, np.array([1]), 2, resolve_sampling().sampler, stop_token_ids=[0])
    assert greedy[0].tolist()[0] == 1
    tokens, _ = beam_search(stepper, prompt, 1, 2, 2, [0], length_penalty=0.0)
    assert tokens[0].tolist() == [2]
    one_beam, _ = beam_search(stepper, prompt, 1, 2, 1, [0], length_penalty=0.0)
    assert one_beam[0].tolist() == greedy[0].tolist()
