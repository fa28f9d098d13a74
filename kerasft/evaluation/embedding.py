"""Embedding metrics: similarity correlation (STS) and retrieval recall@k."""

import numpy as np
from scipy import stats

from kerasft.decoding.embedding import cosine_similarity, unit_rows

DEFAULT_KS = (1, 5, 10)


def similarity_report(first, second, scores):
    """Spearman and Pearson correlation of pair cosines with gold scores
    (the STS benchmark's metric: Spearman x 100 in the literature).

    Args:
        first, second: `[n, dim]` embeddings of the pairs' two texts.
        scores: `[n]` gold similarity scores (any scale).

    Returns:
        dict: `spearman`, `pearson`, `pairs`, `mean_cosine`.

    Raises:
        ValueError: shapes that do not pair up, or fewer than 2 pairs.
    """
    first, second = unit_rows(first), unit_rows(second)
    scores = np.asarray(scores, dtype="float64").reshape(-1)
    if first.shape != second.shape or len(first) != len(scores) or len(scores) < 2:
        raise ValueError(
            f"Expected two [n, dim] embeddings and n >= 2 scores. Received: shapes "
            f"{first.shape}, {second.shape} and {len(scores)} scores.")
    cosine = (first * second).sum(-1)
    constant = np.ptp(cosine) == 0 or np.ptp(scores) == 0
    return {
        "pairs": int(len(scores)),
        "spearman": None if constant else float(stats.spearmanr(cosine, scores)[0]),
        "pearson": None if constant else float(stats.pearsonr(cosine, scores)[0]),
        "mean_cosine": float(cosine.mean()),
    }


def retrieval_report(queries, corpus, relevant, ks=DEFAULT_KS, exclude_self=False):
    """Recall@k and mean reciprocal rank of ranking `corpus` for each query
    by cosine similarity.

    Args:
        queries: `[q, dim]` embeddings.
        corpus: `[m, dim]` embeddings.
        relevant: list of q sets (or lists) of corpus indices relevant to
            each query.
        ks: cut-offs. Defaults to (1, 5, 10).
        exclude_self: bool. Queries are the corpus (same order): never
            return a text for itself.

    Returns:
        dict: `recall_at_k` ({k: mean share of a query's relevant items in
        its top k}), `hit_rate_at_k` ({k: share of queries with at least one
        relevant item in the top k}), `mrr`, `queries` (those with at least
        one relevant item; the others are skipped).
    """
    similarity = cosine_similarity(queries, corpus)
    if exclude_self:
        np.fill_diagonal(similarity, -np.inf)
    order = np.argsort(-similarity, axis=1, kind="stable")
    recall = {k: [] for k in ks}
    hits = {k: [] for k in ks}
    reciprocal = []
    for row, wanted in zip(order, relevant):
        wanted = set(int(i) for i in wanted)
        if not wanted:
            continue
        found = np.isin(row, list(wanted))
        for k in ks:
            recall[k].append(found[:k].sum() / min(len(wanted), k))
            hits[k].append(float(found[:k].any()))
        reciprocal.append(1.0 / (1 + int(np.argmax(found))))
    return {
        "queries": len(reciprocal),
        "recall_at_k": {str(k): float(np.mean(v)) if v else None for k, v in recall.items()},
        "hit_rate_at_k": {str(k): float(np.mean(v)) if v else None for k, v in hits.items()},
        "mrr": float(np.mean(reciprocal)) if reciprocal else None,
    }


def label_relevance(labels):
    """For texts with labels: each text's relevant set is the other texts
    of its label (for `retrieval_report(..., exclude_self=True)`)."""
    labels = list(labels)
    by_label = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    return [set(by_label[label]) - {i} for i, label in enumerate(labels)]


def format_embedding_report(report):
    """The report as the CLI prints it."""
    lines = []
    sim = report.get("similarity")
    if sim:
        fmt = lambda v: "n/a" if v is None else f"{v:.4f}"  # noqa: E731
        lines.append(f"pairs {sim['pairs']}  spearman {fmt(sim['spearman'])}  "
                     f"pearson {fmt(sim['pearson'])}")
    ret = report.get("retrieval")
    if ret:
        cells = "  ".join(f"recall@{k} {v:.4f}" for k, v in ret["recall_at_k"].items()
                          if v is not None)
        lines.append(f"queries {ret['queries']}  {cells}  mrr {ret['mrr'] or 0:.4f}")
    return "\n".join(lines)
