"""Integrated gradients over the token-embedding output.

For an input with token embeddings `x` and a baseline `b`, the attribution
of token `i` is `(x_i - b_i) · ∫₀¹ ∂f/∂e_i (b + α(x - b)) dα`, summed over
the embedding dimensions (Sundararajan et al., 2017). The integral is taken
with Gauss-Legendre quadrature on `steps` nodes, which is exact for
polynomials of degree `2·steps - 1` and far more accurate than a Riemann
sum of the same cost on the smooth paths of transformers.

Baseline: the same sequence with every non-special token replaced by the
padding token's embedding (`baseline="pad"`) or the mask token's
(`baseline="mask"`); special tokens, positions, segments and the attention
mask stay as they are, so only the words' content is removed.

Backbones whose padding row is zero and that normalize the token embedding
directly (DeBERTa with `position_biased_input=False`) have a singular pad
baseline (`LayerNorm(a·x)` jumps at `a = 0`); the completeness check flags
it, and `baseline="mask"` fixes it.

Completeness: attributions sum to `f(x) - f(b)`; `f(x)` and `f(b)` are
computed in the same pass (α = 1 and α = 0) and the gap is reported.
"""

import weakref

import numpy as np
import tensorflow as tf

from kerasft.errors import ConfigError
from kerasft.explain.batching import (
    as_dict,
    output_layout,
    pad_rows,
    padded_length,
    target_value,
    target_weights,
    unpad,
)
from kerasft.explain.embedding_hook import token_embedding_layer, token_embeddings

BASELINES = ("pad", "mask")
# model -> its traced gradient function, kept across `explain` calls (tracing
# costs seconds; the traced graph serves any steps, baseline and targets).
_TRACED = weakref.WeakKeyDictionary()


def baseline_token_id(tokenizer, baseline):
    """The id that replaces every word token in the baseline.

    Raises:
        ConfigError: an unknown `baseline`, or `"mask"` with a tokenizer
            that has no mask token.
    """
    if baseline not in BASELINES:
        raise ConfigError(f"`baseline` must be one of {BASELINES}. Received: "
                          f"baseline={baseline!r}.")
    if baseline == "pad":
        return tokenizer.pad_token_id
    for token in ("[MASK]", "<mask>"):
        index = tokenizer.token_to_id(token)
        if index is not None:
            return index
    raise ConfigError("baseline='mask' needs a tokenizer with a mask token ([MASK] or "
                      "<mask>). Received: a tokenizer without one. Use baseline='pad'.")


def quadrature(steps):
    """Gauss-Legendre nodes and weights on [0, 1]."""
    nodes, weights = np.polynomial.legendre.leggauss(steps)
    return ((nodes + 1.0) / 2.0).astype("float32"), (weights / 2.0).astype("float32")


def _gradients(model, embed, inputs, baseline_ids, alphas, weights):
    """Target values and `∂f/∂e · (x - b)` per token at every path point."""
    real = tf.cast(embed(inputs["token_ids"]), "float32")
    base = tf.cast(embed(baseline_ids), "float32")
    with tf.GradientTape() as tape:
        path = base + alphas[:, None, None] * (real - base)
        tape.watch(path)
        with token_embeddings(model.backbone, path):
            outputs = as_dict(model(inputs, training=False))
        value = target_value(outputs, weights)
    grads = tf.cast(tape.gradient(value, path), "float32")
    return value, tf.reduce_sum(grads * (real - base), axis=-1)


class IntegratedGradients:
    """Batched integrated gradients for one task model.

    Args:
        model: a kerasft task model.
        steps: int. Quadrature nodes per explanation. Defaults to 32.
        batch_size: int. Explanations per pass (each takes `steps + 2`
            rows). Defaults to 4.
        baseline: `"pad"` or `"mask"`. Defaults to `"pad"`.
    """

    def __init__(self, model, steps=32, batch_size=4, baseline="pad"):
        self.model = model
        self.steps = steps
        self.batch_size = batch_size
        self.baseline_id = baseline_token_id(model.preprocessor.tokenizer, baseline)
        self.layer = token_embedding_layer(model.backbone)
        self.nodes, self.weights = quadrature(steps)
        if model not in _TRACED:
            ref = weakref.ref(model)  # the cache must not keep the model alive
            _TRACED[model] = tf.function(
                lambda *args: _gradients(ref(), token_embedding_layer(ref().backbone), *args),
                reduce_retracing=True)
        self._step = _TRACED[model]

    def explain(self, items):
        """Token attributions of every target of `items`.

        Returns:
            A list (one per item) of lists (one per target) of
            `(token_scores, f(x), f(baseline))`.
        """
        jobs = [(i, k) for i, item in enumerate(items) for k in range(len(item.targets))]
        left = self.model.preprocessor.padding_side == "left"
        layout = output_layout(self.model)
        alphas = np.concatenate([self.nodes, [0.0, 1.0]]).astype("float32")
        quad = np.concatenate([self.weights, [0.0, 0.0]]).astype("float32")
        rows = len(alphas)
        results = [[None] * len(item.targets) for item in items]
        for start in range(0, len(jobs), self.batch_size):
            batch = jobs[start:start + self.batch_size]
            batch_items = [items[i] for i, _ in batch]
            length = padded_length([len(it.token_text) for it in batch_items])
            inputs = {name: np.repeat(pad_rows([it.features[name] for it in batch_items],
                                               length, left, self._pad_value(name)),
                                      rows, axis=0)
                      for name in batch_items[0].features}
            base = [np.where(it.token_text >= 0, self.baseline_id, it.features["token_ids"])
                    for it in batch_items]
            base = np.repeat(pad_rows(base, length, left, self._pad_value("token_ids")),
                             rows, axis=0)
            weights = target_weights(layout, [items[i].targets[k] for i, k in batch], length,
                                     left)
            weights = {k: np.repeat(v, rows, axis=0) for k, v in weights.items()}
            value, grads = self._step(inputs, base, np.tile(alphas, len(batch)), weights)
            value = np.asarray(value).reshape(len(batch), rows)
            grads = np.asarray(grads).reshape(len(batch), rows, length)
            for j, (i, k) in enumerate(batch):
                scores = np.tensordot(quad, grads[j], axes=1).astype("float64")
                scores = unpad(scores, len(items[i].token_text), left)
                results[i][k] = (scores, float(value[j, -1]), float(value[j, -2]))
        return results

    def _pad_value(self, name):
        return self.model.preprocessor.pad_values.get(name, 0)
