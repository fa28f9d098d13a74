"""Greedy decoding in `keras.ops`: traceable loops for SavedModel export.

Unlike `decode`, these run inside the graph (`ops.fori_loop`), a full
forward pass per token, so an exported model decodes without Python.
"""

from keras import ops


def _greedy_loop(buffer, next_logits, write_position, max_new_tokens, pad_token_id,
                 stop_token_id):
    """`max_new_tokens` greedy steps over `buffer` (int32 `[batch, total]`):
    step `s` writes the argmax of `next_logits(buffer, s)` at
    `write_position(s)` (per row or one for all); a row that emitted
    `stop_token_id` writes padding from then on."""
    positions = ops.arange(ops.shape(buffer)[1], dtype="int32")[None, :]

    def body(step, state):
        buffer, done = state
        chosen = ops.cast(ops.argmax(next_logits(buffer, step), axis=-1), "int32")
        chosen = ops.where(done, pad_token_id, chosen)
        buffer = ops.where(positions == write_position(step), chosen[:, None], buffer)
        if stop_token_id is not None:
            done = ops.logical_or(done, chosen == stop_token_id)
        return buffer, done

    done = ops.zeros((ops.shape(buffer)[0],), dtype="bool")
    buffer, _ = ops.fori_loop(0, max_new_tokens, body, (buffer, done))
    return buffer


def greedy_decoder_graph(model, token_ids, padding_mask, max_new_tokens, pad_token_id,
                         stop_token_id=None):
    """Greedy continuation of right-padded prompts by a decoder task.

    Args:
        model: a task mapping `token_ids` (and `padding_mask`) to logits
            `[batch, length, vocabulary]`.
        token_ids: int32 `[batch, length]`, right-padded prompts.
        padding_mask: int `[batch, length]`, 1 on prompt tokens.
        max_new_tokens: int (static).
        pad_token_id: int.
        stop_token_id: int or None. Once a row emits it, the row pads.

    Returns:
        int32 `[batch, length + max_new_tokens]`: prompts with their
        continuations (stop token included), padding after.
    """
    pad = pad_token_id
    token_ids = ops.cast(token_ids, "int32")
    lengths = ops.sum(ops.cast(padding_mask, "int32"), axis=1)
    batch = ops.shape(token_ids)[0]
    buffer = ops.concatenate(
        [ops.where(ops.cast(padding_mask, "bool"), token_ids, pad),
         ops.full((batch, max_new_tokens), pad, dtype="int32")], axis=1)
    with_mask = "padding_mask" in model.input

    def next_logits(buffer, step):
        inputs = {"token_ids": buffer}
        if with_mask:
            inputs["padding_mask"] = ops.ones_like(buffer)
        logits = model(inputs, training=False)
        where = lengths + step
        return ops.take_along_axis(logits, (where - 1)[:, None, None], axis=1)[:, 0, :]

    return _greedy_loop(buffer, next_logits, lambda step: (lengths + step)[:, None],
                        max_new_tokens, pad, stop_token_id)


def greedy_seq2seq_graph(model, encoder_token_ids, encoder_padding_mask, max_new_tokens,
                         start_token_id, pad_token_id, stop_token_id=None):
    """Greedy targets of an encoder-decoder task.

    Args:
        model: a task mapping `encoder_*` and `decoder_*` inputs to logits
            `[batch, decoder_length, vocabulary]`.
        encoder_token_ids, encoder_padding_mask: int32 `[batch, length]`.
        max_new_tokens: int (static).
        start_token_id: int. The first decoder input.
        pad_token_id: int.
        stop_token_id: int or None. Once a row emits it, the row pads.

    Returns:
        int32 `[batch, 1 + max_new_tokens]`: the start token, the generated
        tokens (stop token included), then padding.
    """
    batch = ops.shape(encoder_token_ids)[0]
    buffer = ops.concatenate(
        [ops.full((batch, 1), start_token_id, dtype="int32"),
         ops.full((batch, max_new_tokens), pad_token_id, dtype="int32")], axis=1)

    def next_logits(buffer, step):
        logits = model({"encoder_token_ids": encoder_token_ids,
                        "encoder_padding_mask": encoder_padding_mask,
                        "decoder_token_ids": buffer,
                        "decoder_padding_mask": ops.ones_like(buffer)}, training=False)
        return ops.take(logits, step, axis=1)

    return _greedy_loop(buffer, next_logits, lambda step: step + 1, max_new_tokens,
                        pad_token_id, stop_token_id)
