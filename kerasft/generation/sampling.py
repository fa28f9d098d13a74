"""Decoding parameters: which strategy, and the `Sampler` it uses."""

import dataclasses

import numpy as np

from kerasft.errors import ConfigError
from kerasft.generation.greedy_sampler import GreedySampler
from kerasft.generation.random_sampler import RandomSampler
from kerasft.generation.top_k_sampler import TopKSampler
from kerasft.generation.top_p_sampler import TopPSampler

STRATEGIES = ("greedy", "sample", "beam")


@dataclasses.dataclass(repr=False)
class Sampling:
    """Validated decoding parameters (see `resolve_sampling`)."""

    strategy: str
    temperature: float
    top_k: int | None
    top_p: float | None
    num_beams: int
    length_penalty: float

    def __repr__(self):
        return (f"Sampling(strategy={self.strategy!r}, temperature={self.temperature}, "
                f"top_k={self.top_k}, top_p={self.top_p}, num_beams={self.num_beams})")

    @property
    def sampler(self):
        """The `Sampler` of a greedy or sampling strategy (beam search
        chooses among whole hypotheses instead): `GreedySampler`,
        `TopPSampler` (top-p, with top-k when both are given),
        `TopKSampler` or `RandomSampler`."""
        if self.strategy != "sample":
            return GreedySampler()
        if self.top_p is not None:
            return TopPSampler(self.top_p, self.top_k, self.temperature)
        if self.top_k is not None:
            return TopKSampler(self.top_k, self.temperature)
        return RandomSampler(self.temperature)


def resolve_sampling(strategy=None, temperature=None, top_k=None, top_p=None,
                     num_beams=None, length_penalty=1.0):
    """Checks decoding parameters and picks the strategy.

    Args:
        strategy: `"greedy"`, `"sample"`, `"beam"` or None. None means
            `"sample"` when `temperature`, `top_k` or `top_p` is given,
            `"beam"` when `num_beams` > 1 is given, else `"greedy"`.
        temperature: float >= 0 or None. Divides the logits before
            sampling; 0 means greedy. Defaults to 1 when sampling.
        top_k: int >= 1 or None. Sample only among the k most likely tokens.
        top_p: float in (0, 1] or None. Sample only from the smallest set
            of most likely tokens whose probability reaches `top_p`.
        num_beams: int >= 1 or None. Beams of beam search (default 4).
        length_penalty: float. Beam scores are divided by
            `generated_length ** length_penalty`.

    Returns:
        `Sampling`.

    Raises:
        ConfigError: an unknown strategy, a value out of range, or sampling
            parameters given with `strategy="greedy"` or `"beam"`.
    """
    if strategy is not None and strategy not in STRATEGIES:
        raise ConfigError(
            f"Unknown decoding strategy. Received: strategy={strategy!r}. "
            f"Use one of {', '.join(STRATEGIES)}."
        )
    sampling_given = [n for n, v in (("temperature", temperature), ("top_k", top_k),
                                     ("top_p", top_p)) if v is not None]
    if strategy is None:
        if sampling_given:
            strategy = "sample"
        elif num_beams is not None and num_beams > 1:
            strategy = "beam"
        else:
            strategy = "greedy"
    if strategy != "sample" and sampling_given:
        raise ConfigError(
            f"{', '.join(sampling_given)} only apply when sampling. Received: "
            f"strategy={strategy!r} with {sampling_given[0]}="
            f"{dict(temperature=temperature, top_k=top_k, top_p=top_p)[sampling_given[0]]!r}. "
            "Pass strategy='sample' (or no strategy), or drop them."
        )
    if temperature is not None and not (isinstance(temperature, (int, float)) and temperature >= 0):
        raise ConfigError(
            f"`temperature` must be a number >= 0. Received: temperature={temperature!r}."
        )
    if top_k is not None and not (isinstance(top_k, (int, np.integer)) and top_k >= 1):
        raise ConfigError(f"`top_k` must be an integer >= 1. Received: top_k={top_k!r}.")
    if top_p is not None and not (isinstance(top_p, (int, float)) and 0 < top_p <= 1):
        raise ConfigError(f"`top_p` must be in (0, 1]. Received: top_p={top_p!r}.")
    if strategy == "beam":
        num_beams = 4 if num_beams is None else num_beams
    if num_beams is not None and not (isinstance(num_beams, (int, np.integer)) and num_beams >= 1):
        raise ConfigError(
            f"`num_beams` must be an integer >= 1. Received: num_beams={num_beams!r}."
        )
    if strategy != "beam" and num_beams not in (None, 1):
        raise ConfigError(
            f"`num_beams` needs strategy='beam'. Received: strategy={strategy!r}, "
            f"num_beams={num_beams}."
        )
    temperature = 1.0 if temperature is None else float(temperature)
    if strategy == "sample" and temperature == 0:
        strategy = "greedy"  # the limit of sampling as temperature -> 0
    return Sampling(strategy, temperature, top_k, top_p, num_beams or 1, float(length_penalty))
