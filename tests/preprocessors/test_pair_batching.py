import numpy as np
import pytest

from kerasft.errors import ConfigError
from kerasft.preprocessors.batching import EpochOrder
from kerasft.preprocessors.pair_batching import make_pair_dataset


def _features(lengths, start):
    # row i holds start + 10 i, start + 10 i + 1, ...
    return {"token_ids": [start + 10 * i + np.arange(n) for i, n in enumerate(lengths)],
            "padding_mask": [np.ones(n, "int32") for n in lengths]}


def test_batches_stack_first_then_second_texts():
    first, second = _features([2, 3, 1], 10), _features([1, 4, 2], 50)
    ds, steps = make_pair_dataset(first, second, [0.1, 0.2, 0.3], batch_size=2,
                                  pad_values={"token_ids": 0}, pad_multiple=4)
    batches = list(ds)
    assert steps == 2 and len(batches) == 2
    x, y = batches[0]
    np.testing.assert_array_equal(x["token_ids"].numpy(), [
        [10, 11, 0, 0], [20, 21, 22, 0], [50, 0, 0, 0], [60, 61, 62, 63]])
    np.testing.assert_array_equal(x["padding_mask"].numpy().sum(1), [2, 3, 1, 4])
    np.testing.assert_allclose(y.numpy(), [0.1, 0.2, 0.1, 0.2])
    x, y = batches[1]
    assert x["token_ids"].shape == (2, 4)
    np.testing.assert_allclose(y.numpy(), [0.3, 0.3])


def test_epoch_order_reshuffles_each_epoch_by_seed():
    first, second = _features([1] * 6, 0), _features([1] * 6, 100)  # ids 0, 10, ... 50
    ds, steps = make_pair_dataset(first, second, batch_size=3,
                                  shuffle=EpochOrder(seed=1, first_epoch=0, epochs=2))
    rows = [(x["token_ids"].numpy()[:3, 0] // 10).tolist() for x, _ in ds]
    assert steps == 2 and len(rows) == 4
    epoch0, epoch1 = sorted(rows[0] + rows[1]), rows[2] + rows[3]
    assert epoch0 == list(range(6)) and sorted(epoch1) == list(range(6))
    again, _ = make_pair_dataset(first, second, batch_size=3,
                                 shuffle=EpochOrder(seed=1, first_epoch=0, epochs=2))
    assert [(x["token_ids"].numpy()[:3, 0] // 10).tolist() for x, _ in again] == rows
    assert rows[0] + rows[1] != rows[2] + rows[3]  # another order in epoch 1


def test_left_padding_is_refused():
    with pytest.raises(ConfigError, match="pad on the right. Received: a tokenizer with "
                                          "padding_side='left'"):
        make_pair_dataset(_features([1], 0), _features([1], 0), padding_side="left")


def test_replica_blocks_keep_each_pair_in_one_slice():
    first, second = _features([1] * 7, 10), _features([1] * 7, 500)
    ds, steps = make_pair_dataset(first, second, np.arange(7) / 10, batch_size=4,
                                  num_replicas=2)
    batches = [(x["token_ids"].numpy()[:, 0].tolist(), [round(float(v), 2) for v in y.numpy()])
               for x, y in ds]
    # 4 pairs -> two blocks of 2 pairs (firsts, then their seconds); the last
    # batch of 3 pairs keeps 2, one block per replica
    assert steps == 2 and batches == [
        ([10, 20, 500, 510, 30, 40, 520, 530], [0.0, 0.1, 0.0, 0.1, 0.2, 0.3, 0.2, 0.3]),
        ([50, 540, 60, 550], [0.4, 0.4, 0.5, 0.5])]


def test_replicas_drop_a_last_batch_smaller_than_their_count():
    first, second = _features([1] * 9, 0), _features([1] * 9, 100)
    ds, steps = make_pair_dataset(first, second, batch_size=4, num_replicas=2,
                                  shuffle=EpochOrder(seed=0, first_epoch=0, epochs=2))
    sizes = [int(x["token_ids"].shape[0]) for x, _ in ds]
    assert steps == 2 and sizes == [8, 8, 8, 8]


def test_batch_size_must_split_over_the_replicas():
    with pytest.raises(ConfigError, match="batch_size=3 pairs over 2 replicas. Use a "
                                          "multiple of 2"):
        make_pair_dataset(_features([1], 0), _features([1], 0), batch_size=3,
                          num_replicas=2)
