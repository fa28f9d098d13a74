"""`GreedySampler`: the most likely token."""

import numpy as np

from kerasft.generation.sampler import Sampler


class GreedySampler(Sampler):
    """Chooses the most likely token (the lowest id among ties). Ignores
    the generator; temperature does not change an argmax."""

    def __call__(self, logits, rng):
        # No scaling: temperature 0 is greedy too.
        return self.get_next_token(np.asarray(logits), rng)

    def get_next_token(self, logits, rng):
        return np.argmax(logits, axis=-1).astype("int32")
