"""`Sampler`: the base class of the ways to choose the next token."""

import numpy as np

from kerasft.decoding.generation import draw, softmax

# The token-choice functions are numpy-only and live in
# `kerasft.decoding.generation`, which exports ship to their runners.
__all__ = ["Sampler", "draw", "log_softmax", "softmax"]


def log_softmax(logits):
    """Log-softmax over the last axis (float64, NumPy)."""
    logits = np.asarray(logits, dtype="float64")
    shifted = logits - np.max(logits, axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


class Sampler:
    """Chooses the next token of each row from the model's logits.

    The decoding loop (`kerasft.generation.decode`) calls the sampler once
    per step with float logits `[batch, vocabulary]` and a
    `numpy.random.Generator`, so the same seed gives the same tokens on any
    backend. A subclass implements only `get_next_token`.

    Args:
        temperature: float > 0. The logits are divided by it before
            `get_next_token` sees them. Defaults to 1.

    Example:
    ```python
    class NeverSampler(Sampler):
        def __init__(self, forbidden, **kwargs):
            super().__init__(**kwargs)
            self.forbidden = forbidden

        def get_next_token(self, logits, rng):
            logits = logits.copy()
            logits[:, self.forbidden] = -np.inf
            return draw(logits, rng)
    ```
    """

    def __init__(self, temperature=1.0):
        self.temperature = temperature

    def __call__(self, logits, rng):
        """int32 `[batch]`: the next token of each row."""
        scaled = np.asarray(logits, dtype="float64") / self.temperature
        return self.get_next_token(scaled, rng)

    def get_next_token(self, logits, rng):
        """The next token of each row (override point).

        Args:
            logits: float64 `[batch, vocabulary]`, already divided by the
                temperature.
            rng: `numpy.random.Generator`.

        Returns:
            int32 `[batch]`.
        """
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}(temperature={self.temperature})"
