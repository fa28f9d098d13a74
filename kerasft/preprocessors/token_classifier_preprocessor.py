"""Pre-split words -> windows of sub-tokens with word-aligned tag targets."""

import dataclasses

import numpy as np

from kerasft.decoding.ner import IGNORE_INDEX, special_template, window_inputs
from kerasft.errors import ConfigError
from kerasft.preprocessors.text_preprocessor import TextPreprocessor


@dataclasses.dataclass
class WordEncoding:
    """Windows of a batch of sentences.

    Args:
        features: dict name -> list of 1-D int32 arrays, one per window.
        sentence: int array. The sentence of each window.
        word_index: list of 1-D int32 arrays, one per window: the word each
            token labels, or -1 (special and continuation tokens, words
            another window labels).
        num_words: list of int. Words per sentence.
    """

    features: dict
    sentence: np.ndarray
    word_index: list
    num_words: list


class TokenClassifierPreprocessor(TextPreprocessor):
    """Tokenizes pre-split words and aligns word tags to sub-tokens.

    Words are encoded with the fast tokenizer on pre-split input
    (`is_pretokenized=True`), which maps every sub-token to its word. The
    first sub-token of a word carries the word's tag; other sub-tokens and
    special tokens get -100, which the loss and metrics ignore. Sentences
    longer than `sequence_length` are cut into overlapping windows (see
    `kerasft.decoding.ner.plan_windows`) instead of being truncated;
    each word is labelled in exactly one window, the one where it is most
    central.

    Args:
        tokenizer: `kerasft.tokenizers.Tokenizer`.
        sequence_length: int. Tokens per window, special tokens included.
        input_names: list of str. The backbone's input names.
        max_sequence_length: int or None. The backbone's limit.
        window_overlap: int or None. Sub-tokens shared by consecutive
            windows of a long sentence. Defaults to None: half a window.
    """

    def __init__(self, tokenizer, sequence_length=128, input_names=None,
                 max_sequence_length=None, window_overlap=None):
        super().__init__(tokenizer, sequence_length=sequence_length,
                         input_names=input_names, max_sequence_length=max_sequence_length)
        self._template = special_template(tokenizer.tokenizer)
        budget = sequence_length - len(self._template[0]) - len(self._template[1])
        if window_overlap is not None and not 0 <= window_overlap < budget:
            raise ConfigError(
                f"`window_overlap` must be in [0, {budget}) (the window minus its "
                f"special tokens). Received: window_overlap={window_overlap!r}"
            )
        self.window_overlap = window_overlap

    @property
    def special_tokens(self):
        """`(prefix_ids, suffix_ids)` the checkpoint puts around a sentence."""
        return self._template[0].tolist(), self._template[1].tolist()

    def encode_words(self, sentences, progress=False):
        """Encodes pre-split sentences into windows.

        Args:
            sentences: list of lists of str.
            progress: bool. Progress bar for large inputs.

        Returns:
            `WordEncoding`.
        """
        enc = self.tokenizer.encode(sentences, is_pretokenized=True,
                                    add_special_tokens=False, return_offsets=True,
                                    progress=progress)
        prefix, suffix, prefix_types, suffix_types = self._template
        features = {name: [] for name in self.input_names}
        sentence, word_index = [], []
        for i, (ids, words) in enumerate(zip(enc["token_ids"], enc["word_ids"])):
            for window in window_inputs(ids, words, self.sequence_length, prefix, suffix,
                                        prefix_types, suffix_types, self.window_overlap):
                for name in self.input_names:
                    if name not in window:
                        raise ConfigError(
                            f"The backbone takes an input kerasft cannot build. "
                            f"Received: input name {name!r}. Known: token_ids, "
                            "segment_ids, padding_mask."
                        )
                    features[name].append(window[name])
                sentence.append(i)
                word_index.append(window["word_index"])
        return WordEncoding(features=features, sentence=np.asarray(sentence, "int64"),
                            word_index=word_index,
                            num_words=[len(s) for s in sentences])

    @staticmethod
    def align_targets(encoding, tag_ids):
        """Per-window targets: the word's tag id where it is labelled, else -100.

        Args:
            encoding: `WordEncoding`.
            tag_ids: list of 1-D int arrays, one tag id per word and sentence.

        Returns:
            list of 1-D int32 arrays, one per window.
        """
        targets = []
        for s, index in zip(encoding.sentence, encoding.word_index):
            ids = np.asarray(tag_ids[s], dtype="int32")
            labelled = index >= 0
            target = np.full(len(index), IGNORE_INDEX, dtype="int32")
            target[labelled] = ids[index[labelled]]
            targets.append(target)
        return targets

    def get_config(self):
        return {**super().get_config(), "window_overlap": self.window_overlap}
