"""Training-pass layers: Keras' own against kerasft's switched layers.

    python bench/training_ops_bench.py [--rounds 3] [--step] [--step-rounds 10]

kerasft switches three kinds of backbone layer for their training pass
(inference and exports keep Keras' call): `FastDropout`
(`kerasft/layers/dropout.py`), `GeluDense` (`kerasft/layers/gelu.py`) and
`FastMultiHeadAttention` (`kerasft/layers/attention.py`).

1. Each op alone, forward and backward, at the MiniLM step's shapes (32 x 128
   tokens): a dropout on the attention probabilities (`[32, 12, 128, 128]`)
   and on a hidden state (`[32, 128, 384]`), the feed-forward GELU
   (`[32, 128, 1536]`), and the attention core (scores, padding mask,
   softmax, dropout, weighted values; `[32, 128, 12, 32]` heads), and its two
   products alone: Keras' einsum equations (the scores' puts the key first)
   against the heads-first batched matmuls of kerasft's training pass. Median
   of 20 calls, Keras and kerasft alternated for `--rounds` rounds.
2. With `--step`: kerasft's fp32 training step at 32 x 128 (MiniLM-L6
   classifier, AdamW, full batches of random ids), once with every switch,
   once with each switch left out, and once with none. All variants live in
   one process and are timed in turn, two steps each per round, for
   `--step-rounds` rounds, so drift on a noisy host hits them alike. MFU is
   against the best of 40 2048^3 fp32 matmuls measured in the same run.

Writes bench/results/training_ops_bench.json and prints the tables.
"""

import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from common import load_average, print_table, write_results  # noqa: E402

RATE = 0.1
BATCH, LENGTH, HEADS, HEAD_DIM, INTERMEDIATE = 32, 128, 12, 32, 1536


def _median_seconds(step, args, calls=20):
    step(*args)
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        out = step(*args)
        [o.numpy() for o in (out if isinstance(out, (list, tuple)) else [out])]
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _gradient_step(function, inputs):
    """A `tf.function` running `function(*inputs)` and its gradient with
    respect to every input, given random output gradients."""
    import tensorflow as tf

    @tf.function
    def step(dy, *xs):
        with tf.GradientTape() as tape:
            tape.watch(xs)
            y = function(*xs)
        return tape.gradient(y, xs, output_gradients=dy)

    return step


def op_cases():
    """`{op: (shape, {"keras": fn, "kerasft": fn})}`; each fn maps input
    tensors to the output (forward) whose gradient is timed."""
    import keras
    import tensorflow as tf

    from kerasft.layers.attention import fast_attentions, heads_first
    from kerasft.layers.dropout import FastDropout, dropout_16bit
    from kerasft.layers.gelu import fused_gelu

    seed = tf.constant([1, 2], "int32")
    cases = {}
    for name, shape in (("dropout, attention probabilities", (BATCH, HEADS, LENGTH, LENGTH)),
                        ("dropout, hidden state", (BATCH, LENGTH, HEADS * HEAD_DIM))):
        cases[name] = ([shape], {
            "keras": lambda x: tf.nn.experimental.stateless_dropout(x, RATE, seed),
            "kerasft": lambda x: dropout_16bit(x, RATE, seed)})
    cases["GELU, feed-forward"] = ([(BATCH, LENGTH, INTERMEDIATE)], {
        "keras": lambda x: keras.activations.gelu(x, approximate=False),
        "kerasft": lambda x: fused_gelu(x)})
    heads = (BATCH, LENGTH, HEADS, HEAD_DIM)
    mask = tf.ones((BATCH, LENGTH, LENGTH), "bool")
    attention = {}
    for name in ("keras", "kerasft"):
        layer = keras.layers.MultiHeadAttention(HEADS, HEAD_DIM, dropout=RATE, seed=0)
        hidden = tf.zeros((1, LENGTH, HEADS * HEAD_DIM))
        layer(hidden, hidden)
        layer._dropout_layer.__class__ = FastDropout  # tasks switch both; only attention differs
        if name == "kerasft":
            fast_attentions(layer)
        attention[name] = (lambda layer: lambda q, k, v: layer._compute_attention(
            q, k, v, attention_mask=mask, training=True)[0])(layer)
    cases["attention core (with dropout)"] = ([heads, heads, heads], attention)
    layer = keras.layers.MultiHeadAttention(HEADS, HEAD_DIM)
    layer(hidden, hidden)  # Keras' einsum equations for this layout
    cases["attention products alone"] = ([heads, heads, heads], {
        "keras": lambda q, k, v: tf.einsum(
            layer._combine_equation, tf.einsum(layer._dot_product_equation, k, q), v),
        "kerasft": lambda q, k, v: heads_first(tf.matmul(
            tf.matmul(heads_first(q), heads_first(k), transpose_b=True), heads_first(v)))})
    return cases


