"""`tf.data` batches of text pairs for contrastive training.

A batch of `B` pairs becomes one model batch of `2B` texts: the `B` first
texts, then the `B` second texts, all padded to the batch's longest (both
halves share one shape). Targets are the pair scores repeated for both
halves, `[2B]` (zeros when there are none). The losses of
`kerasft.layers.contrastive` split the batch back into halves.

Under a `tf.distribute` strategy with `R` replicas, each batch is cut into
`R` equal contiguous slices, one per replica (`tf.distribute` cannot read
this pipeline's batch size, so it splits each batch into `R` slices of
`ceil(2B / R)` texts). Each replica's loss must find its own pairs in its
slice, so with `num_replicas=R` a batch is laid out as `R` blocks, block `j`
holding the first texts then the second texts of pairs `jB/R ... (j+1)B/R -
1`. `B` must be a multiple of `R`; a last, short batch keeps a multiple of
`R` pairs (at most `R - 1` pairs of an epoch are left out, a different few
each epoch when shuffled).
"""

import numpy as np
import tensorflow as tf

from kerasft.errors import ConfigError
from kerasft.preprocessors.batching import PARALLEL_CALLS, EpochOrder, epoch_permutation, finished


def _ragged(arrays):
    lengths = np.fromiter((len(a) for a in arrays), dtype="int64", count=len(arrays))
    flat = np.concatenate(arrays).astype("int32") if len(arrays) else np.zeros(0, "int32")
    return tf.RaggedTensor.from_row_lengths(tf.constant(flat), tf.constant(lengths))


def make_pair_dataset(first, second, scores=None, *, batch_size=32, shuffle=False,
                      seed=None, pad_values=None, padding_side="right", pad_multiple=8,
                      num_replicas=1):
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
        num_replicas: int. Replicas the batch is split over (the strategy's
            `num_replicas_in_sync`); see the module docstring.

    Raises:
        ConfigError: left padding (XLNet), which pair batches do not handle;
            a `batch_size` that is not a multiple of `num_replicas`.
    """
    if padding_side != "right":
        raise ConfigError(
            "Contrastive pair batches pad on the right. Received: a tokenizer with "
            f"padding_side={padding_side!r}. Use an encoder that pads on the right "
            "(BERT, MiniLM, RoBERTa...).")
    if num_replicas > 1 and batch_size % num_replicas:
        raise ConfigError(
            f"A batch of text pairs is split evenly over the replicas. Received: "
            f"batch_size={batch_size} pairs over {num_replicas} replicas. Use a multiple "
            f"of {num_replicas}.")
    names = list(first)
    n = len(first[names[0]])
    sides = [{name: _ragged(features[name]) for name in names} for features in (first, second)]
    values = np.zeros(n, "float32") if scores is None else np.asarray(scores, "float32")
    targets = tf.constant(values)
    pads = {name: (pad_values or {}).get(name, 0) for name in names}

    def assemble(indices):
        order = None
        if num_replicas > 1:
            per_replica = tf.size(indices) // num_replicas
            indices = indices[:per_replica * num_replicas]
            # block j: first texts, then second texts, of its pairs
            block = tf.reshape(tf.range(per_replica * num_replicas, dtype="int64"),
                               [num_replicas, per_replica])
            order = tf.reshape(tf.concat(
                [block, block + tf.cast(tf.size(indices), "int64")], axis=1), [-1])
        inputs = {}
        for name in names:
            rows = tf.concat([tf.gather(side[name], indices) for side in sides], axis=0)
            if order is not None:
                rows = tf.gather(rows, order)
            dense = rows.to_tensor(default_value=pads[name])
            extra = (-tf.shape(dense)[1]) % pad_multiple
            inputs[name] = tf.pad(dense, [[0, 0], [0, extra]], constant_values=pads[name])
        y = tf.gather(targets, indices)
        y = tf.concat([y, y], axis=0)
        return inputs, (y if order is None else tf.gather(y, order))

    num_batches = n // batch_size + (n % batch_size >= num_replicas)
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
    if num_replicas > 1:  # a last batch of fewer pairs than replicas is left out
        indices = indices.filter(lambda batch: tf.size(batch) >= num_replicas)
    ds = indices.map(assemble, num_parallel_calls=PARALLEL_CALLS, deterministic=True)
    ds = ds.apply(tf.data.experimental.assert_cardinality(cardinality))
    return finished(ds), num_batches
