"""Generation: samplers, beam search and the steppers that run a model one
token at a time.

`resolve_sampling` checks decoding parameters and picks a `Sampler`
(`GreedySampler`, `RandomSampler`, `TopKSampler`, `TopPSampler`; a new
way of choosing tokens subclasses `Sampler` and implements
`get_next_token`). `decode` and `beam_search` drive a `Stepper` (the model
side of a step: a full forward pass, or keras-hub's key/value cache) built
by a task's `ModelSteps`.

What the tests check, with tiny random models only (no pretrained
generator is available offline): the sampling parameters are obeyed
(top-k never picks outside the k best logits, top-p stays inside the
nucleus, temperature 0 equals greedy, the same seed gives the same output,
stop tokens stop, `max_new_tokens` bounds the output) and beam search
finds the best-scoring sequence on small exhaustive cases. They say
nothing about the quality of generated text.
"""

from kerasft.generation.beam_search import beam_search
from kerasft.generation.decoding import decode
from kerasft.generation.greedy_sampler import GreedySampler
from kerasft.generation.model_steps import DecoderSteps, ModelSteps, Seq2SeqSteps
from kerasft.generation.random_sampler import RandomSampler
from kerasft.generation.sampler import Sampler
from kerasft.generation.sampling import STRATEGIES, Sampling, resolve_sampling
from kerasft.generation.steppers import Stepper
from kerasft.generation.top_k_sampler import TopKSampler
from kerasft.generation.top_p_sampler import TopPSampler

__all__ = [
    "STRATEGIES",
    "DecoderSteps",
    "GreedySampler",
    "ModelSteps",
    "RandomSampler",
    "Sampler",
    "Sampling",
    "Seq2SeqSteps",
    "Stepper",
    "TopKSampler",
    "TopPSampler",
    "beam_search",
    "decode",
    "resolve_sampling",
]
