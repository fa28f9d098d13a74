"""Raw texts (or text pairs) -> backbone inputs, tokenized once."""

import json
import os

import numpy as np

from kerasft.errors import ConfigError
from kerasft.preprocessors.batching import bucket_boundaries, make_dataset
from kerasft.tokenizers import Tokenizer

PREPROCESSOR_FILE = "preprocessor.json"


class TextPreprocessor:
    """Tokenizes texts for a backbone and batches them with `tf.data`.

    Args:
        tokenizer: `kerasft.tokenizers.Tokenizer`.
        sequence_length: int. Maximum tokens per example, special tokens
            included. Longer inputs are truncated.
        input_names: list of str. The backbone's input names (for example
            `["token_ids", "segment_ids", "padding_mask"]`).
        max_sequence_length: int or None. The backbone's limit, checked
            against `sequence_length`.
    """

    def __init__(self, tokenizer, sequence_length=128, input_names=None,
                 max_sequence_length=None):
        if not isinstance(sequence_length, int) or sequence_length < 2:
            raise ConfigError(
                "`sequence_length` must be an integer >= 2. "
                f"Received: sequence_length={sequence_length!r}"
            )
        if max_sequence_length and sequence_length > max_sequence_length:
            raise ConfigError(
                f"`sequence_length` is beyond the backbone's maximum of "
                f"{max_sequence_length} positions. Received: "
                f"sequence_length={sequence_length}. Use a value <= "
                f"{max_sequence_length}."
            )
        self.tokenizer = tokenizer
        self.sequence_length = sequence_length
        self.input_names = list(input_names or ["token_ids", "padding_mask"])
        self.max_sequence_length = max_sequence_length

    @property
    def pad_values(self):
        return {"token_ids": self.tokenizer.pad_token_id}

    def encode(self, texts, pairs=None, progress=False):
        """Returns unpadded backbone features: dict of name -> list of arrays."""
        enc = self.tokenizer.encode(
            texts, pairs, sequence_length=self.sequence_length, progress=progress
        )
        features = {}
        for name in self.input_names:
            if name == "token_ids":
                features[name] = enc["token_ids"]
            elif name == "segment_ids":
                features[name] = enc["segment_ids"]
            elif name == "padding_mask":
                features[name] = [np.ones(len(t), "int32") for t in enc["token_ids"]]
            else:
                raise ConfigError(
                    f"The backbone takes an input kerasft cannot build. "
                    f"Received: input name {name!r}. Known: token_ids, "
                    "segment_ids, padding_mask."
                )
        return features

    @property
    def padding_side(self):
        """`"left"` or `"right"`: the tokenizer's (left for XLNet)."""
        return self.tokenizer.padding_side

    def predict_by_length(self, predict_on_batch, features, batch_size=32, multiple=8,
                          limit=None):
        """Runs `predict_on_batch` over unpadded features sorted by length,
        each batch padded to a multiple of `multiple` (at most `limit`, never
        less than its longest member), and returns, in input order, each
        example's outputs cut to its own positions (padding side honoured):
        an array, or a dict of arrays for dict outputs."""
        lengths = np.array([len(t) for t in features["token_ids"]])
        order = np.argsort(lengths, kind="stable")
        left = self.padding_side == "left"
        results = [None] * len(order)
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            longest = int(lengths[rows].max())
            length = -(-longest // multiple) * multiple
            if limit:
                length = max(longest, min(length, limit))
            out = predict_on_batch(self.pad({k: [v[i] for i in rows] for k, v in features.items()},
                                            length))
            named = {k: np.asarray(v) for k, v in out.items()} if isinstance(out, dict) else None
            out = None if named else np.asarray(out)
            for j, i in enumerate(rows):
                cut = slice(length - lengths[i], None) if left else slice(0, lengths[i])
                results[i] = {k: v[j, cut] for k, v in named.items()} if named else out[j, cut]
        return results

    def pad(self, features, length=None):
        """Pads unpadded features to `length` (default: the longest)."""
        n = len(features["token_ids"])
        length = length or max((len(t) for t in features["token_ids"]), default=1)
        out = {}
        for name, arrays in features.items():
            pad = self.pad_values.get(name, 0)
            dense = np.full((n, length), pad, dtype="int32")
            for i, a in enumerate(arrays):
                a = a[:length]
                if self.padding_side == "left":
                    dense[i, length - len(a):] = a
                else:
                    dense[i, :len(a)] = a
            out[name] = dense
        return out

    def make_dataset(self, features, targets=None, sample_weight=None,
                     batch_size=32, shuffle=False, seed=None, bucket=True,
                     pad_multiple=8):
        """`(dataset, num_batches)` of length-bucketed, per-batch-padded data."""
        return make_dataset(
            features, targets, sample_weight,
            batch_size=batch_size, shuffle=shuffle, seed=seed, bucket=bucket,
            boundaries=bucket_boundaries(self.sequence_length),
            pad_values=self.pad_values,
            padding_side=self.padding_side,
            pad_multiple=pad_multiple,
        )

    def get_config(self):
        return {
            "sequence_length": self.sequence_length,
            "input_names": self.input_names,
            "max_sequence_length": self.max_sequence_length,
        }

    def save(self, directory):
        self.tokenizer.save(os.path.join(directory, "tokenizer"))
        with open(os.path.join(directory, PREPROCESSOR_FILE), "w", encoding="utf-8") as f:
            json.dump(self.get_config(), f, indent=2)

    @classmethod
    def load(cls, directory):
        with open(os.path.join(directory, PREPROCESSOR_FILE), encoding="utf-8") as f:
            config = json.load(f)
        tokenizer = Tokenizer.from_directory(os.path.join(directory, "tokenizer"))
        return cls(tokenizer, **config)
