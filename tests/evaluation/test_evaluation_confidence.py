"""Wilson score intervals and the number of texts that settles a gate."""

import pytest
from scipy.stats import binomtest

from kerasft.evaluation.confidence import texts_needed, wilson_interval


@pytest.mark.parametrize("successes, n, low, high", [
    (8, 10, 0.490162, 0.943318),     # statsmodels proportion_confint(8, 10, method="wilson")
    (0, 10, 0.0, 0.277533),
    (40, 40, 0.912378, 1.0),         # 40 probe texts that all agree: lower end 91.2%
    (196, 200, 0.949713, 0.992196),  # 98% agreement on 200 texts
])
def test_wilson_interval_known_values(successes, n, low, high):
    got = wilson_interval(successes, n)
    assert got == pytest.approx((low, high), abs=1e-6)
    reference = binomtest(successes, n).proportion_ci(0.95, method="wilson")
    assert got == pytest.approx((reference.low, reference.high), abs=1e-9)


def test_wilson_interval_narrows_with_confidence_and_n():
    assert wilson_interval(98, 100, 0.99)[0] < wilson_interval(98, 100, 0.95)[0]
    assert wilson_interval(980, 1000)[0] > wilson_interval(98, 100)[0]


def test_texts_needed_is_the_first_n_that_clears_the_bar():
    assert texts_needed(1.0, 0.98) == 189  # n / (n + 1.96^2) >= 0.98
    n = texts_needed(0.995, 0.98)  # 199 of 200 agree: between 200 and 400 texts
    assert wilson_interval(398, 400)[0] >= 0.98 > wilson_interval(199, 200)[0]
    assert 200 < n <= 400
    assert texts_needed(0.98, 0.98) is None and texts_needed(0.95, 0.98) is None


def test_bad_arguments():
    with pytest.raises(ValueError, match="Received: successes=11, n=10"):
        wilson_interval(11, 10)
    with pytest.raises(ValueError, match="Received: successes=0, n=0"):
        wilson_interval(0, 0)
    with pytest.raises(ValueError, match="confidence level in \\(0, 1\\). Received: "
                                         "confidence=95"):
        wilson_interval(1, 2, confidence=95)
