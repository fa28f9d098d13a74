"""`TopPSampler`: a draw from the nucleus of most likely tokens."""

from kerasft.decoding.generation import draw, top_k_logits, top_p_logits
from kerasft.generation.sampler import Sampler

__all__ = ["TopPSampler", "top_p_logits"]


class TopPSampler(Sampler):
    """Draws the next token from the nucleus of probability `p` (after an
    optional top-k cut, as in keras-hub's `TopPSampler`).

    Args:
        p: float in (0, 1].
        k: int or None. Keep only the k most likely tokens first.
        temperature: see `Sampler`.
    """

    def __init__(self, p, k=None, temperature=1.0):
        super().__init__(temperature)
        self.p = p
        self.k = k

    def get_next_token(self, logits, rng):
        if self.k is not None:
            logits = top_k_logits(logits, self.k)
        return draw(top_p_logits(logits, self.p), rng)

    def __repr__(self):
        return f"TopPSampler(p={self.p}, k={self.k}, temperature={self.temperature})"
