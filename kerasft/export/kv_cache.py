"""On-device generation: a `.tflite` with `prefill` and `decode` signatures
over an explicit key/value cache of fixed length.

keras-hub's causal LMs (`GPT2CausalLM`, ...) decode with `call_with_cache`:
a dense cache `[batch, layers, 2, cache_length, heads, head_dim]` whose
slot `i` holds the keys and values of position `i`, written with
`slice_update` (TFLite `DYNAMIC_UPDATE_SLICE`, a builtin op). The export
traces two functions over it, batch 1:

- `prefill`: `token_ids` int32 `[1, prompt_length]` (the prompt, right
  padded) and `length` int32 `[1]` (its real length) -> `logits` float32
  `[1, vocabulary]` (the next token after the prompt) and `cache`.
- `decode`: `token_ids` int32 `[1, 1]` (the last token), `position` int32
  `[1]` (its index in the sequence) and `cache` -> `logits` of the token
  after it and the updated `cache`.

The padded prompt positions also write the cache, but every later query
sees only slots `<= position` (keras-hub's causal mask over the whole
cache), and `decode` at `position` overwrites that slot before reading it.
So a runner calls `prefill` once and `decode` once per new token; each call
costs the same at any position (attention runs over the fixed cache, the
masked slots included). The cache is an input and an output: the runner
passes back what it got (a copy per call of `cache_length` x layers x
hidden x 2 floats).
"""

import os

import numpy as np

from kerasft.decoding.generation import LiteRTGeneration
from kerasft.errors import ExportError

PREFILL = "prefill"
DECODE = "decode"
SIGNATURES = (PREFILL, DECODE)


def cache_shape(hub, cache_length, batch_size=1):
    """The cache shape of keras-hub task `hub` (`_build_cache`'s layout)."""
    backbone = hub.backbone
    return [batch_size, backbone.num_layers, 2, int(cache_length), backbone.num_heads,
            backbone.hidden_dim // backbone.num_heads]


def check_lengths(hub, prompt_length, cache_length):
    """Raises `ExportError` unless `2 <= prompt_length <= cache_length <=`
    the backbone's positions."""
    limit = getattr(hub.backbone, "max_sequence_length", None) or cache_length
    if not (isinstance(cache_length, int) and prompt_length <= cache_length <= limit):
        raise ExportError(
            f"The generation cache must hold the prompt and fit the backbone's {limit} "
            f"positions. Received: cache_length={cache_length!r} with "
            f"prompt_length={prompt_length}. Pass cache_length in "
            f"[{prompt_length}, {limit}]."
        )


def write_generation_saved_model(model, hub, directory, prompt_length, cache_length):
    """Writes a SavedModel with the `prefill` and `decode` signatures (the
    TFLite source; traced through Keras' `ExportArchive`, as the other
    exports are).

    Args:
        model: the Keras task model (tracked for its variables).
        hub: the keras-hub task with `call_with_cache` on `model.backbone`.
        directory: str.
        prompt_length: int. Fixed prompt length of `prefill`.
        cache_length: int. Cache slots: the longest prompt + continuation.

    Returns:
        `directory`.
    """
    import tensorflow as tf  # TensorFlow backend only
    from keras import ops
    from keras.export import ExportArchive  # with TensorFlow, as above

    check_lengths(hub, prompt_length, cache_length)
    shape = cache_shape(hub, cache_length)
    cache_spec = tf.TensorSpec(shape, hub.compute_dtype, name="cache")

    def prefill(token_ids, length):
        cache = ops.zeros(shape, dtype=hub.compute_dtype)
        logits, _, cache = hub.call_with_cache(token_ids, cache, 0)
        last = ops.take_along_axis(logits, ops.reshape(length - 1, (1, 1, 1)), axis=1)
        return {"logits": ops.cast(last[:, 0, :], "float32"), "cache": cache}

    def decode(token_ids, position, cache):
        logits, _, cache = hub.call_with_cache(token_ids, cache, position[0])
        return {"logits": ops.cast(logits[:, 0, :], "float32"), "cache": cache}

    archive = ExportArchive()
    archive.track(model)
    archive.add_endpoint(PREFILL, prefill, input_signature=[
        tf.TensorSpec([1, prompt_length], tf.int32, name="token_ids"),
        tf.TensorSpec([1], tf.int32, name="length")])
    archive.add_endpoint(DECODE, decode, input_signature=[
        tf.TensorSpec([1, 1], tf.int32, name="token_ids"),
        tf.TensorSpec([1], tf.int32, name="position"), cache_spec])
    archive.write_out(os.fspath(directory), verbose=False)
    return directory


def keras_cached_logits(hub, prompt_ids, new_ids, cache_length):
    """Next-token logits of keras-hub's `call_with_cache` after the prompt
    and after each of `new_ids` (the reference of the `.tflite`):
    float32 `[len(new_ids) + 1, vocabulary]`."""
    from keras import ops

    cache = ops.zeros(cache_shape(hub, cache_length), dtype=hub.compute_dtype)
    logits, _, cache = hub.call_with_cache(np.asarray([prompt_ids], "int32"), cache, 0)
    rows = [ops.convert_to_numpy(logits[0, -1])]
    for offset, token in enumerate(new_ids[:-1] if len(new_ids) else []):
        logits, _, cache = hub.call_with_cache(np.array([[token]], "int32"), cache,
                                               len(prompt_ids) + offset)
        rows.append(ops.convert_to_numpy(logits[0, -1]))
    return np.stack(rows).astype("float32")


def check_generation(path, hub, prompts, pad_token_id=0, new_tokens=8):
    """Greedy decoding with the `.tflite` at `path` against keras-hub's
    cached call on the same tokens.

    Args:
        path: str. The generation `.tflite`.
        hub: the keras-hub task on the model's backbone.
        prompts: list of int32 prompt id arrays (each fits the prompt).
        pad_token_id: int.
        new_tokens: int. Greedy tokens per prompt.

    Returns:
        dict: `prompts`, `new_tokens`, `max_abs_diff` (logits, every step),
        `greedy_agreement` (share of steps whose `.tflite` token is the
        Keras argmax, so 1.0 means the same greedy tokens).
    """
    runtime = LiteRTGeneration(path, pad_token_id)
    diff, agree, steps = 0.0, 0, 0
    for prompt in prompts:
        new, got = greedy_with_logits(runtime.prefill, runtime.step, prompt, new_tokens)
        reference = keras_cached_logits(hub, prompt, new, runtime.cache_length)
        diff = max(diff, float(np.abs(got - reference).max()))
        agree += int((reference.argmax(-1) == new).sum())
        steps += len(new)
    return {"prompts": len(prompts), "new_tokens": int(new_tokens),
            "max_abs_diff": diff, "greedy_agreement": agree / max(steps, 1)}


def greedy_with_logits(prefill, step, prompt, new_tokens):
    """Greedy decoding (`kerasft.decoding.generation.generate`, no stop
    token): the new tokens and the logits each was chosen from,
    `[len(new), vocabulary]`."""
    from kerasft.decoding.generation import generate

    seen = []

    def record(logits):
        seen.append(np.asarray(logits))
        return seen[-1]

    new = generate(lambda ids: record(prefill(ids)), lambda t, p: record(step(t, p)),
                   prompt, new_tokens, rng=None)
    return new, np.stack(seen[:len(new)])
