"""SQuAD exact match and F1, as the official v1.1 / v2.0 evaluation scripts.

Answers are normalized the official way (lowercase, punctuation removed,
the articles a/an/the removed, whitespace collapsed); each prediction is
scored against every gold answer and the best score counts. A question
without gold answers (SQuAD 2.0 "no answer") scores 1 only for an empty
prediction. Scores are percentages, as the official scripts print them.
"""

import collections
import json
import os
import re
import string

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCTUATION = set(string.punctuation)
METRICS_FILENAME = "metrics.json"
PREDICTIONS_FILENAME = "predictions.json"


def normalize_answer(text):
    """Lowercase, drop punctuation and articles, collapse whitespace."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match_score(prediction, gold):
    """1.0 when the normalized strings are equal, else 0.0."""
    return float(normalize_answer(prediction) == normalize_answer(gold))


def f1_score(prediction, gold):
    """Token-overlap F1 of the normalized strings (1.0 if both are empty)."""
    pred_tokens = normalize_answer(prediction).split()
    gold_tokens = normalize_answer(gold).split()
    if not pred_tokens or not gold_tokens:
        return float(pred_tokens == gold_tokens)
    common = collections.Counter(pred_tokens) & collections.Counter(gold_tokens)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred_tokens), same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def _gold_texts(answers):
    """Gold answers (dicts, strings, a list of them, or None) -> list of str."""
    if answers is None:
        return []
    if isinstance(answers, (str, dict)):
        answers = [answers]
    texts = [a["text"] if isinstance(a, dict) else a for a in answers]
    for text in texts:
        if not isinstance(text, str):
            raise ValueError(
                "Expected gold answers as strings or {'text': ...} dicts. "
                f"Received: {answers!r}."
            )
    return texts


def score_question(prediction, answers):
    """`(exact_match, f1)` in [0, 1] of one prediction against its gold answers.

    As the official v2.0 script: gold answers that normalize to nothing are
    dropped, and no gold answer at all means the gold answer is `""`.
    """
    golds = [t for t in _gold_texts(answers) if normalize_answer(t)] or [""]
    return (max(exact_match_score(prediction, g) for g in golds),
            max(f1_score(prediction, g) for g in golds))


def squad_report(predictions, references, version_2=None):
    """Exact match and F1 over a set of questions.

    Args:
        predictions: list of str. Predicted answers (`""` for no answer).
        references: list of gold answers per question: a list of str or of
            `{"text", "answer_start"}` dicts; empty (or None) for no answer.
        version_2: bool or None. Add the HasAns/NoAns breakdown. None: add
            it when any question has no gold answer.

    Returns:
        dict: `exact_match`, `f1` (percentages), `total`, and with the
        breakdown `HasAns_exact`, `HasAns_f1`, `HasAns_total`, `NoAns_exact`,
        `NoAns_f1`, `NoAns_total`.

    Raises:
        ValueError: predictions and references differ in length.
    """
    predictions, references = list(predictions), list(references)
    if len(predictions) != len(references):
        raise ValueError(
            "Expected one prediction per question. Received: "
            f"{len(predictions)} predictions and {len(references)} references."
        )
    scores = [score_question(p, r) for p, r in zip(predictions, references)]
    has_answer = [bool(_gold_texts(r)) for r in references]
    if version_2 is None:
        version_2 = not all(has_answer)

    def summary(selected, prefix=""):
        n = len(selected)
        return {
            f"{prefix}exact": 100.0 * sum(scores[i][0] for i in selected) / n if n else 0.0,
            f"{prefix}f1": 100.0 * sum(scores[i][1] for i in selected) / n if n else 0.0,
            f"{prefix}total": n,
        }

    overall = summary(range(len(scores)))
    report = {"exact_match": overall["exact"], "f1": overall["f1"], "total": overall["total"]}
    if version_2:
        report.update(summary([i for i, h in enumerate(has_answer) if h], "HasAns_"))
        report.update(summary([i for i, h in enumerate(has_answer) if not h], "NoAns_"))
    return report


def format_squad_report(report):
    """A short text table of a `squad_report`."""
    lines = [f"{'':10s} {'exact':>7s} {'f1':>7s} {'total':>7s}",
             f"{'all':10s} {report['exact_match']:7.2f} {report['f1']:7.2f} "
             f"{report['total']:7d}"]
    for prefix in ("HasAns", "NoAns"):
        if f"{prefix}_total" in report:
            lines.append(f"{prefix:10s} {report[prefix + '_exact']:7.2f} "
                         f"{report[prefix + '_f1']:7.2f} {report[prefix + '_total']:7d}")
    return "\n".join(lines)


def write_squad_report(report, output_dir, records=None):
    """Writes `metrics.json` and, given per-question `records`, `predictions.json`."""
    os.makedirs(output_dir, exist_ok=True)
    with open(os.path.join(output_dir, METRICS_FILENAME), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
    if records is not None:
        with open(os.path.join(output_dir, PREDICTIONS_FILENAME), "w", encoding="utf-8") as f:
            json.dump(records, f, indent=1, ensure_ascii=False)
