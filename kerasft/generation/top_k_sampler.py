"""`TopKSampler`: a draw among the k most likely tokens."""

from kerasft.decoding.generation import draw, top_k_logits
from kerasft.generation.sampler import Sampler

__all__ = ["TopKSampler", "top_k_logits"]


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
