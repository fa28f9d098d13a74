"""Stratified subsamples: `stratified_indices`, `stratum_of`."""

import numbers

import numpy as np


def stratum_of(label):
    """The stratum a target falls in: a class label is its own stratum, a
    list of labels (multi-label, or tags) the set of labels it holds; a
    float (regression) has none (all floats share one stratum)."""
    if isinstance(label, np.generic):
        label = label.item()
    if isinstance(label, (str, bool, numbers.Integral)):
        return str(label)
    if isinstance(label, (list, tuple, np.ndarray)):
        values = np.asarray(label).ravel().tolist()
        if all(isinstance(v, (str, bool, numbers.Integral)) for v in values):
            return "|".join(sorted({str(v) for v in values}))
    return None


def stratified_indices(strata, cap, seed=0):
    """Up to `cap` indices into `strata`, each stratum represented in
    proportion to its size (rounded; every stratum of at least
    `len/cap` items is present), in their original order.

    Items are ranked by `(rank within its stratum + 0.5) / stratum size`
    after shuffling each stratum, so every prefix of the ranking is a
    proportional sample.

    Args:
        strata: sequence of hashables, one per item.
        cap: int. The most indices to return.
        seed: int. Shuffling seed. Defaults to 0.

    Returns:
        sorted list of int.
    """
    n = len(strata)
    if n <= cap:
        return list(range(n))
    rng = np.random.RandomState(seed)
    members = {}
    for i, key in enumerate(strata):
        members.setdefault(key, []).append(i)
    position = np.empty(n)
    for group in members.values():
        order = rng.permutation(len(group))
        for rank, j in enumerate(order):
            position[group[j]] = (rank + 0.5) / len(group)
    chosen = np.lexsort((rng.random_sample(n), position))[:cap]
    return sorted(int(i) for i in chosen)
