"""Length-bucketed `tf.data` pipelines over pre-tokenized, unpadded features.

Texts are tokenized once (Rust, batched) into ragged id lists. Each epoch the
dataset is reshuffled, examples are grouped into length buckets and every
batch is padded to its longest member, not to `sequence_length`.

Training streams (`shuffle=EpochOrder(...)`) hold all epochs in one dataset,
each epoch shuffled by `(seed, epoch)` alone, so a run resumed at epoch k
sees the batches an uninterrupted run would.
"""

import collections
import math

import numpy as np
import tensorflow as tf

DEFAULT_BOUNDARIES = (16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 1024)


# Parallelism and prefetch depth of the pipelines (their work per batch is
# tiny next to a training step).
PARALLEL_CALLS = 2
PREFETCH = 2


def finished(ds):
    """`ds` prefetched, with tf.data's autotuning off.

    The autotuner's model thread sleeps between optimizations, each sleep
    twice the last (up to a minute), and deleting the iterator waits for
    the thread to wake: measured with py-spy, `fit` on 2,000 SST-2
    sentences (about 35 s) sat idle for 13-16 s after its last step in two
    runs of three, inside `~RootDataset::Iterator`. The pipelines here are
    index gathers and padding, fixed parallelism serves them.
    """
    options = tf.data.Options()
    options.autotune.enabled = False
    return ds.prefetch(PREFETCH).with_options(options)


def bucket_boundaries(sequence_length, boundaries=DEFAULT_BOUNDARIES):
    """Bucket edges below `sequence_length` (the last bucket takes the rest)."""
    return [b for b in boundaries if b < sequence_length]


class _Packed:
    """Variable-length arrays stored flat with row splits (one graph constant)."""

    def __init__(self, arrays, dtype):
        lengths = np.fromiter((len(a) for a in arrays), dtype="int64", count=len(arrays))
        self.splits = tf.constant(np.concatenate([[0], np.cumsum(lengths)]))
        flat = np.concatenate(arrays).astype(dtype) if len(arrays) else np.zeros(0, dtype)
        self.flat = tf.constant(flat)

    def row(self, i):
        return self.flat[self.splits[i]:self.splits[i + 1]]


class EpochOrder(collections.namedtuple("EpochOrder", ["seed", "first_epoch", "epochs"])):
    """Shuffling plan of a training stream: epochs `first_epoch` to
    `epochs - 1` in one dataset, each in the order `epoch_permutation(n,
    seed, epoch)`, each bucketed and batched on its own."""


def epoch_permutation(n, seed, epoch):
    """The order of `n` examples in `epoch`: a function of `(seed, epoch)` only."""
    keys = tf.random.stateless_uniform(
        [n], seed=tf.stack([tf.cast(seed, "int64"), tf.cast(epoch, "int64")]))
    return tf.cast(tf.argsort(keys, stable=True), "int64")


def _is_ragged(values):
    return isinstance(values, (list, tuple)) and len(values) and np.ndim(values[0]) >= 1


def count_batches(lengths, batch_size, boundaries):
    """Exact number of batches `bucket_by_sequence_length` will emit."""
    buckets = np.searchsorted(np.asarray(boundaries), np.asarray(lengths), side="right")
    counts = np.bincount(buckets, minlength=len(boundaries) + 1)
    return int(sum(math.ceil(c / batch_size) for c in counts if c))


