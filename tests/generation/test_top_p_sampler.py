"""Top-p: the smallest nucleus, and sampling stays inside it."""

import numpy as np

from kerasft.generation.sampling import resolve_sampling
from kerasft.generation.top_p_sampler import top_p_logits


def test_top_p_keeps_the_smallest_nucleus():
    probs = np.array([[0.05, 0.5, 0.1, 0.3, 0.05]])
    logits = np.log(probs)
    nucleus = lambda p: set(np.flatnonzero(np.isfinite(top_p_logits(logits, p))[0]))  # noqa: E731
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
    drawn = np.concatenate([sampling.sampler(np.log(probs), rng) for _ in range(400)])
    assert set(drawn.tolist()) == {1, 3}
    # Renormalised inside the nucleus: 0.5 / 0.8 of the draws are token 1.
    assert abs(np.mean(drawn == 1) - 0.625) < 0.06
