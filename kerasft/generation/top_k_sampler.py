"""`TopKSampler`: a draw among the k most likely tokens."""

import numpy as np

from kerasft.generation.sampler import Sampler, draw


def top_k_logits(logits, k):
    """`logits` with all but the `k` largest of each row at -inf (ties
    broken towards the lower token id, so exactly k tokens stay)."""
    logits = np.array(logits, dtype="float64")
    if k < logits.shape[-1]:
        order = np.argsort(-logits, axis=-1, kind="stable")
        np.put_along_axis(logits, order[:, k:], -np.inf, axis=-1)
    return logits


class TopKSampler(Sampler):
    """Draws the next token among the `k` most likely ones.

    Args:
        k: int >= 1.
        temperature: see `Sampler`.
    """

    def __init__(self, k, temperature=1.0):
        super().__init__(temperature)
        self.k = k

    def get_next_token(self, logits, rng):
        return draw(top_k_logits(logits, self.k), rng)

    def __repr__(self):
        return f"TopKSampler(k={self.k}, temperature={self.temperature})"
