"""Sub-tokens merge into words whose offsets round-trip, on WordPiece, BPE
and SentencePiece tokenizers; special tokens are never words."""

import fixtures_hf as hf
import numpy as np
import pytest

from kerasft.backbones.tiny import tiny_tokenizer
from kerasft.explain.words import word_groups, word_scores
from kerasft.tokenizers import Tokenizer

TEXTS = hf.SAMPLE + ["Mr. Blair visited the U.S. in 1999, didn't he?", "  spaced   out  "]
FAMILIES = {"roberta": "RobertaTokenizer", "albert": "AlbertTokenizer",
            "xlnet": "XLNetTokenizer", "xlm-roberta": "XLMRobertaTokenizer"}


@pytest.fixture(scope="module", params=["wordpiece"] + list(FAMILIES))
def tokenizer(request, tmp_path_factory):
    if request.param == "wordpiece":
        return tiny_tokenizer()
    import transformers

    directory = str(tmp_path_factory.mktemp(request.param))
    hf.ENCODERS[request.param][0](directory)
    hf.save_tokenizer(directory, getattr(transformers, FAMILIES[request.param]))
    return Tokenizer.from_directory(directory)


def encodings(tokenizer, texts, pairs=None):
    items = list(texts) if pairs is None else list(zip(texts, pairs))
    for enc in tokenizer.tokenizer.encode_batch(items):
        special = np.asarray(enc.special_tokens_mask, bool)
        sequence = np.array([-1 if s is None else s for s in enc.sequence_ids])
        yield enc, np.where(special, -1, sequence), np.asarray(enc.offsets).reshape(-1, 2)


def test_words_round_trip_and_cover_every_token(tokenizer):
    for text, (enc, token_text, offsets) in zip(TEXTS, encodings(tokenizer, TEXTS)):
        groups = word_groups([text], token_text, offsets)
        assert groups, text
        for g in groups:
            assert text[g["start"]:g["end"]] == g["word"]
            assert g["word"].strip() == g["word"] and g["word"]
        # Every non-special token's score lands on some word, specials on none.
        ones = np.ones(len(token_text))
        total = word_scores(groups, ones).sum()
        assert total == pytest.approx((token_text >= 0).sum())
        members = {i for g in groups for i, _ in g["tokens"]}
        assert not members & set(np.flatnonzero(token_text < 0))


def test_pairs_keep_offsets_per_text(tokenizer):
    firsts, seconds = ["a good film."], ["Not bad, really!"]
    enc, token_text, offsets = next(encodings(tokenizer, firsts, seconds))
    groups = word_groups([firsts[0], seconds[0]], token_text, offsets)
    for g in groups:
        text = (firsts[0], seconds[0])[g["text"]]
        assert text[g["start"]:g["end"]] == g["word"]
    assert [g["word"] for g in groups if g["text"] == 1] == ["Not", "bad", ",", "really", "!"]


def test_whitespace_only_tokens_join_the_next_word():
    groups = word_groups(["ab cd"], np.array([-1, 0, 0, 0, -1]),
                         np.array([[0, 0], [0, 2], [2, 3], [3, 5], [0, 0]]))
    assert [(g["word"], [i for i, _ in g["tokens"]]) for g in groups] == \
        [("ab", [1]), ("cd", [2, 3])]
