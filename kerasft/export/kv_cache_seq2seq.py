"""On-device generation for encoder-decoders: a `.tflite` whose `prefill`
runs the encoder once and whose `decode` runs the decoder one token at a
time over explicit caches (see `kerasft.export.kv_cache` for the causal-LM
form).

The model side of each call is the task's `Seq2SeqSteps` (keras-hub's
`_build_cache` and `call_decoder_with_cache`, with the task's head, T5's
output rescaling included), batch 1:

- `prefill`: `encoder_token_ids`, `encoder_padding_mask` int32
  `[1, source_length]` -> `logits` float32 `[1, vocabulary]` (the first
  target token, after the decoder start token), `encoder_hidden_states`,
  `self_cache` (`cache_length` slots) and `cross_cache` (the encoder
  keys/values, computed once).
- `decode`: `token_ids` int32 `[1, 1]`, `position` int32 `[1]`,
  `encoder_padding_mask`, `encoder_hidden_states`, `self_cache`,
  `cross_cache` -> `logits` and the updated `self_cache`.
"""

import os

import numpy as np

from kerasft.decoding.generation import LiteRTSeq2SeqGeneration
from kerasft.export.kv_cache import DECODE, PREFILL, greedy_with_logits

ENCODER_INPUTS = ("encoder_token_ids", "encoder_padding_mask")


def write_seq2seq_generation_saved_model(model, steps, directory, source_length, cache_length,
                                        decoder_start_token_id):
    """Writes a SavedModel with `prefill` and `decode` signatures (module
    docstring).

    Args:
        model: the Keras task model (tracked for its variables).
        steps: the task's built `kerasft.generation.model_steps.Seq2SeqSteps`
            (with a keras-hub task: `steps.hub`).
        directory: str.
        source_length: int. Fixed source length of `prefill`.
        cache_length: int. Decoder cache slots (start token + new tokens).
        decoder_start_token_id: int.

    Returns:
        `directory`.
    """
    import tensorflow as tf  # TensorFlow backend only
    from keras import ops
    from keras.export import ExportArchive  # with TensorFlow, as above

    backbone = steps.hub.backbone
    start = int(decoder_start_token_id)

    def prefill(encoder_token_ids, encoder_padding_mask):
        decoder = ops.full((1, cache_length), start, dtype="int32")
        hidden, self_cache, cross_cache = steps.start_cache(
            encoder_token_ids, encoder_padding_mask, decoder)
        logits, self_cache = steps.cache_step(
            hidden, encoder_padding_mask, decoder[:, :1], self_cache, cross_cache, 0)
        return {"logits": logits, "encoder_hidden_states": hidden,
                "self_cache": self_cache, "cross_cache": cross_cache}

    head_dim = backbone.hidden_dim // backbone.num_heads
    layers = getattr(backbone, "num_layers", None) or len(backbone.decoder_transformer_layers)
    cache = [1, layers, 2, None, backbone.num_heads, head_dim]

    def spec(name, shape, dtype):
        return tf.TensorSpec(shape, dtype, name=name)

    def decode(token_ids, position, encoder_padding_mask, encoder_hidden_states,
               self_cache, cross_cache):
        logits, self_cache = steps.cache_step(
            encoder_hidden_states, encoder_padding_mask, token_ids, self_cache, cross_cache,
            position[0])
        return {"logits": logits, "self_cache": self_cache}

    dtype = model.compute_dtype
    archive = ExportArchive()
    archive.track(model)
    archive.add_endpoint(PREFILL, prefill, input_signature=[
        spec(name, [1, source_length], tf.int32) for name in ENCODER_INPUTS])
    archive.add_endpoint(DECODE, decode, input_signature=[
        spec("token_ids", [1, 1], tf.int32), spec("position", [1], tf.int32),
        spec("encoder_padding_mask", [1, source_length], tf.int32),
        spec("encoder_hidden_states", [1, source_length, backbone.hidden_dim], dtype),
        spec("self_cache", cache[:3] + [cache_length] + cache[4:], dtype),
        spec("cross_cache", cache[:3] + [source_length] + cache[4:], dtype)])
    archive.write_out(os.fspath(directory), verbose=False)
    return directory


def check_seq2seq_generation(path, model, sources, decoder_start_token_id, pad_token_id=0,
                             new_tokens=8):
    """Greedy decoding with the `.tflite` at `path` against the Keras
    model's uncached forward pass on the same tokens.

    Args:
        path: str. The generation `.tflite`.
        model: the Seq2Seq task model (a `keras.Model` taking `encoder_*`
            and `decoder_*` inputs, returning logits).
        sources: list of int32 source id arrays (each fits the source).
        decoder_start_token_id: int.
        pad_token_id: int.
        new_tokens: int. Greedy tokens per source.

    Returns:
        dict: `prompts`, `new_tokens`, `max_abs_diff`, `greedy_agreement`
        (as `kerasft.export.kv_cache.check_generation`).
    """
    runtime = LiteRTSeq2SeqGeneration(path, pad_token_id)
    start = int(decoder_start_token_id)
    diff, agree, steps = 0.0, 0, 0
    for source in sources:
        new, got = greedy_with_logits(lambda _, source=source: runtime.prefill(source),
                                      runtime.step, np.array([start], "int32"), new_tokens)
        decoder = np.array([[start, *new[:-1]]], "int32")
        reference = model.predict({
            "encoder_token_ids": np.array([source], "int32"),
            "encoder_padding_mask": np.ones((1, len(source)), "int32"),
            "decoder_token_ids": decoder, "decoder_padding_mask": np.ones_like(decoder)},
            verbose=0)[0]
        diff = max(diff, float(np.abs(got - reference).max()))
        agree += int((reference.argmax(-1) == new).sum())
        steps += len(new)
    return {"prompts": len(sources), "new_tokens": int(new_tokens),
            "max_abs_diff": diff, "greedy_agreement": agree / max(steps, 1)}
