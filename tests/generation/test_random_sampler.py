"""Temperature: near 0 equals greedy, high flattens the distribution."""

import numpy as np

from kerasft.generation.sampling import resolve_sampling


def test_temperature_near_zero_equals_greedy_and_high_flattens():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(8, 30))
    cold = resolve_sampling(temperature=1e-4)
    for _ in range(20):
        np.testing.assert_array_equal(cold.sampler(logits, rng), logits.argmax(-1))
    hot = resolve_sampling(temperature=100.0)
    draws = np.stack([hot.sampler(logits, rng) for _ in range(200)])
    assert len(np.unique(draws)) > 20  # close to uniform over 30 tokens
