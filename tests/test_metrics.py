import numpy as np
import pytest

from kerasft.metrics import MaskedTokenAccuracy


def test_masked_token_accuracy_skips_ignored_targets_and_weights_the_rest():
    y_pred = np.array([[[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]], dtype="float32")
    metric = MaskedTokenAccuracy()
    metric.update_state(np.array([[1, -100, 0]]), y_pred)
    assert float(metric.result()) == pytest.approx(1 / 2)
    metric.reset_state()
    metric.update_state(np.array([[1, -100, 0]]), y_pred, sample_weight=np.array([[3, 1, 1]]))
    assert float(metric.result()) == pytest.approx(3 / 4)
    assert MaskedTokenAccuracy.from_config(metric.get_config()).ignore_index == -100
    empty = MaskedTokenAccuracy()
    empty.update_state(np.array([[-100]]), y_pred[:, :1])
    assert float(empty.result()) == 0.0
