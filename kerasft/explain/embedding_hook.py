"""Feeding chosen token embeddings to a task model in place of its lookup.

Every backbone kerasft loads (keras-hub's BERT, RoBERTa, XLM-R,
DistilBERT, ALBERT, ELECTRA, DeBERTa, GPT-2 and kerasft's XLNet and T5
encoder) looks its tokens up in one layer, `backbone.token_embedding`. While
`token_embeddings(...)` is active, that layer's `call` returns the given
tensor instead, so the whole model (positions, segments, LayerNorm,
attention masks, the head) runs unchanged on top of it. The override lives
on the layer instance for the duration of the `with` block only.
"""

import contextlib

from keras import ops

from kerasft.errors import ConfigError


def token_embedding_layer(backbone):
    """The backbone's token embedding layer.

    Raises:
        ConfigError: the backbone exposes no `token_embedding` layer.
    """
    layer = getattr(backbone, "token_embedding", None)
    if layer is None or not hasattr(layer, "call"):
        raise ConfigError(
            "Explanations need a backbone that exposes its token embedding layer "
            f"as `backbone.token_embedding`. Received: a {type(backbone).__name__} "
            "without one. Use a keras-hub or kerasft backbone, or use "
            "method='occlusion', which needs no access to the embeddings.")
    return layer


@contextlib.contextmanager
def token_embeddings(backbone, embeddings):
    """Makes `backbone.token_embedding` return `embeddings` (cast to its
    compute dtype) whatever ids it is called with."""
    layer = token_embedding_layer(backbone)
    value = ops.cast(embeddings, layer.compute_dtype)
    layer.call = lambda *args, **kwargs: value
    try:
        yield layer
    finally:
        del layer.call
