"""Dropout speed: Keras' dropout against kerasft's `FastDropout` (16 random
bits per element, see `kerasft/layers/dropout.py`).

    python bench/dropout_bench.py [--rounds 3] [--step]

1. One dropout alone, forward and backward, on the attention probabilities
   of the MiniLM step at 32 x 128 (`[32, 12, 128, 128]`) and on a hidden
   state (`[32, 128, 384]`): median of 20 calls, the two implementations
   alternated for `--rounds` rounds.
2. With `--step`: kerasft's fp32 training step at 32 x 128 (MiniLM-L6,
   `bench/train_bench.py`'s `step_128`) with `FastDropout` (the default) and
   with Keras' dropout, each in its own process, alternated for `--rounds`
   rounds (about 40 s a process).

Writes bench/results/dropout_bench.json and prints a table.
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from common import load_average, print_table, write_results  # noqa: E402

SHAPES = {"attention probabilities": (32, 12, 128, 128), "hidden state": (32, 128, 384)}
RATE = 0.1


def op_seconds(name, shape, calls=20):
    """Median seconds of one forward + backward of the dropout `name`."""
    import tensorflow as tf

    from kerasft.layers.dropout import dropout_16bit

    def keras_dropout(x, seed):
        return tf.nn.experimental.stateless_dropout(x, RATE, seed)

    def fast(x, seed):
        return dropout_16bit(x, RATE, seed)

    dropout = {"keras": keras_dropout, "kerasft": fast}[name]

    @tf.function
    def step(x, dy, seed):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = dropout(x, seed)
        return tape.gradient(y, x, output_gradients=dy)

    x, dy = tf.random.normal(shape), tf.random.normal(shape)
    seed = tf.constant([1, 2], "int32")
    step(x, dy, seed)
    times = []
    for i in range(calls):
        start = time.perf_counter()
        step(x, dy, seed + i).numpy()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def step_worker(variant):
    """Prints the step's median seconds with `variant`'s dropout."""
    import train_bench

    if variant == "keras":  # the backbone keeps Keras' Dropout layers
        import kerasft.tasks.task as task

        task.fast_dropouts = lambda backbone: 0
    args = argparse.Namespace(batch_size=32, mfu_warmup=3, mfu_steps=8, learning_rate=5e-5)
    print(json.dumps(train_bench.step_128(args, "float32", False)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--step", action="store_true", help="also time the training step")
    parser.add_argument("--step-worker", choices=("keras", "kerasft"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step_worker:
        return step_worker(args.step_worker)
    rows, steps = [], {"keras": [], "kerasft": []}
    for where, shape in SHAPES.items():
        times = {"keras": [], "kerasft": []}
        for _ in range(args.rounds):
            for name in times:
                times[name].append(op_seconds(name, shape))
        rows.append({"dropout": where, "shape": "x".join(map(str, shape)),
                     "keras ms": round(1e3 * float(np.median(times["keras"])), 2),
                     "kerasft ms": round(1e3 * float(np.median(times["kerasft"])), 2),
                     "keras / kerasft": round(np.median(times["keras"])
                                              / np.median(times["kerasft"]), 2)})
    if args.step:
        for _ in range(args.rounds):
            for name in steps:
                out = subprocess.run([sys.executable, __file__, "--step-worker", name],
                                     capture_output=True, text=True, check=True).stdout
                steps[name].append(json.loads(out.strip().splitlines()[-1])["step_seconds"])
        rows.append({"dropout": "fp32 training step (MiniLM-L6)", "shape": "32x128",
                     "keras ms": round(1e3 * float(np.median(steps["keras"])), 1),
                     "kerasft ms": round(1e3 * float(np.median(steps["kerasft"])), 1),
                     "keras / kerasft": round(np.median(steps["keras"])
                                              / np.median(steps["kerasft"]), 3)})
    print(f"\nDropout (rate {RATE}), forward + backward, median over {args.rounds} "
          f"alternated rounds (load average {load_average()}):")
    print_table(rows, list(rows[0]))
    write_results("dropout_bench", {"args": vars(args), "rows": rows,
                                    "step_seconds": steps, "load_average": load_average()})


if __name__ == "__main__":
    main()
