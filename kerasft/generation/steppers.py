"""Steppers: the model side of one decoding step.

A stepper gives the decoding loops (`decode`, `beam_search`) the
next-token logits of every row; the loops never see the model. Two
families: a full forward pass over the prefix per token (any backbone),
and keras-hub's key/value caches (backbones keras-hub has a task for).
The compiled functions come from `ModelSteps`.
"""

import numpy as np
from keras import ops


class Stepper:
    """Base class: logits of the next token, one step at a time.

    The loops call `start` once with the whole token buffer, then
    `logits(token_ids, index)` for each position, and `reorder(rows)`
    when beam search reorders or repeats the rows.
    """

    def start(self, token_ids):
        """Prepares decoding of `token_ids` (int32 `[batch, total]`).
        Default: nothing."""

    def logits(self, token_ids, index):
        """float `[batch, vocabulary]`: logits of the token at `index`
        given `token_ids[:, :index]`."""
        raise NotImplementedError

    def reorder(self, rows):
        """Row `i` continues former row `rows[i]` (beam search). Default:
        nothing."""


class FullDecoderStepper(Stepper):
    """Any decoder: one forward pass over the prefix per new token.

    Args:
        forward: compiled `token_ids -> last-position logits`.
    """

    def __init__(self, forward):
        self.forward = forward

    def logits(self, token_ids, index):
        return np.asarray(self.forward(token_ids[:, :index]))


class CachedDecoderStepper(Stepper):
    """keras-hub's `call_with_cache` (key/value cache) on the same backbone.

    Args:
        build_cache: compiled `token_ids -> cache`.
        cached_step: compiled `(token_ids [batch, 1], cache, index) ->
            (logits, cache)`.
    """

    def __init__(self, build_cache, cached_step):
        self.build, self.step = build_cache, cached_step

    def start(self, token_ids):
        self.cache = self.build(token_ids)

    def logits(self, token_ids, index):
        logits, self.cache = self.step(token_ids[:, index - 1:index], self.cache,
                                       np.int32(index - 1))
        return np.asarray(logits)

    def reorder(self, rows):
        self.cache = ops.take(self.cache, np.asarray(rows, "int32"), axis=0)


class FullSeq2SeqStepper(Stepper):
    """Any encoder-decoder: a full forward pass per new token.

    Args:
        forward: compiled `(encoder ids, encoder mask, decoder ids) ->
            last-position logits`.
        encoder: `(encoder_token_ids, encoder_padding_mask)` NumPy arrays.
    """

    def __init__(self, forward, encoder):
        self.forward, self.encoder = forward, encoder

    def logits(self, token_ids, index):
        return np.asarray(self.forward(*self.encoder, token_ids[:, :index]))

    def reorder(self, rows):
        self.encoder = tuple(e[rows] for e in self.encoder)


class CachedSeq2SeqStepper(Stepper):
    """keras-hub's encoder output + self/cross-attention key/value caches.

    Args:
        build_cache: compiled `(encoder ids, encoder mask, decoder ids) ->
            (encoder hidden states, self cache, cross cache)`.
        cached_step: compiled `(hidden, encoder mask, token_ids [batch, 1],
            self cache, cross cache, index) -> (logits, self cache)`.
        encoder: `(encoder_token_ids, encoder_padding_mask)` NumPy arrays.
    """

    def __init__(self, build_cache, cached_step, encoder):
        self.build, self.step, self.encoder = build_cache, cached_step, encoder

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
