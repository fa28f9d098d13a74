"""Named-entity metrics: entity-level P/R/F1 with seqeval, token accuracy."""

import warnings

from kerasft.errors import DataError
from kerasft.evaluation.classification import table_rows, write_report

AVERAGES = ("micro", "macro", "weighted")

__all__ = ["format_report", "ner_report", "write_report"]


def _check(y_true, y_pred):
    if len(y_true) != len(y_pred):
        raise DataError(
            f"Expected one predicted tag list per sentence. Received: "
            f"{len(y_true)} true and {len(y_pred)} predicted tag lists."
        )
    for i, (t, p) in enumerate(zip(y_true, y_pred)):
        if len(t) != len(p):
            raise DataError(
                f"Expected as many predicted tags as true tags. Received: "
                f"{len(t)} true and {len(p)} predicted tags in sentence {i}."
            )


def _scores(values):
    return {"precision": float(values["precision"]), "recall": float(values["recall"]),
            "f1": float(values["f1-score"])}


def ner_report(y_true, y_pred):
    """Entity-level precision, recall and F1 per type and averaged, and token
    accuracy, computed with seqeval.

    An entity counts as found only if its type and its exact span match
    (CoNLL-2003 `conlleval` semantics: seqeval's default mode, which reads
    an `I-X` that continues nothing as the start of an entity).

    Args:
        y_true: list of lists of IOB2 tags. One list per sentence.
        y_pred: list of lists of IOB2 tags, same shape as `y_true`.

    Returns:
        dict with `precision`, `recall`, `f1` (micro averages over entities,
        the CoNLL headline numbers), `micro`/`macro`/`weighted` dicts of
        precision/recall/f1, `per_type` (precision, recall, f1, support:
        true entities, predicted: predicted entities), `token_accuracy`,
        `num_sentences`, `num_tokens`, `num_entities` and
        `num_predicted_entities`.

    Raises:
        DataError: `y_true` and `y_pred` differ in sentences or lengths.

    Example:

    >>> report = ner_report([["B-PER", "I-PER", "O"]], [["B-PER", "I-PER", "O"]])
    >>> report["f1"], report["per_type"]["PER"]["support"]
    (1.0, 1)
    """
    from seqeval.metrics import accuracy_score, classification_report
    from seqeval.metrics.sequence_labeling import get_entities

    _check(y_true, y_pred)
    y_true = [list(t) for t in y_true]
    y_pred = [list(p) for p in y_pred]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = classification_report(y_true, y_pred, output_dict=True, zero_division=0)
    predicted = {}
    for kind, _, _ in get_entities(y_pred):
        predicted[kind] = predicted.get(kind, 0) + 1
    per_type = {
        name: {**_scores(values), "support": int(values["support"]),
               "predicted": predicted.get(name, 0)}
        for name, values in table.items() if not name.endswith(" avg")
    }
    num_entities = sum(v["support"] for v in per_type.values())
    if num_entities:
        averages = {a: _scores(table[f"{a} avg"]) for a in AVERAGES}
    else:
        averages = {a: {"precision": 0.0, "recall": 0.0, "f1": 0.0} for a in AVERAGES}
    tokens = sum(len(t) for t in y_true)
    return {
        **averages["micro"],
        **averages,
        "per_type": dict(sorted(per_type.items())),
        "token_accuracy": float(accuracy_score(y_true, y_pred)) if tokens else 0.0,
        "num_sentences": len(y_true),
        "num_tokens": tokens,
        "num_entities": num_entities,
        "num_predicted_entities": sum(predicted.values()),
    }


def format_report(report, digits=3):
    """Formats an NER report as a text table (like seqeval's).

    Args:
        report: dict. The output of `ner_report`.
        digits: int. Decimals shown. Defaults to `3`.

    Returns:
        A multi-line str: per-type rows, the averages and token accuracy.
    """
    names = list(report["per_type"])
    row, header = table_rows(
        [*names, "token accuracy"], ("precision", "recall", "f1-score", "support", "predicted"),
        digits)
    lines = [header, ""]
    for name in names:
        c = report["per_type"][name]
        lines.append(row(name, [c["precision"], c["recall"], c["f1"], c["support"],
                                c["predicted"]]))
    lines.append("")
    for average in AVERAGES:
        a = report[average]
        lines.append(row(f"{average} avg", [a["precision"], a["recall"], a["f1"],
                                            report["num_entities"],
                                            report["num_predicted_entities"]]))
    lines.append(row("token accuracy", ["", "", report["token_accuracy"],
                                        report["num_tokens"], ""]))
    return "\n".join(lines)
