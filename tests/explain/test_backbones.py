"""Explanations on every backbone family kerasft loads (tiny random
Hugging Face checkpoints): WordPiece, BPE and SentencePiece words,
left-padded XLNet, GPT-2 without a pad token; complete, no special tokens
shown, batched equal to one by one."""

import fixtures_hf as hf
import keras
import numpy as np
import pytest

import kerasft as kft
from kerasft.explain import explain

DEFAULT = ("bert", "roberta", "xlnet", "gpt2")
FAMILIES = [name if name in DEFAULT else pytest.param(name, marks=pytest.mark.slow)
            for name in ("bert", "distilbert", "roberta", "albert", "electra", "deberta-v2",
                         "xlm-roberta", "xlnet", "gpt2")]
TEXTS = ["The quick brown fox jumps over the lazy dog.", "Shares rose 3% on Monday!",
         ("A good film.", "Not bad, really.")]


@pytest.fixture(scope="module", params=FAMILIES)
def model(request, tmp_path_factory):
    directory = hf.write_encoder_checkpoint(request.param,
                                            tmp_path_factory.mktemp(request.param) / "c")
    keras.utils.set_random_seed(0)
    model = kft.TextClassifier.from_pretrained(directory, labels=["a", "b"],
                                               sequence_length=48, dropout=0.0)
    return request.param, model


def test_words_are_complete_and_never_special(model):
    name, model = model
    # DeBERTa's pad row is zero and LayerNorm follows the lookup directly
    # (no position embedding added): LN(a·x) jumps at a=0, a pad baseline is
    # singular, and the completeness check says so. The mask token is not.
    baseline = "mask" if name == "deberta-v2" else "pad"
    singles = explain(model, TEXTS[:2], steps=16, baseline=baseline)
    pair = explain(model, [TEXTS[2]], steps=16, baseline=baseline)
    for text, e in zip(TEXTS[:2], singles):
        assert [w["word"] for w in e.words] == [text[w["start"]:w["end"]] for w in e.words]
        assert "".join(w["word"] for w in e.words) == "".join(text.split())
    assert {w["text"] for w in pair[0].words} == {"text", "text_pair"}
    specials = {"[CLS]", "[SEP]", "<s>", "</s>", "<cls>", "<sep>", "<|endoftext|>", "[PAD]",
                "<pad>"}
    for e in singles + pair:
        assert not specials & {w["word"] for w in e.words}
        a = e.attributions[0]
        assert a.complete, (name, a.completeness_gap, a.output - a.baseline_output)
        assert np.any(a.scores != 0)


def test_batched_equals_one_by_one(model):
    _, model = model
    together = model.explain(TEXTS[:2], steps=8, batch_size=2)
    for text, e in zip(TEXTS[:2], together):
        np.testing.assert_allclose(e.scores, model.explain([text], steps=8)[0].scores,
                                   atol=1e-5)
