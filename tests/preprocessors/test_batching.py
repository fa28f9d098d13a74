import numpy as np
import pytest

from kerasft.preprocessors.batching import (
    EpochOrder,
    bucket_boundaries,
    count_batches,
    make_dataset,
)


def features(lengths, seed=0):
    rng = np.random.RandomState(seed)
    ids = [rng.randint(5, 90, size=n).astype("int32") for n in lengths]
    return {"token_ids": ids, "padding_mask": [np.ones(n, "int32") for n in lengths]}


def test_buckets_pad_each_batch_to_its_longest_member():
    lengths = [5] * 40 + [60] * 8
    ds, n = make_dataset(features(lengths), np.arange(48), batch_size=8,
                         bucket=True, boundaries=bucket_boundaries(128), pad_multiple=1)
    shapes = sorted(x["token_ids"].shape[1] for x, _ in ds)
    assert n == 6 == len(shapes)
    assert shapes == [5] * 5 + [60]  # short texts never padded to 60 or 128


def test_padding_and_mask_values():
    ds, _ = make_dataset(features([3, 6]), None, batch_size=2, bucket=False,
                         pad_values={"token_ids": 1}, pad_multiple=8)
    (x,) = [x for x in ds]
    assert x["token_ids"].shape == (2, 8)
    np.testing.assert_array_equal(x["padding_mask"].numpy()[0], [1, 1, 1, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(x["token_ids"].numpy()[0, 3:], [1] * 5)


def test_reshuffles_every_epoch_with_a_seed():
    ds, _ = make_dataset(features([4] * 64), np.arange(64), batch_size=64, shuffle=True,
                         seed=3, boundaries=bucket_boundaries(16))
    first = np.concatenate([y.numpy() for _, y in ds])
    second = np.concatenate([y.numpy() for _, y in ds])
    assert sorted(first) == list(range(64))
    assert not np.array_equal(first, second)
    again, _ = make_dataset(features([4] * 64), np.arange(64), batch_size=64, shuffle=True,
                            seed=3, boundaries=bucket_boundaries(16))
    np.testing.assert_array_equal(first, np.concatenate([y.numpy() for _, y in again]))


def test_cardinality_is_exact():
    lengths = [3] * 10 + [20] * 3 + [40] * 17
    boundaries = bucket_boundaries(64)
    ds, n = make_dataset(features(lengths), np.zeros(30), batch_size=4, bucket=True,
                         boundaries=boundaries)
    assert n == count_batches(lengths, 4, boundaries) == 3 + 1 + 5
    assert int(ds.cardinality()) == n == sum(1 for _ in ds)


def test_left_padding_keeps_tokens_in_order():
    f = {"token_ids": [np.array([7, 8, 9], "int32"), np.array([5], "int32")]}
    ds, _ = make_dataset(f, None, batch_size=2, bucket=False, padding_side="left",
                         pad_multiple=1)
    (x,) = [x for x in ds]
    np.testing.assert_array_equal(x["token_ids"].numpy(), [[7, 8, 9], [0, 0, 5]])


def test_per_token_targets_are_padded_with_ignore_index():
    f = features([2, 4])
    targets = [np.array([1, 2], "int32"), np.array([3, 4, 5, 6], "int32")]
    ds, _ = make_dataset(f, targets, batch_size=2, bucket=False, pad_multiple=1)
    (_, y) = next(iter(ds))
    np.testing.assert_array_equal(y.numpy(), [[1, 2, -100, -100], [3, 4, 5, 6]])


def test_sample_weights_travel_with_examples():
    ds, _ = make_dataset(features([3, 3]), np.array([0, 1]), np.array([0.5, 2.0]),
                         batch_size=2, bucket=False)
    x, y, w = next(iter(ds))
    np.testing.assert_allclose(w.numpy(), [0.5, 2.0])


@pytest.mark.parametrize("sequence_length,expected", [(16, []), (64, [16, 32, 48])])
def test_bucket_boundaries_stop_below_sequence_length(sequence_length, expected):
    assert bucket_boundaries(sequence_length) == expected


@pytest.mark.parametrize("shuffle", [False, True, EpochOrder(seed=0, first_epoch=0, epochs=2)])
def test_no_autotune_model_thread(shuffle):
    # Deleting an iterator waits for the autotuner's thread to wake (up to a
    # minute): `fit` sat idle 13-16 s after its last step (batching.finished).
    ds, _ = make_dataset(features([3, 5, 4, 2, 6, 3]), np.arange(6), batch_size=2,
                         shuffle=shuffle, seed=0)
    assert ds.options().autotune.enabled is False
