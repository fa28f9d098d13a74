"""Decoding for generative tasks: greedy, sampling and beam search.

The decoding loops run on the host, one model step at a time, through a
*stepper* (an object with `start(token_ids)`, `logits(token_ids, index)`
and `reorder(rows)`, see `CausalLM` and `Seq2SeqLM`): the model part of a
step is a compiled function (a `tf.function` on TensorFlow, eager on other
backends) and, where keras-hub has one for the backbone, uses a key/value
cache. Choosing the next token happens in NumPy with a
`numpy.random.Generator`, so the same `seed` gives the same output on any
backend.

What the tests check, with tiny random models only (no pretrained
generator is available offline): the sampling parameters are obeyed
(top-k never picks outside the k best logits, top-p stays inside the
nucleus, temperature 0 equals greedy, the same seed gives the same output,
stop tokens stop, `max_new_tokens` bounds the output) and beam search
finds the best-scoring sequence on small exhaustive cases. They say
nothing about the quality of generated text.
"""

import numpy as np
from keras import ops

from kerasft.errors import ConfigError

STRATEGIES = ("greedy", "sample", "beam")


class Sampling:
    """Validated decoding parameters (see `resolve_sampling`)."""

    def __init__(self, strategy, temperature, top_k, top_p, num_beams, length_penalty):
        self.strategy = strategy
        self.temperature = temperature
        self.top_k = top_k
        self.top_p = top_p
        self.num_beams = num_beams
        self.length_penalty = length_penalty

    def __repr__(self):
        return (f"Sampling(strategy={self.strategy!r}, temperature={self.temperature}, "
                f"top_k={self.top_k}, top_p={self.top_p}, num_beams={self.num_beams})")


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


# -- choosing tokens ------------------------------------------------------------
def filter_logits(logits, temperature=1.0, top_k=None, top_p=None):
    """Temperature-scaled logits with tokens outside top-k / top-p at -inf.

    Args:
        logits: float array `[batch, vocabulary]`.
        temperature: float > 0.
        top_k: int or None. Keep the k largest logits (ties broken by the
            lower token id), exactly k tokens.
        top_p: float or None. Keep the smallest set of most likely tokens
            whose probabilities sum to at least `top_p` (after top-k); the
            most likely token is always kept.

    Returns:
        float64 array `[batch, vocabulary]`.
    """
    scaled = np.asarray(logits, dtype="float64") / temperature
    order = np.argsort(-scaled, axis=-1, kind="stable")
    keep = np.ones_like(scaled, dtype=bool)
    rows = np.arange(scaled.shape[0])[:, None]
    if top_k is not None and top_k < scaled.shape[-1]:
        keep[rows, order[:, top_k:]] = False
    if top_p is not None and top_p < 1:
        sorted_logits = np.where(keep[rows, order], scaled[rows, order], -np.inf)
        probs = _softmax(sorted_logits)
        mass_before = np.cumsum(probs, axis=-1) - probs
        drop = mass_before >= top_p
        drop[:, 0] = False
        keep[rows, order] &= ~drop
    return np.where(keep, scaled, -np.inf)


