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
