import keras
import numpy as np
import pytest

from kerasft.layers import CosineSimilarityLoss, L2Normalization, MultipleNegativesRankingLoss


def _unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _ce(logits):
    logits = logits - logits.max(-1, keepdims=True)
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    return -np.diag(log_p)


@pytest.fixture
def pairs():
    rng = np.random.RandomState(0)
    return rng.normal(size=(3, 5)).astype("float32"), rng.normal(size=(3, 5)).astype("float32")


@pytest.mark.parametrize("symmetric", [False, True])
def test_multiple_negatives_ranking_matches_numpy(pairs, symmetric):
    a, p = pairs
    logits = 7.0 * _unit(a) @ _unit(p).T
    expected = _ce(logits)
    if symmetric:
        expected = (expected + _ce(logits.T)) / 2
    loss = MultipleNegativesRankingLoss(scale=7.0, symmetric=symmetric)
    got = float(loss(np.zeros(6, "float32"), np.concatenate([a, p])))
    assert got == pytest.approx(expected.mean(), rel=1e-5)
    # the positive on the diagonal: aligned pairs give a lower loss
    aligned = float(loss(np.zeros(6, "float32"), np.concatenate([a, a])))
    assert aligned < got


def test_cosine_similarity_loss_matches_numpy(pairs):
    a, b = pairs
    scores = np.array([1.0, 0.0, 0.5], "float32")
    expected = np.mean(((_unit(a) * _unit(b)).sum(-1) - scores) ** 2)
    got = float(CosineSimilarityLoss()(np.concatenate([scores, scores]), np.concatenate([a, b])))
    assert got == pytest.approx(expected, rel=1e-5)


def test_l2_normalization_and_config_round_trip():
    x = np.array([[3.0, 4.0], [0.0, 0.0]], "float32")
    np.testing.assert_allclose(L2Normalization()(x), [[0.6, 0.8], [0.0, 0.0]], atol=1e-7)
    loss = MultipleNegativesRankingLoss(scale=5.0, symmetric=True)
    again = keras.losses.deserialize(keras.losses.serialize(loss))
    assert (again.scale, again.symmetric) == (5.0, True)
