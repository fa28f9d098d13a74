"""`TopPSampler`: a draw from the nucleus of most likely tokens."""

import numpy as np

from kerasft.generation.sampler import Sampler, draw, softmax
from kerasft.generation.top_k_sampler import top_k_logits


def top_p_logits(logits, p):
    """`logits` with the tokens outside the nucleus at -inf: the nucleus is
    the smallest set of most likely tokens whose probabilities sum to at
    least `p`; the most likely token is always kept."""
    logits = np.array(logits, dtype="float64")
    if p >= 1:
        return logits
    order = np.argsort(-logits, axis=-1, kind="stable")
    probs = softmax(np.take_along_axis(logits, order, axis=-1))
    mass_before = np.cumsum(probs, axis=-1) - probs
    drop = mass_before >= p
    drop[:, 0] = False
    np.put_along_axis(logits, order, np.where(drop, -np.inf,
                                              np.take_along_axis(logits, order, axis=-1)),
                      axis=-1)
    return logits


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
