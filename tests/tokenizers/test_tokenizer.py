import json

import numpy as np
import pytest
from helpers import minilm_tokenizers

from kerasft.backbones.presets import preset_directory
from kerasft.backbones.tiny import tiny_tokenizer
from kerasft.errors import CheckpointError
from kerasft.tokenizers import Tokenizer

SAMPLE = ["Hello world!", "Shares rose 3% on Monday.", "Überraschung in München, naïve café",
          "東京は晴れ", "emoji 🙂 ok"]


@pytest.fixture(scope="module")
def minilm():
    return Tokenizer.from_directory(preset_directory("minilm-l6"))


def test_minilm_ids_match_transformers_tokenizer():
    minilm, reference = minilm_tokenizers()
    ours = minilm.encode(SAMPLE, sequence_length=64)["token_ids"]
    for text, ids in zip(SAMPLE, ours):
        assert ids.tolist() == reference(text)["input_ids"], text


def test_truncation_counts_special_tokens(minilm):
    enc = minilm.encode(["word " * 100], sequence_length=16)
    ids = enc["token_ids"][0]
    assert len(ids) == 16 and ids[0] == 101 and ids[-1] == 102


def test_pairs_get_segment_ids(minilm):
    enc = minilm.encode(["first text"], ["second"], sequence_length=32)
    np.testing.assert_array_equal(enc["segment_ids"][0], [0, 0, 0, 0, 1, 1])


def test_offsets_and_word_ids(minilm):
    text = "Shares rose"
    enc = minilm.encode([text], return_offsets=True)
    offsets, words = enc["offsets"][0], enc["word_ids"][0]
    assert words[0] == -1 and words[-1] == -1
    assert text[offsets[1][0]:offsets[1][1]].lower() == "shares"


def test_save_and_reload_gives_same_ids(minilm, tmp_path):
    minilm.save(tmp_path)
    assert (tmp_path / "vocab.txt").read_text().splitlines()[101] == "[CLS]"
    again = Tokenizer.from_directory(tmp_path)
    for a, b in zip(again.encode(SAMPLE)["token_ids"], minilm.encode(SAMPLE)["token_ids"]):
        np.testing.assert_array_equal(a, b)
    assert again.pad_token_id == 0 and again.lowercase


def test_vocab_txt_only_directory(minilm, tmp_path):
    (tmp_path / "vocab.txt").write_text("\n".join(minilm.vocabulary) + "\n")
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"do_lower_case": True}))
    ids = Tokenizer.from_directory(tmp_path).encode(SAMPLE[:2])["token_ids"]
    expected = minilm.encode(SAMPLE[:2])["token_ids"]
    assert [i.tolist() for i in ids] == [e.tolist() for e in expected]


def test_tiny_tokenizer_is_small_and_covers_ascii():
    tok = tiny_tokenizer()
    assert tok.vocabulary_size <= 100
    ids = tok.encode(["Zebra 42!"])["token_ids"][0]
    assert tok.token_to_id("[UNK]") not in ids.tolist()


def test_missing_and_broken_tokenizer_files(tmp_path):
    with pytest.raises(CheckpointError, match="No tokenizer found"):
        Tokenizer.from_directory(tmp_path)
    (tmp_path / "tokenizer.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="Could not read the tokenizer"):
        Tokenizer.from_directory(tmp_path)


def test_padding_side_is_validated():
    with pytest.raises(ValueError, match="padding_side"):
        Tokenizer(tiny_tokenizer().tokenizer, padding_side="middle")


def test_tiny_vocabulary_ids_are_dense():
    tok = tiny_tokenizer()
    ids = [i for e in tok.encode(["a zebra ate 99 apples", "£€ unknown"])["token_ids"] for i in e]
    assert max(ids) < tok.vocabulary_size == len(tok.vocabulary)
