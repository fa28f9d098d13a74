"""Confidence intervals for a rate measured on n texts (Wilson score).

The parity gate reports top-1 agreement as a 95% interval and fails when
its lower end is under the bar: 40 texts that all agree prove only that the
true agreement is probably above 91%, not above 98%. Wilson's interval
(Wilson, 1927) stays inside [0, 1] and keeps its coverage near 0 and 1,
where the normal approximation does not; it is what statsmodels'
`proportion_confint(method="wilson")` computes.
"""

import math

from scipy.stats import norm


def _z(confidence):
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"Expected a confidence level in (0, 1). Received: "
                         f"confidence={confidence!r}. Use for example 0.95.")
    return float(norm.ppf(0.5 + confidence / 2.0))


def wilson_interval(successes, n, confidence=0.95):
    """The Wilson score interval of a proportion.

    Args:
        successes: int. Trials that succeeded (texts that agree).
        n: int. Trials (texts).
        confidence: float. Coverage of the interval. Defaults to 0.95.

    Returns:
        `(low, high)` floats in [0, 1].

    Raises:
        ValueError: `n` < 1, `successes` outside [0, n], or a confidence
            level outside (0, 1).
    """
    if n < 1 or not 0 <= successes <= n:
        raise ValueError(f"Expected 0 <= successes <= n and n >= 1. Received: "
                         f"successes={successes}, n={n}.")
    z = _z(confidence)
    p = successes / n
    denominator = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def texts_needed(rate, bar, confidence=0.95, limit=10 ** 7):
    """The smallest n at which a rate of `rate` observed on n texts puts
    the Wilson interval's lower end at or above `bar`.

    Args:
        rate: float. The observed rate (top-1 agreement).
        bar: float. The bar the lower end must reach.
        confidence: float. Defaults to 0.95.
        limit: int. Give up above this many texts.

    Returns:
        int, or None when no number of texts settles it (the rate itself
        is at or under the bar).
    """
    if rate <= bar:
        return None
    z = _z(confidence)

    def low(n):
        denominator = 1.0 + z * z / n
        return ((rate + z * z / (2 * n))
                - z * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n))) / denominator

    if low(limit) < bar:
        return None
    lo, hi = 1, limit  # low(n) grows with n: bisect for the first n that clears the bar
    while lo < hi:
        mid = (lo + hi) // 2
        if low(mid) >= bar:
            hi = mid
        else:
            lo = mid + 1
    return lo
