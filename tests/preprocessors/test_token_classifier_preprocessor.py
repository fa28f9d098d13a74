import json

import numpy as np
import pytest
from helpers import minilm_tokenizers

from kerasft.backbones.presets import preset_directory
from kerasft.backbones.tiny import tiny_tokenizer
from kerasft.errors import ConfigError
from kerasft.preprocessors.token_classifier_preprocessor import TokenClassifierPreprocessor
from kerasft.tokenizers import Tokenizer

SENTENCES = [["EU", "rejects", "German", "call", "to", "boycott", "British", "lamb", "."],
             ["Peter", "Blackburnshire", "naïve", "U.S.", "1,000"]]
TAGS = [[1, 0, 2, 0, 0, 0, 2, 0, 0], [3, 4, 0, 5, 0]]
INPUTS = ["token_ids", "segment_ids", "padding_mask"]


@pytest.fixture(scope="module")
def minilm():
    return Tokenizer.from_directory(preset_directory("minilm-l6"))


def test_matches_transformers_word_alignment():
    minilm, reference = minilm_tokenizers()
    pre = TokenClassifierPreprocessor(minilm, sequence_length=64, input_names=INPUTS)
    enc = pre.encode_words(SENTENCES)
    targets = pre.align_targets(enc, TAGS)
    assert enc.sentence.tolist() == [0, 1]
    for i, words in enumerate(SENTENCES):
        ref = reference(words, is_split_into_words=True)
        assert enc.features["token_ids"][i].tolist() == ref["input_ids"]
        # The usual recipe: label the first sub-token of each word, -100 elsewhere.
        expected, previous = [], None
        for w in ref.word_ids():
            expected.append(-100 if w is None or w == previous else TAGS[i][w])
            previous = w
        assert targets[i].tolist() == expected
    assert len(enc.features["token_ids"][1]) > 2 + 5  # words split into sub-tokens
    np.testing.assert_array_equal(enc.features["padding_mask"][1], 1)
    np.testing.assert_array_equal(enc.features["segment_ids"][1], 0)


def test_long_sentence_becomes_overlapping_windows(minilm):
    words = [f"word{i}" for i in range(60)]  # several sub-tokens per word
    pre = TokenClassifierPreprocessor(minilm, sequence_length=32, input_names=INPUTS)
    enc = pre.encode_words([words, ["short"]])
    windows = np.flatnonzero(enc.sentence == 0)
    assert len(windows) > 3 and enc.sentence.tolist()[-1] == 1
    labelled = []
    for k in windows:
        ids = enc.features["token_ids"][k]
        assert len(ids) <= 32 and ids[0] == 101 and ids[-1] == 102
        labelled += enc.word_index[k][enc.word_index[k] >= 0].tolist()
    assert sorted(labelled) == list(range(60))  # every word labelled exactly once
    targets = pre.align_targets(enc, [np.arange(60), np.array([7])])
    for k in windows:
        index = enc.word_index[k]
        np.testing.assert_array_equal(targets[k][index >= 0], index[index >= 0])
        assert (targets[k][index < 0] == -100).all()
    # Consecutive windows overlap.
    full = minilm.encode([words], is_pretokenized=True, add_special_tokens=False)
    assert sum(len(enc.features["token_ids"][k]) - 2 for k in windows) > \
        len(full["token_ids"][0])


def test_words_without_sub_tokens_are_not_labelled(minilm):
    pre = TokenClassifierPreprocessor(minilm, sequence_length=16, input_names=INPUTS)
    enc = pre.encode_words([["Peter", "\u200b", "runs"]])
    assert enc.word_index[0].tolist() == [-1, 0, 2, -1]
    assert enc.num_words == [3]


def test_special_tokens_template():
    pre = TokenClassifierPreprocessor(tiny_tokenizer(), sequence_length=16)
    assert pre.special_tokens == ([2], [3])


def test_window_overlap_is_validated_and_saved(tmp_path):
    with pytest.raises(ConfigError, match=r"window_overlap` must be in \[0, 14\).*=14"):
        TokenClassifierPreprocessor(tiny_tokenizer(), sequence_length=16, window_overlap=14)
    pre = TokenClassifierPreprocessor(tiny_tokenizer(), sequence_length=16, window_overlap=3)
    pre.save(tmp_path)
    assert json.loads((tmp_path / "preprocessor.json").read_text())["window_overlap"] == 3
    assert TokenClassifierPreprocessor.load(tmp_path).window_overlap == 3


def test_unknown_backbone_input():
    pre = TokenClassifierPreprocessor(tiny_tokenizer(), sequence_length=16,
                                      input_names=["token_ids", "mask_positions"])
    with pytest.raises(ConfigError, match="input name 'mask_positions'"):
        pre.encode_words([["a"]])


def test_dataset_pads_targets_with_ignore_index():
    pre = TokenClassifierPreprocessor(tiny_tokenizer(), sequence_length=16)
    enc = pre.encode_words([["good"], ["the", "film", "was", "bad"]])
    targets = pre.align_targets(enc, [np.array([1]), np.array([0, 1, 0, 2])])
    ds, n = pre.make_dataset(enc.features, targets, batch_size=2, bucket=False)
    x, y = next(iter(ds))
    assert n == 1 and y.shape == x["token_ids"].shape == (2, 8)
    assert y.numpy().tolist() == [[-100, 1] + [-100] * 6, [-100, 0, 1, 0, 2] + [-100] * 3]
