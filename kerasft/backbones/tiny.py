"""Tiny random backbones for fast tests and dry runs (no download, ~1 s)."""

import string

import keras

from kerasft.tokenizers import Tokenizer

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
_WORDS = [
    "the", "a", "is", "was", "good", "bad", "great", "not", "movie", "film",
    "and", "it", "of", "to", "in", "sport",
]


def tiny_vocabulary():
    """A WordPiece vocabulary of under 100 tokens that covers any ASCII text."""
    chars = list(string.ascii_lowercase + string.digits + ".,!?'-")
    pieces = ["##" + c for c in string.ascii_lowercase + string.digits]
    # dict.fromkeys: unique, in order ("a" is both a word and a character).
    return list(dict.fromkeys(SPECIAL_TOKENS + _WORDS + chars + pieces))


def tiny_tokenizer(vocabulary=None):
    """A BERT-style WordPiece `Tokenizer` over `vocabulary`."""
    import tokenizers
    from tokenizers import normalizers, pre_tokenizers, processors
    from tokenizers.models import WordPiece

    vocabulary = vocabulary or tiny_vocabulary()
    vocab = {token: i for i, token in enumerate(vocabulary)}
    tok = tokenizers.Tokenizer(WordPiece(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    from tokenizers import decoders

    tok.decoder = decoders.WordPiece()
    return Tokenizer(tok, pad_token="[PAD]", lowercase=True)


def tiny_backbone(
    architecture="bert",
    num_layers=2,
    hidden_dim=16,
    num_heads=2,
    intermediate_dim=32,
    max_sequence_length=64,
    seed=0,
):
    """Builds a tiny randomly initialised backbone and its tokenizer.

    Args:
        architecture: str. Only `"bert"` for now.
        num_layers, hidden_dim, num_heads, intermediate_dim,
        max_sequence_length: int. Backbone size.
        seed: int. Seed of the random initialisation.

    Returns:
        `(backbone, tokenizer)`.
    """
    import keras_hub

    if architecture != "bert":
        raise ValueError(
            "tiny_backbone only builds `'bert'`. "
            f"Received: architecture={architecture!r}"
        )
    tokenizer = tiny_tokenizer()
    keras.utils.set_random_seed(seed)
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=tokenizer.vocabulary_size,
        num_layers=num_layers,
        num_heads=num_heads,
        hidden_dim=hidden_dim,
        intermediate_dim=intermediate_dim,
        max_sequence_length=max_sequence_length,
        dropout=0.0,
    )
    return backbone, tokenizer
