"""`ModelSteps`: a generative task's compiled model functions.

The decoding loops run on the host; the model part of each step is a
compiled function (a `tf.function` on TensorFlow, eager on other
backends). Where keras-hub has a task for the backbone (`GPT2CausalLM`,
`BartSeq2SeqLM`, ...), its key/value-cache methods give the cached steps.
"""

import warnings

import keras
import keras_hub
from keras import ops

from kerasft.evaluation.generation import token_nll
from kerasft.generation.steppers import (
    CachedDecoderStepper,
    CachedSeq2SeqStepper,
    FullDecoderStepper,
    FullSeq2SeqStepper,
)


def compile_step(fn):
    """Compiles a model step for the active backend: a `tf.function` on
    TensorFlow (one trace per input shape); other backends run it eagerly."""

    def quiet(*args):
        # keras-hub's cached attention softmaxes over one key on the first
        # step and Keras warns about it; the result is right.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="You are using a softmax over axis")
            return fn(*args)

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf  # only on the TensorFlow backend

        return tf.function(quiet, reduce_retracing=True)
    return quiet


def keras_hub_task_class(backbone, base):
    """The keras-hub task class (a subclass of `base`, for example
    `keras_hub.models.CausalLM`) whose `backbone_cls` is the class of
    `backbone`, or None."""
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


class ModelSteps:
    """A task model's compiled functions for decoding and scoring (base
    class), built on first use (`build`).

    A plain object, so Keras does not track it as part of the model.
    Subclasses set `hub_task_base` and implement `last_logits`,
    `start_cache`, `cache_step` and `stepper`.

    Args:
        model: the task (a `keras.Model` with a `backbone`).

    Attributes (after `build`):
        forward: compiled `last_logits`.
        score: compiled `score_batch`.
        hub: the keras-hub task on the same backbone, or None.
        build_cache, cached_step: compiled `start_cache` / `cache_step`,
            or None without `hub`.
    """

    hub_task_base = None

    def __init__(self, model):
        self.model = model
        self.forward = self.score = self.hub = None
        self.build_cache = self.cached_step = None

    def build(self):
        """Compiles the functions once; returns `self`."""
        if self.forward is not None:
            return self
        model = self.model
        self.forward = compile_step(self.last_logits)
        self.score = compile_step(self.score_batch)
        hub_cls = keras_hub_task_class(model.backbone, self.hub_task_base)
        self.hub = None if hub_cls is None else hub_cls(backbone=model.backbone,
                                                         preprocessor=None)
        if self.hub is not None:
            self.build_cache = compile_step(self.start_cache)
            self.cached_step = compile_step(self.cache_step)
        return self

    def last_logits(self, *inputs):
        """Logits of the next token after the full inputs (no cache)."""
        raise NotImplementedError

    def score_batch(self, inputs, targets):
        """`(summed token NLL, scored tokens)` of a batch of model inputs."""
        return token_nll(targets, self.model(inputs, training=False))

    def start_cache(self, *inputs):
        """The key/value cache state after the prompt (with `self.hub`)."""
        raise NotImplementedError

    def cache_step(self, *state):
        """One cached step: next-token logits and the updated cache."""
        raise NotImplementedError

    def stepper(self, *context, use_cache=True):
        """A fresh `Stepper` over these functions; `context` is what stays
        fixed while decoding (the encoder inputs of a seq2seq model)."""
        raise NotImplementedError


class DecoderSteps(ModelSteps):
    """The steps of a decoder-only model (`token_ids`, `padding_mask`)."""

    hub_task_base = keras_hub.models.CausalLM

    def last_logits(self, token_ids):
        inputs = {"token_ids": token_ids}
        if "padding_mask" in self.model.input:
            inputs["padding_mask"] = ops.ones_like(token_ids)
        return self.model(inputs, training=False)[:, -1, :]

    def start_cache(self, token_ids):
        return self.hub._build_cache(token_ids)[1]

    def cache_step(self, token_ids, cache, index):
        logits, _, cache = self.hub.call_with_cache(token_ids, cache, index)
        return ops.cast(logits[:, 0, :], "float32"), cache

    def stepper(self, use_cache=True):
        self.build()
        if use_cache and self.hub is not None:
            return CachedDecoderStepper(self.build_cache, self.cached_step)
        return FullDecoderStepper(self.forward)


class Seq2SeqSteps(ModelSteps):
    """The steps of an encoder-decoder model (`encoder_*`, `decoder_*`
    inputs; the model's `rescale_decoder_output` applies to cached steps)."""

    hub_task_base = keras_hub.models.Seq2SeqLM

    def last_logits(self, encoder_ids, encoder_mask, decoder_ids):
        return self.model({"encoder_token_ids": encoder_ids, "encoder_padding_mask": encoder_mask,
                           "decoder_token_ids": decoder_ids,
                           "decoder_padding_mask": ops.ones_like(decoder_ids)},
                          training=False)[:, -1, :]

    def start_cache(self, encoder_ids, encoder_mask, decoder_ids):
        _, hidden, self_cache, cross_cache = self.hub._build_cache(
            encoder_ids, encoder_mask, decoder_ids)
        return hidden, self_cache, cross_cache

    def cache_step(self, hidden, encoder_mask, token_ids, self_cache, cross_cache, index):
        _, states, self_cache, _ = self.hub.call_decoder_with_cache(
            encoder_hidden_states=hidden, encoder_padding_mask=encoder_mask,
            decoder_token_ids=token_ids, self_attention_cache=self_cache,
            self_attention_cache_update_index=index, cross_attention_cache=cross_cache,
            cross_attention_cache_update_index=None)
        # The task's own head (keras-hub's T5 keys rescaling off tying).
        backbone = self.model.backbone
        if self.model.rescale_decoder_output:
            states = states * ops.cast(backbone.hidden_dim ** -0.5, states.dtype)
        logits = backbone.token_embedding(states[:, 0, :], reverse=True)
        return ops.cast(logits, "float32"), self_cache

    def stepper(self, encoder, use_cache=True):
        self.build()
        if use_cache and self.hub is not None:
            return CachedSeq2SeqStepper(self.build_cache, self.cached_step, encoder)
        return FullSeq2SeqStepper(self.forward, encoder)
