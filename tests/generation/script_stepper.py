"""A fake `Stepper` for the decoding tests: NumPy logits that depend only
on the prefix, no model."""

import numpy as np

from kerasft.generation.steppers import Stepper

VOCAB = 12


class ScriptStepper(Stepper):
    """Logits that depend only on the prefix (deterministic pseudo-random),
    optionally overridden by `script[index]` (a fixed logits row)."""

    def __init__(self, vocab=VOCAB, script=None, scale=3.0):
        self.vocab, self.script, self.scale = vocab, script or {}, scale
        self.calls = 0

    def row_logits(self, prefix):
        key = tuple(int(t) for t in prefix)
        if key in self.script:
            return np.asarray(self.script[key], dtype="float64")
        seed = abs(hash(key)) % (2 ** 32)
        return np.random.default_rng(seed).normal(size=self.vocab) * self.scale

    def logits(self, token_ids, index):
        self.calls += 1
        return np.stack([self.row_logits(row[:index]) for row in token_ids])
