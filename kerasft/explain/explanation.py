"""`Explanation`: the words of one input and their scores per target."""

import dataclasses

import numpy as np

# Completeness: |sum(scores) - (f(x) - f(baseline))| <= ATOL + RTOL * |f(x) - f(baseline)|.
RTOL = 0.05
ATOL = 1e-3


@dataclasses.dataclass
class Attribution:
    """Word scores toward one target.

    Attributes:
        target: dict. What is explained (`{"label": "pos", "probability":
            0.93}`, an entity, an answer's start...).
        scores: float array `[words]`. Positive: the word raises the output.
        output: float. The explained output `f(x)`.
        baseline_output: float or None. `f(baseline)` (integrated
            gradients; None for occlusion).
        completeness_gap: float or None. `sum(scores) - (f(x) -
            f(baseline))` (integrated gradients).
        tolerance: float or None. The largest gap that counts as complete.
    """

    target: dict
    scores: np.ndarray
    output: float
    baseline_output: float = None
    completeness_gap: float = None
    tolerance: float = None

    @property
    def complete(self):
        """Whether the scores add up to `f(x) - f(baseline)` within tolerance
        (None for occlusion)."""
        if self.completeness_gap is None:
            return None
        return abs(self.completeness_gap) <= self.tolerance

    def to_dict(self):
        return {"target": self.target, "scores": [float(s) for s in self.scores],
                "output": self.output, "baseline_output": self.baseline_output,
                "completeness_gap": self.completeness_gap, "tolerance": self.tolerance,
                "complete": self.complete}


@dataclasses.dataclass
class Explanation:
    """The explanation of one input.

    Attributes:
        texts: dict name -> str (`"text"`, `"text_pair"`, `"question"`,
            `"context"`).
        words: list of dicts `{"word", "start", "end", "text"}` in reading
            order, with `texts[text][start:end] == word`. Special tokens
            are never words.
        attributions: list of `Attribution`, one per explained target.
        method: str. `"integrated_gradients"` or `"occlusion"`.
        steps: int or None. Quadrature nodes (integrated gradients).
        warnings: list of str. Incomplete attributions and what to do.
    """

    texts: dict
    words: list
    attributions: list
    method: str
    steps: int = None
    warnings: list = dataclasses.field(default_factory=list)

    @property
    def scores(self):
        """The first target's word scores (the only one for classifiers)."""
        return self.attributions[0].scores if self.attributions else np.zeros(len(self.words))

    def top(self, k=5, target=0):
        """The `k` words with the highest scores toward target `target`:
        list of `(word, score)`."""
        scores = self.attributions[target].scores
        order = np.argsort(-scores, kind="stable")[:k]
        return [(self.words[i]["word"], float(scores[i])) for i in order]

    def to_dict(self):
        return {"texts": self.texts, "words": self.words, "method": self.method,
                "steps": self.steps, "warnings": self.warnings,
                "attributions": [a.to_dict() for a in self.attributions]}


def completeness(scores, output, baseline_output, steps):
    """`(gap, tolerance, warning or None)` of integrated-gradients scores."""
    delta = output - baseline_output
    gap = float(np.sum(scores) - delta)
    tolerance = ATOL + RTOL * abs(delta)
    warning = None
    if abs(gap) > tolerance:
        warning = (
            f"Attributions sum to {np.sum(scores):.4g} but f(x) - f(baseline) = {delta:.4g} "
            f"(gap {gap:.3g} > tolerance {tolerance:.3g}) with steps={steps}. Explain "
            f"again with more steps (e.g. steps={steps * 4}) before trusting the scores.")
    return gap, tolerance, warning
