"""`resolve_sampling`: strategy choice, checks, and the sampler it picks."""

import pytest

from kerasft.errors import ConfigError
from kerasft.generation import (
    GreedySampler,
    RandomSampler,
    TopKSampler,
    TopPSampler,
    resolve_sampling,
)


def test_resolve_sampling_picks_strategy():
    assert resolve_sampling().strategy == "greedy"
    assert resolve_sampling(top_k=5).strategy == "sample"
    assert resolve_sampling(top_p=0.9).strategy == "sample"
    assert resolve_sampling(temperature=0.7).strategy == "sample"
    assert resolve_sampling(num_beams=3).strategy == "beam"
    assert resolve_sampling("beam").num_beams == 4
    # Temperature 0 is the greedy limit of sampling.
    assert resolve_sampling(temperature=0).strategy == "greedy"
    assert resolve_sampling("sample", temperature=0.0).strategy == "greedy"


@pytest.mark.parametrize("kwargs, match", [
    (dict(strategy="nucleus"), "Unknown decoding strategy"),
    (dict(strategy="greedy", top_k=3), "only apply when sampling"),
    (dict(strategy="beam", top_p=0.5), "only apply when sampling"),
    (dict(temperature=-1.0), "temperature"),
    (dict(top_k=0), "top_k"),
    (dict(top_k=2.5), "top_k"),
    (dict(top_p=0.0), "top_p"),
    (dict(top_p=1.5), "top_p"),
    (dict(strategy="beam", num_beams=0), "num_beams"),
    (dict(strategy="greedy", num_beams=3), "needs strategy='beam'"),
])
def test_resolve_sampling_rejects_bad_values(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        resolve_sampling(**kwargs)


def test_each_strategy_gets_its_sampler():
    assert isinstance(resolve_sampling().sampler, GreedySampler)
    assert isinstance(resolve_sampling(temperature=0).sampler, GreedySampler)
    assert isinstance(resolve_sampling(temperature=0.5).sampler, RandomSampler)
    assert isinstance(resolve_sampling(top_k=3).sampler, TopKSampler)
    both = resolve_sampling(top_k=3, top_p=0.9, temperature=0.7).sampler
    assert isinstance(both, TopPSampler)
    assert (both.k, both.p, both.temperature) == (3, 0.9, 0.7)
