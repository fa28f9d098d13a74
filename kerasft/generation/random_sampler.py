"""`RandomSampler`: a draw from the whole distribution."""

from kerasft.generation.sampler import Sampler, draw


class RandomSampler(Sampler):
    """Draws the next token from the temperature-scaled softmax over the
    whole vocabulary."""

    def get_next_token(self, logits, rng):
        return draw(logits, rng)
