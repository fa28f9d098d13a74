"""What tasks and tokenizers must know about a backbone's architecture.

Tasks need a few architecture facts: which token sums up a text, on which
side to pad, how a seq2seq decoder starts. `traits(backbone)` answers them
from the backbone's class (with `issubclass`, so kerasft's subclasses of
keras-hub backbones answer like their bases), in one place, instead of each
task matching class names.
"""

import dataclasses

# keras-hub backbones that are not decoders but summarize a text at its last
# token: XLNet (its `<cls>` is the last token, kept last by left padding).
_LAST_TOKEN_ENCODERS = ("XLNetBackbone",)


@dataclasses.dataclass(frozen=True)
class BackboneTraits:
    """Architecture facts of a backbone class.

    Attributes:
        pooling: str. `"last"` where the architecture's own classifiers read
            the last real token (XLNet; decoders such as GPT-2, whose causal
            attention lets only the last token read the whole text), else
            `"mean"`. What `pooling="auto"` resolves to.
        padding_side: str. `"left"` for XLNet (its summary token stays at
            the last position), else `"right"`.
        is_decoder: bool. A decoder-only backbone keras-hub builds a
            `CausalLM` on (GPT-2, Llama, ...).
        is_seq2seq: bool. An encoder-decoder backbone (BART, T5).
        is_t5: bool. keras-hub's `T5Backbone` (or a subclass): decoding
            starts from the pad token, and tied output embeddings are scaled
            by `hidden_dim ** -0.5`.
    """

    pooling: str
    padding_side: str
    is_decoder: bool
    is_seq2seq: bool
    is_t5: bool


def _subclasses(cls):
    pending, seen = [cls], set()
    while pending:
        klass = pending.pop()
        for sub in klass.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                pending.append(sub)
    return seen


def _task_backbones(task_base, exclude=None):
    """The `backbone_cls` of every keras-hub task class under `task_base`
    (except those under `exclude`)."""
    from keras_hub.models import Backbone

    found = set()
    for task in _subclasses(task_base):
        if exclude is not None and issubclass(task, exclude):
            continue
        backbone_cls = getattr(task, "backbone_cls", None)
        if isinstance(backbone_cls, type) and backbone_cls is not Backbone:
            found.add(backbone_cls)
    return tuple(found)


def _last_token_encoders():
    import keras_hub

    return tuple(getattr(keras_hub.models, name) for name in _LAST_TOKEN_ENCODERS)


def traits(backbone):
    """The `BackboneTraits` of a backbone, a backbone class, or a Hugging
    Face `model_type` kerasft converts.

    Args:
        backbone: a `keras_hub.models.Backbone`, a subclass of it, or a
            `model_type` string such as `"xlnet"` (the class its converter
            builds).

    Returns:
        A frozen `BackboneTraits`.

    Raises:
        TypeError: `backbone` is none of those.
        CheckpointError: an unknown `model_type`.

    Example:
    >>> import keras_hub
    >>> traits(keras_hub.models.XLNetBackbone).padding_side
    'left'
    >>> traits("bert").pooling
    'mean'
    """
    import keras_hub

    if isinstance(backbone, str):
        return traits(_model_type_class(backbone))
    cls = backbone if isinstance(backbone, type) else type(backbone)
    if not issubclass(cls, keras_hub.models.Backbone):
        raise TypeError(
            "traits() takes a keras-hub Backbone, its class or a model_type "
            f"string. Received: backbone={backbone!r}. Pass the backbone."
        )
    models = keras_hub.models
    seq2seq = issubclass(cls, _task_backbones(models.Seq2SeqLM)) or issubclass(
        cls, (models.BartBackbone, models.T5Backbone))
    decoder = not seq2seq and issubclass(
        cls, _task_backbones(models.CausalLM, exclude=models.Seq2SeqLM))
    xlnet = issubclass(cls, _last_token_encoders())
    return BackboneTraits(
        pooling="last" if decoder or xlnet else "mean",
        padding_side="left" if xlnet else "right",
        is_decoder=decoder,
        is_seq2seq=seq2seq,
        is_t5=issubclass(cls, models.T5Backbone),
    )


def _model_type_class(model_type):
    from kerasft.backbones.architectures import CONVERTERS, converter_module, get_architecture

    if model_type not in CONVERTERS:
        get_architecture(model_type, "this model_type")  # raises, listing the supported
        raise TypeError(
            f"traits() knows the built-in model types only. Received: "
            f"model_type={model_type!r}. Pass the loaded backbone instead."
        )
    return converter_module(model_type).backbone_cls
