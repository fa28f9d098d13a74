import numpy as np
import pytest

from kerasft.decoding import embedding


def test_rank_orders_by_cosine_and_cuts_top_k():
    collection = np.array([[1.0, 0.0], [0.0, 2.0], [3.0, 3.0], [-1.0, 0.0]])
    ranked = embedding.rank([2.0, 0.1], collection, top_k=3)
    assert [i for i, _ in ranked] == [0, 2, 1]
    assert ranked[0][1] == pytest.approx(2.0 / np.hypot(2.0, 0.1))
    both = embedding.rank(np.array([[0.0, 1.0], [1.0, 0.0]]), collection)
    assert [i for i, _ in both[0]] == [1, 2, 0, 3] and [i for i, _ in both[1]][0] == 0


def test_decode_and_errors():
    records = embedding.decode({"embeddings": [[1.0, 2.0], [0.5, 0.0]]}, {"dim": 2})
    assert records == [{"embedding": [1.0, 2.0]}, {"embedding": [0.5, 0.0]}]
    assert "dim=2" in embedding.format_record({**records[0], "text": "t"})
    with pytest.raises(ValueError, match="named 'embeddings'"):
        embedding.decode({"probabilities": [[1.0]]}, {})
    with pytest.raises(ValueError, match=r"shape \[n, 3\]"):
        embedding.decode({"embeddings": [[1.0, 2.0]]}, {"dim": 3})
