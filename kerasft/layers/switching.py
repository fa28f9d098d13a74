"""Switching a model's layers to kerasft's training-pass subclasses in place.

`Task._attach` switches backbone layers whose training pass kerasft computes
faster (projections, dropout, GELU, attention): the layer keeps its weights,
names and config; only its class changes, to a registered subclass that
overrides the training call.
"""


def switch_classes(model, new_class):
    """Sets `layer.__class__ = new_class(layer)` for every layer of `model`
    (`model` itself included, so a single layer works too) for which
    `new_class` returns a class rather than None; returns how many."""
    switched = 0
    for layer in model._flatten_layers(include_self=True, recursive=True):
        cls = new_class(layer)
        if cls is not None:
            layer.__class__ = cls
            switched += 1
    return switched
