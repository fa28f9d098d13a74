"""Top-k: exactly the k best logits, and sampling never leaves them."""

import numpy as np

from kerasft.generation.sampling import resolve_sampling
from kerasft.generation.top_k_sampler import top_k_logits


def test_top_k_keeps_exactly_the_k_best():
    logits = np.array([[0.1, 2.0, -1.0, 3.0, 0.5, 2.0]])
    kept = np.isfinite(top_k_logits(logits, 3))[0]
    # 3.0 and both 2.0s; ties broken towards the lower id.
    assert kept.tolist() == [False, True, False, True, False, True]
    kept = np.isfinite(top_k_logits(logits, 2))[0]
    assert kept.tolist() == [False, True, False, True, False, False]


def test_top_k_sampling_never_leaves_the_k_best():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(4, 50))
    sampling = resolve_sampling(top_k=5)
    best = np.argsort(-logits, axis=-1)[:, :5]
    seen = [set() for _ in range(4)]
    for _ in range(300):
        chosen = sampling.sampler(logits, rng)
        for row, token in enumerate(chosen):
            assert token in best[row]
            seen[row].add(int(token))
    # It samples: more than the argmax shows up.
    assert all(len(s) > 1 for s in seen)
