import numpy as np
import pytest

from kerasft.evaluation.embedding import label_relevance, retrieval_report, similarity_report


def test_similarity_report_rank_correlation():
    first = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    second = np.array([[1.0, 0.1], [1.0, 1.0], [0.0, 1.0], [-1.0, 0.2]])
    report = similarity_report(first, second, [5.0, 3.0, 1.0, 0.0])
    assert report["spearman"] == pytest.approx(1.0)
    assert report["pairs"] == 4 and -1 <= report["pearson"] <= 1
    assert similarity_report(first, second, [1, 1, 1, 1])["spearman"] is None
    with pytest.raises(ValueError, match="n >= 2 scores"):
        similarity_report(first, second, [1.0, 2.0])


def test_retrieval_recall_and_mrr():
    corpus = np.array([[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]])
    queries = np.array([[1.0, 0.1], [0.1, 1.0]])
    report = retrieval_report(queries, corpus, [{2}, {1}], ks=(1, 2))
    assert report["recall_at_k"] == {"1": 0.5, "2": 1.0}
    assert report["mrr"] == pytest.approx((0.5 + 1.0) / 2)


def test_retrieval_by_label_excludes_self():
    vectors = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    relevant = label_relevance(["a", "a", "b", "b"])
    assert relevant[0] == {1}
    report = retrieval_report(vectors, vectors, relevant, ks=(1,), exclude_self=True)
    assert report["recall_at_k"]["1"] == 1.0 and report["queries"] == 4