def run_ops(rounds):
    import tensorflow as tf

    rows = []
    for op, (shapes, functions) in op_cases().items():
        inputs = [tf.random.normal(s) for s in shapes]
        dy = tf.random.normal(shapes[0])
        steps = {name: _gradient_step(fn, inputs) for name, fn in functions.items()}
        times = {name: [] for name in steps}
        for _ in range(rounds):
            for name, step in steps.items():
                times[name].append(_median_seconds(step, [dy, *inputs]))
        keras_ms, kerasft_ms = (1e3 * float(np.median(times[n])) for n in ("keras", "kerasft"))
        rows.append({"op (forward + backward)": op, "input": "x".join(map(str, shapes[0])),
                     "keras ms": round(keras_ms, 2), "kerasft ms": round(kerasft_ms, 2),
                     "keras / kerasft": round(keras_ms / kerasft_ms, 2)})
    return rows


SWITCHES = ("fast_dropouts", "fast_gelus", "fast_attentions")
VARIANTS = {"kerasft (all switches)": (),
            "without FastDropout": ("fast_dropouts",),
            "without GeluDense": ("fast_gelus",),
            "without FastMultiHeadAttention": ("fast_attentions",),
            "Keras' layers (none of the three)": SWITCHES}


def _train_function(left_out):
    """A MiniLM classifier's compiled train function with the switches in
    `left_out` not applied, and an iterator over full 32 x 128 batches."""
    import keras
    import tensorflow as tf

    import kerasft as kft
    import kerasft.tasks.task as task

    saved = {name: getattr(task, name) for name in SWITCHES}
    for name in left_out:
        setattr(task, name, lambda backbone: 0)
    try:
        keras.utils.set_random_seed(0)
        model = kft.TextClassifier.from_pretrained(
            "minilm-l6", labels=["negative", "positive"], sequence_length=LENGTH,
            precision="float32")
    finally:
        for name, function in saved.items():
            setattr(task, name, function)
    model.compile(learning_rate=5e-5)
    model._compile_for_steps(10_000)
    rng = np.random.RandomState(0)
    ids = rng.randint(1000, 30000, size=(BATCH, LENGTH)).astype("int32")
    ids[:, 0], ids[:, -1] = 101, 102
    x = {"token_ids": ids, "segment_ids": np.zeros_like(ids), "padding_mask": np.ones_like(ids)}
    y = rng.randint(0, 2, size=BATCH).astype("int32")
    iterator = iter(tf.data.Dataset.from_tensors((x, y)).repeat())
    model.make_train_function()
    function = model.train_function
    for _ in range(3):  # trace and warm up
        function(iterator)
    return function, iterator


def run_step(step_rounds):
    import train_bench

    peak = train_bench.run_peak(argparse.Namespace())["fp32_gflops"]
    functions = {name: _train_function(left_out) for name, left_out in VARIANTS.items()}
    times = {name: [] for name in functions}
    for _ in range(step_rounds):
        for name, (function, iterator) in functions.items():
            for _ in range(2):
                start = time.perf_counter()
                float(function(iterator)["loss"])
                times[name].append(time.perf_counter() - start)
    flops = train_bench.train_flops([LENGTH] * BATCH)
    base = float(np.median(times["kerasft (all switches)"]))
    rows = []
    for name, seconds in times.items():
        median = float(np.median(seconds))
        rows.append({"fp32 step, MiniLM-L6, 32 x 128": name, "ms": round(1e3 * median, 1),
                     "examples/s": round(BATCH / median, 1),
                     "GFLOP/s": round(flops / median / 1e9),
                     "MFU": round(flops / median / 1e9 / peak, 3),
                     "vs kerasft": round(median / base, 3)})
    return rows, peak, times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--step", action="store_true", help="also time the training step")
    parser.add_argument("--step-rounds", type=int, default=10)
    args = parser.parse_args()
    results = {"args": vars(args), "load_average_start": load_average()}
    rows = run_ops(args.rounds)
    print(f"\nOps alone, forward + backward (rate {RATE}), median over {args.rounds} "
          f"alternated rounds (load average {load_average()}):")
    print_table(rows, list(rows[0]))
    results["ops"] = rows
    if args.step:
        step_rows, peak, times = run_step(args.step_rounds)
        print(f"\nThe training step, variants in one process, {args.step_rounds} rounds of 2 "
              f"steps each; fp32 matmul peak {peak:.1f} GFLOP/s (load average "
              f"{load_average()}):")
        print_table(step_rows, list(step_rows[0]))
        results.update(step=step_rows, peak_gflops=peak, step_seconds=times)
    results["load_average_end"] = load_average()
    write_results("training_ops_bench", results)


if __name__ == "__main__":
    main()
