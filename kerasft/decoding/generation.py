"""Token choice and the generation loop of a causal LM, numpy only.

kerasft's samplers (`kerasft.generation`) choose tokens with these
functions, and a causal-LM export ships this file next to its `.tflite`,
so the runner in `export/run_litert_generate.py` decodes with the same
code as `CausalLM.generate`: the same prompt trimming, the same top-k /
top-p cuts and the same draws from a `numpy.random.Generator` seeded like
`generate` seeds it (`[seed, prompt index]` for one prompt per batch).

Unlike the other decoding modules this one does not turn one model output
into records: a runner drives `generate` with two model calls, `prefill`
(the prompt) and `step` (one token), which a key/value-cache `.tflite`
answers with its `prefill` and `decode` signatures. `LiteRTGeneration`
and `LiteRTSeq2SeqGeneration` are those two calls on such a `.tflite`
(they import `ai_edge_litert` when built, nothing else).
"""

import os

import numpy as np

INPUT_FIELDS = ("prompt",)
WINDOWED = False


def softmax(logits):
    """Softmax over the last axis (float64, NumPy)."""
    shifted = logits - np.max(logits, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def draw(logits, rng):
    """One token per row drawn from `softmax(logits)` with the NumPy
    generator `rng`; tokens at `-inf` are never drawn."""
    probs = softmax(logits)
    cumulative = np.cumsum(probs, axis=-1)
    draws = rng.random(len(probs)) * cumulative[:, -1]
    chosen = np.array([np.searchsorted(c, d, side="right") for c, d in zip(cumulative, draws)])
    # Guard against rounding at the top end: never pick a filtered token.
    chosen = np.minimum(chosen, probs.shape[-1] - 1)
    bad = probs[np.arange(len(probs)), chosen] == 0
    if bad.any():
        chosen[bad] = np.argmax(probs[bad], axis=-1)
    return chosen.astype("int32")


def top_k_logits(logits, k):
    """`logits` with all but the `k` largest of each row at -inf (ties
    broken towards the lower token id, so exactly k tokens stay)."""
    logits = np.array(logits, dtype="float64")
    if k < logits.shape[-1]:
        order = np.argsort(-logits, axis=-1, kind="stable")
        np.put_along_axis(logits, order[:, k:], -np.inf, axis=-1)
    return logits


def top_p_logits(logits, p):
    """`logits` with the tokens outside the nucleus at -inf: the nucleus is
    the smallest set of most likely tokens whose probabilities sum to at
    least `p`; the most likely token is always kept."""
    logits = np.array(logits, dtype="float64")
    if p >= 1:
        return logits
    order = np.argsort(-logits, axis=-1, kind="stable")
    probs = softmax(np.take_along_axis(logits, order, axis=-1))
    mass_before = np.cumsum(probs, axis=-1) - probs
    drop = mass_before >= p
    drop[:, 0] = False
    np.put_along_axis(logits, order, np.where(drop, -np.inf,
                                              np.take_along_axis(logits, order, axis=-1)),
                      axis=-1)
    return logits


def next_tokens(logits, rng, temperature=None, top_k=None, top_p=None):
    """The next token of each row of float logits `[batch, vocabulary]`.

    Greedy (the lowest id among ties) when `temperature` is 0, or None
    with neither `top_k` nor `top_p` given; otherwise a draw from the
    temperature-scaled softmax (temperature defaults to 1 then), cut to the
    `top_k` most likely tokens and then to the `top_p` nucleus. The same
    rules as `kerasft.generation.resolve_sampling(...).sampler`.
    """
    logits = np.asarray(logits)
    sampling = top_k is not None or top_p is not None or (temperature or 0) > 0
    if not sampling or temperature == 0:
        return np.argmax(logits, axis=-1).astype("int32")
    scaled = np.asarray(logits, dtype="float64") / (temperature or 1.0)
    if top_k is not None:
        scaled = top_k_logits(scaled, top_k)
    if top_p is not None:
        scaled = top_p_logits(scaled, top_p)
    return draw(scaled, rng)


def trim_prompt(ids, room, eos_token_id=None, pad_token_id=0):
    """int32 ids of one prompt for a decoder: a trailing end-of-text token
    dropped, an empty prompt started with end-of-text (or padding), and at
    most the last `room` tokens kept."""
    ids = np.asarray(ids, dtype="int32")
    if len(ids) and eos_token_id is not None and ids[-1] == eos_token_id:
        ids = ids[:-1]  # a post-processor's end token would end the text
    if not len(ids):
        start = eos_token_id if eos_token_id is not None else pad_token_id
        ids = np.asarray([start], "int32")
    return ids[-room:]  # keep the latest context


def generate(prefill, step, prompt_ids, max_new_tokens, rng, temperature=None, top_k=None,
             top_p=None, stop_token_ids=()):
    """Continues one prompt, one model call per new token.

    Args:
        prefill: callable. int32 prompt ids `[n]` -> float logits
            `[vocabulary]` of the token after them (and keeps the cache).
        step: callable. `(token_id, position)` -> float logits
            `[vocabulary]` of the token after `token_id`, which sits at
            `position` (and updates the cache).
        prompt_ids: int32 ids `[n]`, `n >= 1`.
        max_new_tokens: int. New tokens at most.
        rng: `numpy.random.Generator` (unused when greedy).
        temperature, top_k, top_p: see `next_tokens`.
        stop_token_ids: ids that end the text (not part of the output).

    Returns:
        int32 array of the new tokens.
    """
    stops = {int(i) for i in stop_token_ids}
    logits = prefill(np.asarray(prompt_ids, dtype="int32"))
    position = len(prompt_ids)
    new = []
    while True:
        token = int(next_tokens(np.asarray(logits)[None], rng, temperature, top_k, top_p)[0])
        if token in stops:
            break
        new.append(token)
        if len(new) >= max_new_tokens:
            break
        logits = step(token, position)
        position += 1
    return np.asarray(new, dtype="int32")


def format_record(record):
    """A runner's one-line text form of a generation record."""
    return record["generated_text"]


def _signature_runners(path, num_threads):
    from ai_edge_litert.interpreter import Interpreter  # only where a .tflite is run

    interpreter = Interpreter(model_path=os.fspath(path), num_threads=num_threads)
    return interpreter.get_signature_runner("prefill"), interpreter.get_signature_runner("decode")


class LiteRTGeneration:
    """A causal LM's key/value-cache `.tflite` (LiteRT, batch 1) as the two
    callables `generate` drives: `prefill(prompt_ids)` fills the cache and
    returns the next-token logits, `step(token_id, position)` feeds one
    token. `prompt_length` is the padded prompt length, `cache_length` (also
    `max_length`) the positions the cache holds."""

    def __init__(self, path, pad_token_id=0, num_threads=None):
        self._prefill, self._decode = _signature_runners(path, num_threads)
        self.prompt_length = int(self._prefill.get_input_details()["token_ids"]["shape"][1])
        self.cache_length = self.max_length = int(
            self._decode.get_input_details()["cache"]["shape"][3])
        self.pad_token_id = pad_token_id
        self.cache = None

    def prefill(self, prompt_ids):
        ids = np.full((1, self.prompt_length), self.pad_token_id, "int32")
        ids[0, :len(prompt_ids)] = prompt_ids
        out = self._prefill(token_ids=ids, length=np.array([len(prompt_ids)], "int32"))
        self.cache = out["cache"]
        return out["logits"][0]

    def step(self, token_id, position):
        out = self._decode(token_ids=np.array([[token_id]], "int32"),
                           position=np.array([position], "int32"), cache=self.cache)
        self.cache = out["cache"]
        return out["logits"][0]


class LiteRTSeq2SeqGeneration:
    """An encoder-decoder's key/value-cache `.tflite` as the two callables
    `generate` drives: `prefill(source_ids)` runs the encoder and the
    decoder's start token, `step(token_id, position)` feeds one target
    token over the self-attention cache."""

    def __init__(self, path, pad_token_id=0, num_threads=None):
        self._prefill, self._decode = _signature_runners(path, num_threads)
        self.source_length = int(
            self._prefill.get_input_details()["encoder_token_ids"]["shape"][1])
        self.cache_length = self.max_length = int(
            self._decode.get_input_details()["self_cache"]["shape"][3])
        self.pad_token_id = pad_token_id
        self.state = None

    def prefill(self, source_ids):
        ids = np.full((1, self.source_length), self.pad_token_id, "int32")
        mask = np.zeros((1, self.source_length), "int32")
        ids[0, :len(source_ids)], mask[0, :len(source_ids)] = source_ids, 1
        out = self._prefill(encoder_token_ids=ids, encoder_padding_mask=mask)
        self.state = {"encoder_padding_mask": mask, **{
            k: out[k] for k in ("encoder_hidden_states", "self_cache", "cross_cache")}}
        return out["logits"][0]

    def step(self, token_id, position):
        out = self._decode(token_ids=np.array([[token_id]], "int32"),
                           position=np.array([position], "int32"), **self.state)
        self.state["self_cache"] = out["self_cache"]
        return out["logits"][0]
