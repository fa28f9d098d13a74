"""Faithfulness by deletion: remove the top-scored words, watch the output.

If the scores are faithful, deleting the `k` highest-scored words lowers
the explained output faster than deleting `k` random words. The area under
the curve of output against the fraction of words deleted summarizes it:
lower is more faithful.
"""

import numpy as np

from kerasft.errors import ConfigError
from kerasft.explain.integrated_gradients import baseline_token_id
from kerasft.explain.occlusion import Forward, remove_words

ORDERS = ("scores", "random")


def deletion_curve(model, explanations, fractions=(0.0, 0.1, 0.2, 0.3, 0.4, 0.5),
                   order="scores", seed=0, target=0, batch_size=32):
    """The explained output after deleting a growing share of words.

    Args:
        model: the task model the explanations come from.
        explanations: list of `Explanation` returned by `explain`.
        fractions: floats in [0, 1]. Shares of each input's words deleted
            (rounded to whole words).
        order: `"scores"` (highest score first) or `"random"`.
        seed: int. Seed of the random order.
        target: int. Which attribution of each explanation.

    Returns:
        float array `[inputs, len(fractions)]`: the target output.

    Raises:
        ConfigError: an unknown `order`, or explanations without the
            model inputs (not made by `explain`).
    """
    if order not in ORDERS:
        raise ConfigError(f"`order` must be one of {ORDERS}. Received: order={order!r}.")
    forward = Forward(model, batch_size)
    baseline_id = baseline_token_id(model.preprocessor.tokenizer, "pad")
    rng = np.random.default_rng(seed)
    rows, index = [], []
    for e in explanations:
        if not hasattr(e, "_item"):
            raise ConfigError("Expected explanations returned by `explain`. Received: an "
                              "Explanation without its model inputs. Explain again.")
        n = len(e.words)
        ranking = np.argsort(-e.attributions[target].scores, kind="stable") \
            if order == "scores" else rng.permutation(n)
        for f in fractions:
            k = round(f * n)
            features, kept = remove_words(e._item, e._groups, ranking[:k].tolist(),
                                          forward.layout, baseline_id)
            rows.append(features)
            index.append(kept)
    outputs = forward.outputs(rows)
    values = [forward.value(e._item.targets[target], out, kept)
              for e, out, kept in zip([e for e in explanations for _ in fractions], outputs, index)]
    return np.asarray(values, "float64").reshape(len(explanations), len(fractions))


def area_under_curve(fractions, curve):
    """Trapezoid area under a mean deletion curve, over the fraction axis."""
    fractions = np.asarray(fractions, "float64")
    curve = np.asarray(curve, "float64")
    return float(np.sum((curve[1:] + curve[:-1]) / 2 * np.diff(fractions)))
