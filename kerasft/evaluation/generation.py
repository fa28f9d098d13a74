"""Metrics of generative tasks: perplexity, BLEU and chrF.

BLEU and chrF are computed by `sacrebleu` (detokenized text in, its
standard tokenization, corpus level), so the numbers compare with
published ones; the report carries sacrebleu's signature strings.
"""

import math

import keras
from keras import ops

IGNORE_INDEX = -100


def token_nll(targets, logits):
    """Summed negative log-likelihood of `targets` (`-100` ignored) under
    `logits`, and the number of scored tokens (keras.ops, any backend)."""
    mask = ops.not_equal(targets, IGNORE_INDEX)
    safe = ops.where(mask, targets, ops.zeros_like(targets))
    nll = ops.sparse_categorical_crossentropy(safe, ops.cast(logits, "float32"),
                                              from_logits=True)
    mask = ops.cast(mask, "float32")
    return ops.sum(nll * mask), ops.sum(mask)


def perplexity(nll_sum, token_count):
    """`exp(nll_sum / token_count)`; inf when the mean exceeds float range."""
    if token_count <= 0:
        raise ValueError(
            f"Perplexity needs at least one scored token. Received: token_count={token_count}."
        )
    mean = float(nll_sum) / float(token_count)
    return math.exp(mean) if mean < 700 else math.inf


@keras.saving.register_keras_serializable(package="kerasft")
class Perplexity(keras.metrics.Metric):
    """Token-level perplexity over all batches seen: `exp(total NLL / tokens)`.

    Targets equal to -100 (padding) are not scored; logits are expected.
    """

    def __init__(self, name="perplexity", **kwargs):
        super().__init__(name=name, **kwargs)
        self.nll = self.add_variable(shape=(), initializer="zeros", name="nll")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        nll, count = token_nll(ops.cast(y_true, "int32"), y_pred)
        self.nll.assign_add(nll)
        self.count.assign_add(count)

    def result(self):
        return ops.exp(self.nll / ops.maximum(self.count, 1.0))

    def reset_state(self):
        self.nll.assign(0.0)
        self.count.assign(0.0)


def _sacrebleu():
    try:
        import sacrebleu
    except ImportError as e:
        raise ImportError(
            "BLEU and chrF are computed with sacrebleu. Install it with "
            "`pip install 'sacrebleu>=2.4'`."
        ) from e
    return sacrebleu


def _check(hypotheses, references):
    hypotheses, references = list(hypotheses), list(references)
    if len(hypotheses) != len(references):
        raise ValueError(
            "Each hypothesis needs one reference. Received: "
            f"{len(hypotheses)} hypotheses and {len(references)} references."
        )
    if not hypotheses:
        raise ValueError("Nothing to score. Received: 0 hypotheses.")
    return hypotheses, references


def bleu(hypotheses, references):
    """Corpus BLEU (0-100) of `hypotheses` against one reference each."""
    hypotheses, references = _check(hypotheses, references)
    return _sacrebleu().corpus_bleu(hypotheses, [references]).score


def chrf(hypotheses, references):
    """Corpus chrF (0-100) of `hypotheses` against one reference each."""
    hypotheses, references = _check(hypotheses, references)
    return _sacrebleu().corpus_chrf(hypotheses, [references]).score


def translation_report(hypotheses, references, sources=None, num_examples=5):
    """BLEU and chrF with sacrebleu's signatures, and a few examples.

    Returns:
        dict: `bleu`, `chrf`, `bleu_signature`, `chrf_signature`,
        `num_sentences`, `examples` (source, reference, hypothesis).
    """
    hypotheses, references = _check(hypotheses, references)
    sacrebleu = _sacrebleu()
    bleu_metric, chrf_metric = sacrebleu.BLEU(), sacrebleu.CHRF()
    bleu_score = bleu_metric.corpus_score(hypotheses, [references])
    chrf_score = chrf_metric.corpus_score(hypotheses, [references])
    examples = []
    for i in range(min(num_examples, len(hypotheses))):
        example = {"reference": references[i], "hypothesis": hypotheses[i]}
        if sources is not None:
            example = {"source": sources[i], **example}
        examples.append(example)
    return {
        "bleu": round(bleu_score.score, 4),
        "chrf": round(chrf_score.score, 4),
        "bleu_signature": str(bleu_metric.get_signature()),
        "chrf_signature": str(chrf_metric.get_signature()),
        "num_sentences": len(hypotheses),
        "examples": examples,
    }
