import keras
import numpy as np
import pytest
from helpers import check_export_spec, check_predictions, check_report, check_save_load

import kerasft as kft
from kerasft.errors import ConfigError, DataError

# Paraphrase-like pairs over the tiny vocabulary: (text, its positive).
FIRST = ["good film", "bad film", "great movie", "not good", "it is good", "bad news",
         "the movie was great", "a bad market"]
SECOND = ["a good movie", "a bad movie", "great film", "bad", "it was good", "bad market",
          "the film is great", "bad news"]
SCORES = [1.0, 0.9, 1.0, 0.7, 0.9, 0.6, 1.0, 0.6]


def make_model(**kwargs):
    kwargs.setdefault("sequence_length", 16)
    return kft.TextEmbedder.from_pretrained("tiny-bert", **kwargs)


@pytest.fixture(scope="module")
def trained():
    keras.utils.set_random_seed(0)
    model = make_model()
    model.compile(learning_rate=3e-3)
    history = model.fit((FIRST, SECOND), epochs=8, batch_size=4, seed=0, verbose=0)
    return model, history


def test_encode_unit_vectors_in_input_order(trained):
    model, history = trained
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0], losses
    vectors = model.encode(FIRST, batch_size=3)
    assert vectors.dtype == np.float32 and vectors.shape == (8, 16)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    check_predictions(model, FIRST[:5])
    # in-batch negatives: each first text now finds its own positive
    ranked = model.search(FIRST, model.encode(SECOND), top_k=1)
    assert np.mean([r[0][0] == i for i, r in enumerate(ranked)]) >= 0.75


def test_save_load_report_and_spec(trained, tmp_path):
    model, _ = trained
    reloaded = check_save_load(model, FIRST, str(tmp_path / "model"))
    assert reloaded.get_task_config()["normalize"] is True
    report = check_report(model, (FIRST, SECOND), SCORES, str(tmp_path / "report"),
                          text="spearman")
    assert report["similarity"]["pairs"] == 8
    assert report["retrieval"]["recall_at_k"]["10"] == 1.0
    by_label = model.evaluate_report(FIRST, ["p", "n", "p", "n", "p", "n", "p", "n"])
    assert by_label["retrieval"]["queries"] == 8
    spec = check_export_spec(model)
    assert spec.output_names == ["embeddings"] and spec.mediapipe_task == "text_embedder"


def test_scored_pairs_train_the_cosine_loss():
    keras.utils.set_random_seed(0)
    model = make_model(normalize=False)
    model.compile(learning_rate=3e-3)
    history = model.fit(list(zip(FIRST, SECOND)), [0.0] * 4 + [1.0] * 4, epochs=6,
                        batch_size=4, seed=0, verbose=0)
    assert type(model.loss).__name__ == "CosineSimilarityLoss"
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0], losses
    # unnormalized pooled vectors, but the cosines follow the scores
    first, second = model.encode(FIRST), model.encode(SECOND)
    assert not np.allclose(np.linalg.norm(first, axis=1), 1.0)
    cosine = (first * second).sum(-1) / np.linalg.norm(first, axis=1) / np.linalg.norm(
        second, axis=1)
    assert cosine[4:].mean() > cosine[:4].mean() + 0.3


def test_pair_batches_hold_both_halves():
    model = make_model()
    ds, steps = model.make_dataset((FIRST[:3], SECOND[:3]), [0.5, 1.0, 0.0], batch_size=2)
    assert steps == 2
    x, y = next(iter(ds))
    assert x["token_ids"].shape[0] == 4 and x["token_ids"].shape[1] % 8 == 0
    np.testing.assert_array_equal(y.numpy(), [0.5, 1.0, 0.5, 1.0])
    first = model.preprocessor.encode(FIRST[:2])["token_ids"]
    np.testing.assert_array_equal(x["token_ids"].numpy()[0, :len(first[0])], first[0])


def test_bad_input():
    model = make_model()
    with pytest.raises(DataError, match="trains on text pairs"):
        model.fit(FIRST, epochs=1, verbose=0)
    with pytest.raises(DataError, match="embeds one text at a time"):
        model.predict((FIRST[:2], SECOND[:2]))
    with pytest.raises(DataError, match="Empty text"):
        model.fit((["good", " "], ["bad", "fine"]), verbose=0)
    with pytest.raises(DataError, match="2 pairs and 3 scores"):
        model.fit((FIRST[:2], SECOND[:2]), [1.0, 0.0, 1.0], verbose=0)
    with pytest.raises(DataError, match="must be finite. Received: nan at row 1"):
        model.fit((FIRST[:2], SECOND[:2]), [1.0, float("nan")], verbose=0)
    with pytest.raises(DataError, match="2 first and 1 second texts"):
        model.fit((FIRST[:2], SECOND[:1]), verbose=0)
    with pytest.raises(DataError, match="Pair scores must be numbers"):
        model.fit((FIRST[:2], SECOND[:2]), ["high", "low"], verbose=0)
    with pytest.raises(ConfigError, match="sample_weight"):
        model.fit((FIRST[:2], SECOND[:2]), [1.0, 0.0], sample_weight=[1.0, 1.0], verbose=0)
    with pytest.raises(ConfigError, match="`padding` must be one of"):
        model.fit((FIRST[:2], SECOND[:2]), padding="none", verbose=0)
    with pytest.raises(ConfigError, match="class_weight"):
        model.fit((FIRST[:2], SECOND[:2]), [1.0, 0.0], class_weight="balanced", verbose=0)
    with pytest.raises(ConfigError, match="loss"):
        make_model(loss="triplet")
    with pytest.raises(ConfigError, match="scale"):
        make_model(scale=0)
    with pytest.raises(DataError, match="one label per text"):
        model.evaluate_report(FIRST, ["a"])