def make_dataset(
    features,
    targets=None,
    sample_weight=None,
    *,
    batch_size=32,
    shuffle=False,
    seed=None,
    bucket=True,
    boundaries=(),
    pad_values=None,
    target_pad_value=-100,
    padding_side="right",
    pad_multiple=8,
):
    """Builds a batched `tf.data.Dataset` of `(inputs, targets[, weights])`.

    Args:
        features: dict of name -> list of 1-D int arrays (unpadded).
        targets: None, a numpy array (one row per example) or a list of 1-D
            arrays (per-token targets, padded with `target_pad_value`).
        sample_weight: None or 1-D float array.
        batch_size: int.
        shuffle: bool (reshuffle at every iteration), or an `EpochOrder`:
            then the dataset streams all its epochs, each shuffled by
            `(seed, epoch)`, and `num_batches` is per epoch (pass it to
            `fit` as `steps_per_epoch`).
        seed: int or None. Shuffle seed when `shuffle` is True.
        bucket: bool. Group by length before batching; otherwise batches
            are consecutive (callers sort by length for inference).
        boundaries: bucket edges (see `bucket_boundaries`).
        pad_values: dict of name -> padding value (default 0).
        target_pad_value: padding of per-token targets.
        padding_side: `"right"` or `"left"`.
        pad_multiple: int. Round each batch's padded length up to a multiple
            of this, which bounds how many input shapes `tf.function`
            traces (each new shape costs a retrace).

    Returns:
        `(dataset, num_batches)`.
    """
    names = list(features)
    first = features[names[0]]
    lengths = np.fromiter((len(a) for a in first), dtype="int64", count=len(first))
    packed = {name: _Packed(features[name], "int32") for name in names}
    pads = [{name: (pad_values or {}).get(name, 0) for name in names}]
    ragged_targets = targets is not None and _is_ragged(targets)
    if targets is not None:
        if ragged_targets:
            dtype = np.asarray(targets[0]).dtype
            packed_targets = _Packed(targets, dtype)
            pads.append(tf.constant(target_pad_value, dtype=dtype))
        else:
            dense_targets = tf.constant(np.asarray(targets))
            pads.append(tf.constant(0, dtype=dense_targets.dtype))
    if sample_weight is not None:
        weights = tf.constant(np.asarray(sample_weight, dtype="float32"))
        pads.append(tf.constant(0, dtype="float32"))

    def gather(i):
        element = [{name: p.row(i) for name, p in packed.items()}]
        if targets is not None:
            element.append(packed_targets.row(i) if ragged_targets else dense_targets[i])
        if sample_weight is not None:
            element.append(weights[i])
        return tuple(element)

    n_components = len(pads)

    left = padding_side == "left"
    padding_values = tuple(pads)

    def flip(*element):
        # Left padding = reverse, pad on the right, reverse back.
        out = list(element)
        out[0] = {k: tf.reverse(v, [0]) for k, v in out[0].items()}
        if ragged_targets:
            out[1] = tf.reverse(out[1], [0])
        return tuple(out)

    def unflip(*element):
        out = list(element)
        out[0] = {k: tf.reverse(v, [1]) for k, v in out[0].items()}
        if ragged_targets:
            out[1] = tf.reverse(out[1], [1])
        return tuple(out)

    def round_up(*element):
        out = list(element)
        length = tf.shape(out[0][names[0]])[1]
        extra = (-length) % pad_multiple
        out[0] = {k: tf.pad(v, [[0, 0], [0, extra]], constant_values=pads[0][k])
                  for k, v in out[0].items()}
        if ragged_targets:
            out[1] = tf.pad(out[1], [[0, 0], [0, extra]], constant_values=pads[1])
        return tuple(out)

    def batches(indices):
        """Example indices (one epoch) -> padded batches."""
        ds = indices.map(gather, num_parallel_calls=PARALLEL_CALLS, deterministic=True)
        if left:
            ds = ds.map(flip)
        if bucket and boundaries:
            ds = ds.bucket_by_sequence_length(
                element_length_func=lambda *e: tf.shape(e[0][names[0]])[0],
                bucket_boundaries=list(boundaries),
                bucket_batch_sizes=[batch_size] * (len(boundaries) + 1),
                padding_values=padding_values,
            )
        else:
            ds = ds.padded_batch(batch_size, padding_values=padding_values)
        if pad_multiple > 1:
            ds = ds.map(round_up)
        if left:
            ds = ds.map(unflip)
        if n_components == 1:
            ds = ds.map(lambda x: x)
        return ds

    if bucket and boundaries:
        num_batches = count_batches(lengths, batch_size, boundaries)
    else:
        num_batches = math.ceil(len(lengths) / batch_size)
    n = len(lengths)
    if isinstance(shuffle, EpochOrder):
        first = min(shuffle.first_epoch, shuffle.epochs - 1)
        ds = tf.data.Dataset.range(first, shuffle.epochs).flat_map(
            lambda epoch: batches(tf.data.Dataset.from_tensor_slices(
                epoch_permutation(n, shuffle.seed, epoch))))
        ds = ds.apply(tf.data.experimental.assert_cardinality(
            num_batches * (shuffle.epochs - first)))
        return finished(ds), num_batches
    indices = tf.data.Dataset.range(n)
    if shuffle:
        indices = indices.shuffle(n, seed=seed, reshuffle_each_iteration=True)
    ds = batches(indices)
    ds = ds.apply(tf.data.experimental.assert_cardinality(num_batches))
    return finished(ds), num_batches
