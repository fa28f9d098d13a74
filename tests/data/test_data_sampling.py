"""Stratified subsamples of the texts kept for the export gate."""

import collections

import numpy as np

from kerasft.data.sampling import stratified_indices, stratum_of


def test_proportional_and_capped():
    strata = ["a"] * 700 + ["b"] * 250 + ["c"] * 50
    order = np.random.RandomState(1).permutation(len(strata))
    strata = [strata[i] for i in order]
    keep = stratified_indices(strata, 100, seed=3)
    assert len(keep) == 100 and keep == sorted(set(keep))
    counts = collections.Counter(strata[i] for i in keep)
    assert counts == {"a": 70, "b": 25, "c": 5}
    assert stratified_indices(strata, 100, seed=3) == keep
    assert stratified_indices(strata, 100, seed=4) != keep


def test_small_sets_kept_whole_and_rare_classes_present():
    assert stratified_indices(["x", "y", "x"], 10) == [0, 1, 2]
    strata = ["common"] * 990 + ["rare"] * 10
    keep = stratified_indices(strata, 100)
    assert sum(strata[i] == "rare" for i in keep) == 1


def test_stratum_of_each_target_kind():
    assert stratum_of("pos") == "pos" and stratum_of(np.int64(2)) == "2"
    assert stratum_of(["sport", "tech"]) == stratum_of(("tech", "sport")) == "sport|tech"
    assert stratum_of(0.37) is None and stratum_of([0.1, 0.2]) is None
