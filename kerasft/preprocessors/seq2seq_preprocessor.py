"""`Seq2SeqPreprocessor`: sources for the encoder, targets for the decoder."""

import numpy as np

from kerasft.preprocessors.text_preprocessor import TextPreprocessor


class Seq2SeqPreprocessor(TextPreprocessor):
    """Tokenizes sources (encoder) and targets (decoder labels).

    Args:
        tokenizer: `kerasft.tokenizers.Tokenizer`; its post-processor adds
            the special tokens (`<s> ... </s>` for BART, `... </s>` for T5).
        sequence_length: int. Source tokens at most.
        target_sequence_length: int or None. Target tokens at most
            (defaults to `sequence_length`).
        source_prefix: str. Prepended to every source (T5 task prefixes
            such as `"translate English to German: "`).
    """

    def __init__(self, tokenizer, sequence_length=128, target_sequence_length=None,
                 input_names=None, max_sequence_length=None, source_prefix=""):
        super().__init__(tokenizer, sequence_length, input_names, max_sequence_length)
        self.target_sequence_length = target_sequence_length or sequence_length
        self.source_prefix = source_prefix

    @property
    def pad_values(self):
        pad = self.tokenizer.pad_token_id
        return {"encoder_token_ids": pad, "decoder_token_ids": pad}

    def encode(self, texts, pairs=None, progress=False):
        """Sources -> `encoder_token_ids` and `encoder_padding_mask` (unpadded)."""
        texts = [self.source_prefix + t for t in texts]
        ids = self.tokenizer.encode(texts, sequence_length=self.sequence_length,
                                    progress=progress)["token_ids"]
        return {"encoder_token_ids": ids,
                "encoder_padding_mask": [np.ones(len(t), "int32") for t in ids]}

    def encode_targets(self, targets):
        """Targets -> label ids, special tokens included."""
        return self.tokenizer.encode(list(targets),
                                     sequence_length=self.target_sequence_length)["token_ids"]

    def encode_pairs(self, sources, targets, decoder_start_token_id):
        """Teacher forcing: `(features, labels)` where the decoder reads the
        labels shifted right behind `decoder_start_token_id` (unpadded)."""
        features = self.encode(sources)
        labels = self.encode_targets(targets)
        start = np.asarray([decoder_start_token_id], "int32")
        features["decoder_token_ids"] = [np.concatenate([start, t[:-1]]) for t in labels]
        features["decoder_padding_mask"] = [np.ones(len(t), "int32") for t in labels]
        return {k: features[k] for k in self.input_names}, labels

    def encoder_arrays(self, sources):
        """`(encoder_token_ids, encoder_padding_mask)`: int32 arrays
        `[n, longest]`, right padded, for decoding."""
        ids = self.encode(sources)["encoder_token_ids"]
        n, width = len(ids), max(len(t) for t in ids)
        token_ids = np.full((n, width), self.tokenizer.pad_token_id, "int32")
        mask = np.zeros((n, width), "int32")
        for row, t in enumerate(ids):
            token_ids[row, :len(t)], mask[row, :len(t)] = t, 1
        return token_ids, mask

    def get_config(self):
        return {**super().get_config(), "target_sequence_length": self.target_sequence_length,
                "source_prefix": self.source_prefix}
