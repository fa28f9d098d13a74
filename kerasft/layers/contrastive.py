"""Contrastive losses of sentence embedders, and L2 normalization.

A `TextEmbedder` trains on pairs: each batch of `B` pairs reaches the model
as `2B` texts, the `B` first texts then the `B` second texts (see
`kerasft.tasks.text_embedder`), so `y_pred` is `[2B, dim]` and these losses
split it in halves. `y_true` is `[2B]`: the pair's score, repeated for both
halves (zeros where the loss reads none).
"""

import keras
from keras import ops


def _halves(y_pred):
    n = ops.shape(y_pred)[0] // 2
    return y_pred[:n], y_pred[n:]


def _unit(x):
    return x / ops.maximum(ops.sqrt(ops.sum(ops.square(x), axis=-1, keepdims=True)), 1e-12)


@keras.saving.register_keras_serializable(package="kerasft")
class L2Normalization(keras.layers.Layer):
    """Divides each vector by its L2 norm (a zero vector stays zero)."""

    def call(self, x):
        return _unit(x)


@keras.saving.register_keras_serializable(package="kerasft")
class MultipleNegativesRankingLoss(keras.losses.Loss):
    """In-batch negatives ranking loss (Henderson et al. 2017; the
    `MultipleNegativesRankingLoss` of sentence-transformers).

    For anchors `a_i` and positives `p_i`, the logits are `scale *
    cos(a_i, p_j)` over every `j` in the batch, and the loss is the
    cross-entropy of picking `p_i`: every other pair's positive is a
    negative. `y_true` is ignored.

    Args:
        scale: float. Inverse temperature of the cosine logits. Defaults to
            20 (sentence-transformers' default).
        symmetric: bool. Also rank the anchors for each positive and
            average both directions. Defaults to False.
    """

    def __init__(self, scale=20.0, symmetric=False, name="multiple_negatives_ranking",
                 **kwargs):
        super().__init__(name=name, **kwargs)
        self.scale = float(scale)
        self.symmetric = bool(symmetric)

    def call(self, y_true, y_pred):
        anchors, positives = _halves(ops.cast(y_pred, "float32"))
        logits = self.scale * ops.matmul(_unit(anchors), ops.transpose(_unit(positives)))
        target = ops.arange(ops.shape(logits)[0])
        loss = keras.losses.sparse_categorical_crossentropy(target, logits, from_logits=True)
        if self.symmetric:
            loss = (loss + keras.losses.sparse_categorical_crossentropy(
                target, ops.transpose(logits), from_logits=True)) / 2.0
        return ops.concatenate([loss, loss])

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "symmetric": self.symmetric}


@keras.saving.register_keras_serializable(package="kerasft")
class CosineSimilarityLoss(keras.losses.Loss):
    """Mean squared error between `cos(a_i, b_i)` and the pair's score
    `y_true` (the `CosineSimilarityLoss` of sentence-transformers, used by
    SetFit with scores 1 for same-label and 0 for different-label pairs).

    Scores must already be on the cosine scale: STS-B's 0-5 scores divided
    by 5, for example.
    """

    def __init__(self, name="cosine_similarity_mse", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        first, second = _halves(ops.cast(y_pred, "float32"))
        cosine = ops.sum(_unit(first) * _unit(second), axis=-1)
        scores, _ = _halves(ops.reshape(ops.cast(y_true, "float32"), (-1,)))
        error = ops.square(cosine - scores)
        return ops.concatenate([error, error])
