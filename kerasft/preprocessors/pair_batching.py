"""`tf.data` batches of text pairs for contrastive training.

A batch of `B` pairs becomes one model batch of `2B` texts: the `B` first
texts, then the `B` second texts, all padded to the batch's longest (both
halves share one shape). Targets are the pair scores repeated for both
halves, `[2B]` (zeros when there are none). The losses of
`kerasft.layers.contrastive` split the batch back into halves.
"""

import math

import numpy as np
import tensorflow as tf

from kerasft.errors import ConfigError
from kerasft.preprocessors.batching import PARALLEL_CALLS, EpochOrder, epoch_permutation, finished


def _ragged(arrays):
    lengths = np.fromiter((len(a) for a in arrays), dtype="int64", count=len(arrays))
    flat = np.concatenate(arrays).astype("int32") if len(arrays) else np.zeros(0, "int32")
    return tf.RaggedTensor.from_row_lengths(tf.constant(flat), tf.constant(lengths))


def make_pair_dataset(first, second, scores=None, *, batch_size=32, shuffle=False,
                      seed=None, pad_values=None, padding_side="right", pad_multiple=8):
    """`(dataset, num_batches)` of `(inputs [2B, L], scores [2B])` batches.

    Args:
        first, second: dict of input name -> list of 1-D int arrays
            (unpadded features of the first and the second texts).
        scores: None or float array, one per pair.
        batch_size: int. Pairs per batch (the model sees twice as many texts).
        shuffle: bool, or an `EpochOrder` (all epochs in one stream, each
            shuffled by `(seed, epoch)` alone; see
            `kerasft.preprocessors.batching`).
        seed: int or None. Seed when `shuffle` is True.
        pad_values: dict of name -> padding value (default 0).
        padding_side: `"right"` only.
        pad_multiple: int. Round each batch's length up to a multiple of it.

    Raises:
        ConfigError: left padding (XLNet), which pair batches do not handle.
    """
    if padding_side != "right":
        raise ConfigError(
            "Contrastive pair batches pad on the right. Received: a tokenizer with "
            f"padding_side={padding_side!r}. Use an encoder that pads on the right "
            "(BERT, MiniLM, RoBERTa...).")
    names = list(first)
    n = len(first[names[0]])
    sides = [{name: _ragged(features[name]) for name in names} for features in (first, second)]
    values = np.zeros(n, "float32") if scores is None else np.asarray(scores, "float32")
    targets = tf.constant(values)
    pads = {name: (pad_values or {}).get(name, 0) for name in names}

    def assemble(indices):
        inputs = {}
        for name in names:
            rows = tf.concat([tf.gather(side[name], indices) for side in sides], axis=0)
            dense = rows.to_tensor(default_value=pads[name])
            extra = (-tf.shape(dense)[1]) % pad_multiple
            inputs[name] = tf.pad(dense, [[0, 0], [0, extra]], constant_values=pads[name])
        y = tf.gather(targets, indices)
        return inputs, tf.concat([y, y], axis=0)

    num_batches = math.ceil(n / batch_size)
    if isinstance(shuffle, EpochOrder):
        start = min(shuffle.first_epoch, shuffle.epochs - 1)
        indices = tf.data.Dataset.range(start, shuffle.epochs).flat_map(
            lambda epoch: tf.data.Dataset.from_tensor_slices(
                epoch_permutation(n, shuffle.seed, epoch)).batch(batch_size))
        cardinality = num_batches * (shuffle.epochs - start)
    else:
        indices = tf.data.Dataset.range(n)
        if shuffle:
            indices = indices.shuffle(n, seed=seed, reshuffle_each_iteration=True)
        indices = indices.batch(batch_size)
        cardinality = num_batches
    ds = indices.map(assemble, num_parallel_calls=PARALLEL_CALLS, deterministic=True)
    ds = ds.apply(tf.data.experimental.assert_cardinality(cardinality))
    return finished(ds), num_batches
