import math

import numpy as np
import pytest

from kerasft.evaluation.generation import (
    Perplexity,
    bleu,
    chrf,
    perplexity,
    token_nll,
    translation_report,
)


def test_token_nll_ignores_padding_and_matches_numpy():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 3, 5)).astype("float32")
    targets = np.array([[1, 4, -100], [0, -100, -100]], dtype="int32")
    nll, count = token_nll(targets, logits)
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = -(logp[0, 0, 1] + logp[0, 1, 4] + logp[1, 0, 0])
    assert float(count) == 3
    assert float(nll) == pytest.approx(expected, rel=1e-5)


def test_perplexity_metric_accumulates_over_batches():
    rng = np.random.default_rng(1)
    metric = Perplexity()
    total, n = 0.0, 0
    for tokens in (4, 2):
        logits = rng.normal(size=(1, tokens, 7)).astype("float32")
        targets = rng.integers(0, 7, size=(1, tokens)).astype("int32")
        metric.update_state(targets, logits)
        nll, count = token_nll(targets, logits)
        total, n = total + float(nll), n + float(count)
    assert float(metric.result()) == pytest.approx(math.exp(total / n), rel=1e-5)
    metric.reset_state()
    assert float(metric.result()) == pytest.approx(1.0)
    # Uniform logits over V tokens: perplexity V.
    metric.update_state(np.array([[2, 3]]), np.zeros((1, 2, 7), "float32"))
    assert float(metric.result()) == pytest.approx(7.0, rel=1e-5)


def test_perplexity_function():
    assert perplexity(2 * math.log(3.0), 2) == pytest.approx(3.0)
    assert perplexity(1e6, 1) == math.inf
    with pytest.raises(ValueError, match="at least one scored token"):
        perplexity(0.0, 0)


def test_bleu_chrf_match_sacrebleu_and_bounds():
    sacrebleu = pytest.importorskip("sacrebleu")
    refs = ["Ein Mann steht auf einer Leiter.", "Zwei Hunde spielen im Schnee."]
    hyps = ["Ein Mann steht auf der Leiter.", "Zwei Hunde spielen im Schnee."]
    assert bleu(refs, refs) == pytest.approx(100.0)
    assert chrf(refs, refs) == pytest.approx(100.0)
    assert bleu(hyps, refs) == pytest.approx(sacrebleu.corpus_bleu(hyps, [refs]).score)
    assert chrf(hyps, refs) == pytest.approx(sacrebleu.corpus_chrf(hyps, [refs]).score)
    assert 0 < bleu(hyps, refs) < 100
    assert bleu(["xyz qq"] * 2, refs) == pytest.approx(0.0)


def test_translation_report():
    pytest.importorskip("sacrebleu")
    refs = ["Speichern", "Datei löschen", "Abbrechen"]
    report = translation_report(["Speichern", "Datei entfernen", "Abbrechen"], refs,
                                sources=["Save", "Delete file", "Cancel"], num_examples=2)
    assert set(report) >= {"bleu", "chrf", "bleu_signature", "chrf_signature", "num_sentences"}
    assert report["num_sentences"] == 3
    assert report["examples"][1] == {"source": "Delete file", "reference": "Datei löschen",
                                     "hypothesis": "Datei entfernen"}
    assert "nrefs:1" in report["bleu_signature"]


def test_metric_errors():
    with pytest.raises(ValueError, match="one reference"):
        bleu(["a"], ["a", "b"])
    with pytest.raises(ValueError, match="Nothing to score"):
        chrf([], [])
