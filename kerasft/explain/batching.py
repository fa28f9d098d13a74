"""Padding explanation jobs into batches and running the model on them."""

import numpy as np
import tensorflow as tf

MULTIPLE = 8  # batch lengths are rounded up to this: few shapes, few retraces


def padded_length(lengths):
    longest = int(max(lengths))
    return -(-longest // MULTIPLE) * MULTIPLE


def pad_rows(arrays, length, left, value=0, dtype="int32"):
    """Stacks 1-D (or `[len, ...]`) arrays into `[n, length, ...]`, padded on
    the left or right."""
    first = np.asarray(arrays[0])
    out = np.full((len(arrays), length) + first.shape[1:], value, dtype=dtype)
    for i, a in enumerate(arrays):
        a = np.asarray(a)
        if left:
            out[i, length - len(a):] = a
        else:
            out[i, :len(a)] = a
    return out


def unpad(row, n, left):
    """The `n` real positions of a padded row."""
    return row[len(row) - n:] if left else row[:n]


def output_layout(model):
    """Output name -> `(per_token, trailing shape)` of one example's output
    (`""` names a single output). Per-token outputs have a free length."""
    layout = {}
    for name, tensor in as_dict(model.output).items():
        shape = tuple(tensor.shape[1:])
        per_token = len(shape) > 0 and shape[0] is None
        layout[name] = (per_token, shape[1:] if per_token else shape)
    return layout


def target_weights(layout, targets, length, left):
    """dict output name -> float32 weights `[n, ...]` of each target (zeros
    on the outputs it does not read); per-token weights padded to `length`."""
    weights = {}
    for name, (per_token, trailing) in layout.items():
        rows = []
        for target in targets:
            shape = ((length,) if per_token else ()) + tuple(trailing)
            w = np.zeros(shape, "float32")
            if (target.output or "") == name:
                t = np.asarray(target.weights, "float32")
                w = pad_rows([t], length, left, dtype="float32")[0] if per_token else t
            rows.append(w)
        weights[name] = np.stack(rows)
    return weights


def as_dict(outputs):
    return dict(outputs) if isinstance(outputs, dict) else {"": outputs}


def target_value(outputs, weights):
    """`sum(weights * output)` per row, over every output."""
    total = 0.0
    for name, w in weights.items():
        out = tf.cast(outputs[name], "float32")
        total += tf.reduce_sum(tf.reshape(out * w, (tf.shape(out)[0], -1)), axis=1)
    return total