def _softmax(logits):
    shifted = logits - np.max(logits, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(logits):
    logits = np.asarray(logits, dtype="float64")
    shifted = logits - np.max(logits, axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def next_tokens(logits, sampling, rng):
    """The next token of each row: argmax, or a draw from the filtered
    distribution of `sampling` with the generator `rng`."""
    if sampling.strategy != "sample":
        return np.argmax(np.asarray(logits), axis=-1).astype("int32")
    probs = _softmax(filter_logits(logits, sampling.temperature, sampling.top_k,
                                   sampling.top_p))
    cumulative = np.cumsum(probs, axis=-1)
    draws = rng.random(len(probs)) * cumulative[:, -1]
    chosen = np.array([np.searchsorted(c, d, side="right") for c, d in zip(cumulative, draws)])
    # Guard against rounding at the top end: never pick a filtered token.
    chosen = np.minimum(chosen, probs.shape[-1] - 1)
    bad = probs[np.arange(len(probs)), chosen] == 0
    if bad.any():
        chosen[bad] = np.argmax(probs[bad], axis=-1)
    return chosen.astype("int32")


# -- decoding loops -------------------------------------------------------------
def decode(stepper, token_ids, lengths, max_new_tokens, sampling, stop_token_ids=(),
           pad_token_id=0, seed=None):
    """Greedy or sampled decoding of right-padded prompts.

    Args:
        stepper: see the module docstring.
        token_ids: int32 array `[batch, max_prompt + max_new_tokens]`, each
            row its prompt followed by padding.
        lengths: int array `[batch]`, prompt lengths (>= 1).
        max_new_tokens: int. Tokens generated per row at most.
        sampling: `Sampling` (greedy or sample).
        stop_token_ids: ids that end a row (not included in the output).
        pad_token_id: int. Written after a row ends.
        seed: int or None. Seed of the sampling generator.

    Returns:
        list of int32 arrays, the new tokens of each row.
    """
    token_ids = np.array(token_ids, dtype="int32")
    lengths = np.asarray(lengths)
    rng = np.random.default_rng(seed)
    stops = np.asarray(sorted(set(int(i) for i in stop_token_ids)), dtype="int32")
    end = lengths + max_new_tokens
    done = np.zeros(len(lengths), dtype=bool)
    stopped_at = end.copy()
    stepper.start(token_ids)
    for index in range(int(lengths.min()), int(end.max())):
        chosen = next_tokens(stepper.logits(token_ids, index), sampling, rng)
        generating = (index >= lengths) & ~done
        hit = generating & np.isin(chosen, stops)
        token_ids[generating, index] = np.where(hit[generating], pad_token_id,
                                                chosen[generating])
        stopped_at[hit] = index
        done |= hit | (generating & (index + 1 >= end))
        if done.all():
            break
    return [token_ids[r, lengths[r]:stopped_at[r]] for r in range(len(lengths))]


def beam_search(stepper, token_ids, length, max_new_tokens, num_beams, stop_token_ids,
                length_penalty=1.0, pad_token_id=0):
    """Beam search over prompts of one common `length`.

    A hypothesis ends at a stop token (its score is the sum of token
    log-probabilities, stop token included, divided by
    `generated_length ** length_penalty`) or after `max_new_tokens`.
    A row is finished once it holds `num_beams` ended hypotheses and no
    live beam can still beat the worst of them (exact when
    `length_penalty` is 0, since log-probabilities only fall).

    Returns:
        `(tokens, scores)`: per row the new tokens of the best hypothesis
        (stop token excluded) and its score.
    """
    token_ids = np.asarray(token_ids, dtype="int32")
    batch, k = len(token_ids), num_beams
    stops = set(int(i) for i in stop_token_ids)
    rows = np.repeat(np.arange(batch), k)
    tokens = token_ids[rows].copy()
    stepper.start(token_ids)
    stepper.reorder(rows)
    scores = np.full((batch, k), -np.inf)
    scores[:, 0] = 0.0
    finished = [[] for _ in range(batch)]
    done = np.zeros(batch, dtype=bool)

    def norm(score, n):
        return score / (n ** length_penalty) if length_penalty else score

    for step in range(max_new_tokens):
        index = length + step
        logp = log_softmax(stepper.logits(tokens, index))
        vocab = logp.shape[-1]
        candidates = (scores.reshape(-1, 1) + logp).reshape(batch, k * vocab)
        top = np.argsort(-candidates, axis=-1, kind="stable")[:, :2 * k]
        next_rows = np.zeros(batch * k, dtype="int64")
        next_tokens_ = np.full(batch * k, pad_token_id, dtype="int32")
        next_scores = np.full((batch, k), -np.inf)
        for b in range(batch):
            if done[b]:
                next_rows[b * k:(b + 1) * k] = b * k
                continue
            filled = 0
            for rank, c in enumerate(top[b]):
                beam, token = divmod(int(c), vocab)
                score = candidates[b, c]
                if not np.isfinite(score):
                    break
                if token in stops:
                    if rank < k:
                        finished[b].append(
                            (norm(score, step + 1), score, tokens[b * k + beam, length:index].copy()))
                    continue
                next_rows[b * k + filled] = b * k + beam
                next_tokens_[b * k + filled] = token
                next_scores[b, filled] = score
                filled += 1
                if filled == k:
                    break
            for j in range(filled, k):
                next_rows[b * k + j] = b * k
            best_live = next_scores[b].max()
            if len(finished[b]) >= k and (not np.isfinite(best_live) or
                                          min(f[0] for f in finished[b]) >= norm(best_live, step + 1)):
                done[b] = True
            elif not np.isfinite(best_live):
                done[b] = True
        tokens = tokens[next_rows]
        tokens[:, index] = next_tokens_
        stepper.reorder(next_rows)
        scores = next_scores
        if done.all():
            break
    generated = min(step + 1, max_new_tokens)
    results, best_scores = [], []
    for b in range(batch):
        if not done[b]:
            for j in range(k):
                if np.isfinite(scores[b, j]):
                    finished[b].append((norm(scores[b, j], generated), scores[b, j],
                                        tokens[b * k + j, length:length + generated].copy()))
        best = max(finished[b], key=lambda f: f[0])
        results.append(np.asarray(best[2], dtype="int32"))
        best_scores.append(float(best[0]))
    return results, best_scores


# -- model steps ----------------------------------------------------------------
def compile_step(fn):
    """Compiles a model step for the active backend: a `tf.function` on
    TensorFlow (one trace per input shape); other backends run it eagerly."""
    import warnings

    import keras

    def quiet(*args):
        # keras-hub's cached attention softmaxes over one key on the first
        # step and Keras warns about it; the result is right.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="You are using a softmax over axis")
            return fn(*args)

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.function(quiet, reduce_retracing=True)
    return quiet


def keras_hub_task_class(backbone, base):
    """The keras-hub task class (a subclass of `base`, for example
    `keras_hub.models.CausalLM`) built for `type(backbone)`, or None."""
    pending, seen = list(base.__subclasses__()), set()
    while pending:
        cls = pending.pop()
        if cls in seen:
            continue
        seen.add(cls)
        if getattr(cls, "backbone_cls", None) is type(backbone):
            return cls
        pending.extend(cls.__subclasses__())
    return None


def write_generate_saved_model(model, directory, serve, input_names):
    """Writes a SavedModel of `model` whose `generate` signature runs
    `serve(*inputs)` on int32 `[batch, length]` inputs named `input_names`
    (TensorFlow backend; traced through Keras' `ExportArchive`)."""
    import os

    import tensorflow as tf
    from keras.export import ExportArchive

    archive = ExportArchive()
    archive.track(model)
    archive.add_endpoint("generate", serve, input_signature=[
        tf.TensorSpec([None, None], tf.int32, name=name) for name in input_names])
    archive.write_out(os.fspath(directory), verbose=False)
    return directory


# -- steppers of the tasks -------------------------------------------------------
CLASSIFIER_MODEL_KEYS = ("dropout", "l2", "pooling")


def task_kwargs_without_classifier_keys(model_config):
    """A run config's `model:` section less the classifier keys of the
    defaults (generative tasks take none of them)."""
    return {k: v for k, v in dict(model_config).items() if k not in CLASSIFIER_MODEL_KEYS}


class Compiled:
    """Compiled steps, held outside Keras' attribute tracking."""


class FullDecoderStepper:
    """Any decoder: one forward pass over the prefix per new token."""

    def __init__(self, model):
        self.forward = model._compiled().forward

    def start(self, token_ids):
        pass

    def logits(self, token_ids, index):
        return np.asarray(self.forward(token_ids[:, :index]))

    def reorder(self, rows):
        pass


class CachedDecoderStepper:
    """keras-hub's `call_with_cache` (key/value cache) on the same backbone."""

    def __init__(self, model):
        compiled = model._compiled()
        self.build, self.step = compiled.build_cache, compiled.cached_step

    def start(self, token_ids):
        self.cache = self.build(token_ids)

    def logits(self, token_ids, index):
        logits, self.cache = self.step(token_ids[:, index - 1:index], self.cache,
                                       np.int32(index - 1))
        return np.asarray(logits)

    def reorder(self, rows):
        self.cache = ops.take(self.cache, np.asarray(rows, "int32"), axis=0)


class FullSeq2SeqStepper:
    """Any encoder-decoder: a full forward pass per new token."""

    def __init__(self, model, encoder):
        self.forward, self.encoder = model._compiled().forward, encoder

    def start(self, token_ids):
        pass

    def logits(self, token_ids, index):
        return np.asarray(self.forward(*self.encoder, token_ids[:, :index]))

    def reorder(self, rows):
        self.encoder = tuple(e[rows] for e in self.encoder)


class CachedSeq2SeqStepper:
    """keras-hub's encoder output + self/cross-attention key/value caches."""

    def __init__(self, model, encoder):
        compiled = model._compiled()
        self.build, self.step, self.encoder = compiled.build_cache, compiled.cached_step, encoder

    def start(self, token_ids):
        hidden, self_cache, cross_cache = self.build(*self.encoder, token_ids)
        self.state = [hidden, ops.convert_to_tensor(self.encoder[1]), self_cache, cross_cache]

    def logits(self, token_ids, index):
        hidden, mask, self_cache, cross_cache = self.state
        logits, self_cache = self.step(hidden, mask, token_ids[:, index - 1:index], self_cache,
                                       cross_cache, np.int32(index - 1))
        self.state[2] = self_cache
        return np.asarray(logits)

    def reorder(self, rows):
        rows = np.asarray(rows, "int32")
        self.state = [ops.take(s, rows, axis=0) for s in self.state]
