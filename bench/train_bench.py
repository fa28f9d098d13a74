"""Training speed and MFU: kerasft vs plain keras-hub `fit` vs transformers + PyTorch.

One command, about 12-15 minutes on the quiet 2-core machine (each part and
each system runs in its own Python process):

    python bench/train_bench.py [--train-examples 4000] [--systems a,b,...]

1. Peak: the rate of a 2048^3 matmul in TensorFlow, fp32 and bf16, best of
   40 runs: the denominator of every MFU below, measured in this run (a
   best of 8 read 221-391 GFLOP/s fp32 in four runs on a busy host; the
   best of many is the rate the cores can reach, which keeps MFU honest).
2. MFU at 128 tokens: kerasft's training step (MiniLM-L6 classifier, AdamW)
   on full 32 x 128 batches, fp32 and bf16, XLA off (kerasft's default) and
   on; steady-state seconds per step after warm-up steps.
3. SST-2 (short real texts, /work/shared/data/glue_sst2): fine-tune MiniLM-L6
   on `--train-examples` train sentences, 1 epoch, batch 32, 128 tokens,
   lr 1e-4; accuracy on the 872 dev sentences. Systems:
     kerasft                kerasft defaults (bucketed batches, mixed_bfloat16
                            on this CPU, XLA off)
     kerasft-fp32           the same with precision="float32"
     kerasft-xla            defaults + jit_compile=True (XLA per bucket shape)
     keras-hub-fp32/-bf16   plain keras-hub `BertTextClassifier.fit` on the
                            strings (keras-hub pads every batch to 128 tokens),
                            global policy float32 / mixed_bfloat16
     torch-fp32/-bf16       transformers `AutoModelForSequenceClassification`
                            + PyTorch, each batch padded to its longest member,
                            bf16 by `torch.autocast`
   Throughput is over the training loop (tokenization and tracing included).
   Real tokens count the tokens of the texts (truncated to 128), not padding.
   MFU = model training FLOPs on the real tokens / seconds / the measured
   matmul peak of the system's compute dtype; model FLOPs per example of
   length s are 3 x (2 s P + 4 L s^2 d): P the encoder's matmul weights, L
   layers, d hidden size (embeddings, LayerNorm, softmax and head left out).
   CPU/wall is process CPU-seconds per wall-second of the training loop.

Every row carries the load average and, on a VM, the CPU seconds the
hypervisor stole during that system's process (steal_s): wall times on a
shared machine are stretched by other jobs; compare ratios within one run.
"""

import argparse
import csv
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from common import (add_system_arguments, add_training_arguments, data_path,  # noqa: E402
                    load_average, print_table, run_isolated, write_results)

SYSTEMS = ("peak", "mfu128", "kerasft", "kerasft-fp32", "kerasft-xla", "keras-hub-fp32",
           "keras-hub-bf16", "torch-fp32", "torch-bf16")
PRECISION = {"kerasft": "bf16", "kerasft-fp32": "fp32", "kerasft-xla": "bf16",
             "keras-hub-fp32": "fp32", "keras-hub-bf16": "bf16", "torch-fp32": "fp32",
             "torch-bf16": "bf16"}
MINILM = {"layers": 6, "hidden": 384, "intermediate": 1536}


def read_sst2(split, n=None, seed=0):
    path = data_path("glue_sst2", f"{split}.tsv")
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    if n is not None and n < len(rows):
        rows = [rows[i] for i in np.random.RandomState(seed).permutation(len(rows))[:n]]
    return [r["sentence"] for r in rows], [("negative", "positive")[int(r["label"])] for r in rows]


def train_flops(lengths, m=MINILM):
    """Model training FLOPs (forward + backward = 3 x forward) of examples
    of these lengths (see the module docstring)."""
    s = np.asarray(lengths, dtype="float64")
    d, L = m["hidden"], m["layers"]
    weights = L * (4 * d * d + 2 * d * m["intermediate"])
    return float(np.sum(3 * (2 * s * weights + 4 * L * s * s * d)))


# --- Part 1: matmul peak -------------------------------------------------------

def run_peak(args):
    import tensorflow as tf

    n, out = 2048, {}
    for name, dtype in (("fp32", tf.float32), ("bf16", tf.bfloat16)):
        a = tf.cast(tf.random.normal([n, n]), dtype)
        b = tf.cast(tf.random.normal([n, n]), dtype)
        step = tf.function(lambda a, b: tf.reduce_sum(tf.cast(tf.matmul(a, b)[0, 0], "float32")))
        step(a, b)
        best = min(_timed(lambda: step(a, b).numpy()) for _ in range(40))
        out[f"{name}_gflops"] = round(2 * n ** 3 / best / 1e9, 1)
    return out


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# --- Part 2: kerasft's step at 32 x 128 ----------------------------------------

class BatchTimer:
    """Keras callback: wall and CPU seconds of each training batch."""

    def __new__(cls):
        import keras

        class _Timer(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self.wall, self.cpu = [], []

            def on_train_batch_begin(self, batch, logs=None):
                self._t = (time.perf_counter(), time.process_time())

            def on_train_batch_end(self, batch, logs=None):
                self.wall.append(time.perf_counter() - self._t[0])
                self.cpu.append(time.process_time() - self._t[1])

        return _Timer()


def step_128(args, precision, jit):
    """kerasft's training step on full `batch_size` x 128 batches of random
    ids: median wall and CPU seconds after `mfu_warmup` steps."""
    import keras
    import tensorflow as tf

    import kerasft as kft

    n = args.batch_size * (args.mfu_warmup + args.mfu_steps)
    rng = np.random.RandomState(0)
    ids = rng.randint(1000, 30000, size=(n, 128)).astype("int32")
    ids[:, 0], ids[:, -1] = 101, 102
    features = {"token_ids": ids, "segment_ids": np.zeros_like(ids),
                "padding_mask": np.ones_like(ids)}
    labels = rng.randint(0, 2, size=n).astype("int32")
    keras.utils.set_random_seed(0)
    model = kft.TextClassifier.from_pretrained(
        "minilm-l6", labels=["negative", "positive"], sequence_length=128, precision=precision)
    model.compile(learning_rate=args.learning_rate, jit_compile=jit)
    ds = tf.data.Dataset.from_tensor_slices((features, labels)).batch(args.batch_size)
    timer = BatchTimer()
    model.fit(ds, epochs=1, callbacks=[timer], verbose=0)
    wall = float(np.median(timer.wall[args.mfu_warmup:]))
    cpu = float(np.median(timer.cpu[args.mfu_warmup:]))
    return {"step_seconds": wall, "cpu_per_wall": cpu / wall,
            "first_step_seconds": timer.wall[0], "load": load_average()}


def run_mfu128(args):
    return {f"{precision}{' xla' if jit else ''}": step_128(args, precision, jit)
            for precision in ("float32", "mixed_bfloat16") for jit in (False, True)}


# --- Part 3: the systems on SST-2 ------------------------------------------------

def run_kerasft(args, precision=None, jit=False):
    import keras

    import kerasft as kft

    train, dev = read_sst2("train", args.train_examples, args.seed), read_sst2("dev")
    keras.utils.set_random_seed(args.seed)
    model = kft.TextClassifier.from_pretrained(
        "minilm-l6", labels=["negative", "positive"], sequence_length=args.sequence_length,
        precision=precision)
    model.compile(learning_rate=args.learning_rate, jit_compile=jit)
    start, cpu = time.perf_counter(), time.process_time()
    model.fit(*train, epochs=1, batch_size=args.batch_size, seed=args.seed, verbose=0)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    accuracy = float(np.mean(np.array(model.predict_labels(dev[0])) == np.array(dev[1])))
    return {"seconds": seconds, "cpu": cpu, "accuracy": accuracy,
            "compute_dtype": model.backbone.compute_dtype}


def run_keras_hub(args, precision):
    import keras
    import keras_hub

    from kerasft.backbones.presets import preset_directory

    train, dev = read_sst2("train", args.train_examples, args.seed), read_sst2("dev")
    keras.utils.set_random_seed(args.seed)
    keras.config.set_dtype_policy(precision)  # this process only
    directory = preset_directory("minilm-l6")
    preprocessor = keras_hub.models.BertTextClassifierPreprocessor.from_preset(
        directory, sequence_length=args.sequence_length)
    model = keras_hub.models.BertTextClassifier.from_preset(
        directory, num_classes=2, preprocessor=preprocessor)
    model.compile(optimizer=keras.optimizers.AdamW(args.learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    y = np.array([label == "positive" for label in train[1]], dtype="int32")
    start, cpu = time.perf_counter(), time.process_time()
    model.fit(train[0], y, epochs=1, batch_size=args.batch_size, verbose=0)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    pred = model.predict(dev[0], batch_size=64, verbose=0).argmax(-1)
    accuracy = float(np.mean(pred == np.array([label == "positive" for label in dev[1]])))
    return {"seconds": seconds, "cpu": cpu, "accuracy": accuracy,
            "compute_dtype": model.backbone.compute_dtype}


def run_torch(args, bf16):
    import torch
    from common import torch_fit
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from kerasft.backbones.presets import preset_directory

    train, dev = read_sst2("train", args.train_examples, args.seed), read_sst2("dev")
    torch.manual_seed(args.seed)
    directory = preset_directory("minilm-l6")
    tokenizer = AutoTokenizer.from_pretrained(directory)
    model = AutoModelForSequenceClassification.from_pretrained(directory, num_labels=2)
    y = torch.tensor([label == "positive" for label in train[1]], dtype=torch.long)

    def batch_loss(idx):
        inputs = tokenizer([train[0][j] for j in idx], truncation=True, padding=True,
                           max_length=args.sequence_length, return_tensors="pt")
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            return model(**inputs, labels=y[idx]).loss

    run = argparse.Namespace(**{**vars(args), "epochs": 1})
    wall, cpu = torch_fit(model, len(train[0]), batch_loss, run)
    model.eval()
    preds = []
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        for i in range(0, len(dev[0]), 64):
            inputs = tokenizer(dev[0][i:i + 64], truncation=True, padding=True,
                               max_length=args.sequence_length, return_tensors="pt")
            preds.append(model(**inputs).logits.float().argmax(-1).numpy())
    accuracy = float(np.mean(np.concatenate(preds) == np.array(
        [label == "positive" for label in dev[1]])))
    return {"seconds": sum(wall), "cpu": sum(cpu), "accuracy": accuracy,
            "compute_dtype": "bfloat16" if bf16 else "float32"}


def work(args):
    def run(system):
        if system == "peak":
            return run_peak(args)
        if system == "mfu128":
            return run_mfu128(args)
        if system.startswith("kerasft"):
            return run_kerasft(args, "float32" if system == "kerasft-fp32" else None,
                               jit=system == "kerasft-xla")
        if system.startswith("keras-hub"):
            return run_keras_hub(args, "float32" if system.endswith("fp32") else "mixed_bfloat16")
        return run_torch(args, bf16=system.endswith("bf16"))
    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_training_arguments(parser, epochs=1, batch_size=32)
    add_system_arguments(parser, SYSTEMS)
    parser.add_argument("--train-examples", type=int, default=4000)
    parser.add_argument("--mfu-warmup", type=int, default=3)
    parser.add_argument("--mfu-steps", type=int, default=10)
    args = parser.parse_args()
    results = dict(run_isolated(args, SYSTEMS, work(args)))
    out = {"args": vars(args)}
    peak = results.get("peak")
    if peak:
        print(f"\nmatmul 2048^3 peak: fp32 {peak['fp32_gflops']} GFLOP/s, bf16 "
              f"{peak['bf16_gflops']} GFLOP/s (load {peak['load_average']})")
        out["peak"] = peak
    peak_of = {"fp32": peak and peak["fp32_gflops"], "bf16": peak and peak["bf16_gflops"]}
    if "mfu128" in results:
        flops = train_flops([128] * args.batch_size)
        rows = []
        for name, r in results["mfu128"].items():
            if not isinstance(r, dict):
                continue
            rate = flops / r["step_seconds"] / 1e9
            key = "bf16" if "bfloat16" in name else "fp32"
            rows.append({"kerasft step": name, "examples_per_s": round(
                args.batch_size / r["step_seconds"], 1), "GFLOP/s": round(rate, 1),
                "MFU": peak_of[key] and round(rate / peak_of[key], 3),
                "cpu_per_wall": round(r["cpu_per_wall"], 2),
                "first_step_s": round(r["first_step_seconds"], 1), "load": r["load"]})
        print(f"\nMiniLM-L6 training step, batch {args.batch_size} x 128 tokens "
              f"({flops / 1e9:.0f} GFLOP per step), median of {args.mfu_steps} steps")
        print_table(rows, list(rows[0]))
        out["mfu128"] = rows
    table = [s for s in SYSTEMS if s in PRECISION and s in results]
    if table:
        from kerasft.backbones.loader import from_pretrained

        texts, _ = read_sst2("train", args.train_examples, args.seed)
        tokens = from_pretrained("minilm-l6")[1].encode(
            texts, sequence_length=args.sequence_length)["token_ids"]
        lengths = [len(t) for t in tokens]
        flops = train_flops(lengths)
        rows = []
        for system in table:
            r = results[system]
            rate = flops / r["seconds"] / 1e9
            rows.append({"system": system, "precision": PRECISION[system],
                         "train_s": round(r["seconds"], 1),
                         "examples_per_s": round(len(lengths) / r["seconds"], 1),
                         "real_tokens_per_s": round(sum(lengths) / r["seconds"]),
                         "MFU": peak_of[PRECISION[system]] and round(
                             rate / peak_of[PRECISION[system]], 3),
                         "cpu_per_wall": round(r["cpu"] / r["seconds"], 2),
                         "accuracy": round(100 * r["accuracy"], 2),
                         "load": r["load_average"], "steal_s": r.get("steal_seconds")})
        by = {r["system"]: r for r in rows}
        for r in rows:
            for peer in ("keras-hub-fp32", "torch-fp32", "torch-bf16"):
                if peer in by:
                    r[f"x_{peer}"] = round(r["examples_per_s"] / by[peer]["examples_per_s"], 2)
        print(f"\nSST-2, MiniLM-L6, {len(lengths)} train sentences (tokens p50 "
              f"{np.median(lengths):.0f}, p95 {np.percentile(lengths, 95):.0f}), 1 epoch, "
              f"batch {args.batch_size}, {args.sequence_length} tokens; accuracy on 872 dev")
        print_table(rows, list(dict.fromkeys(k for r in rows for k in r)))
        out["sst2"] = rows
    write_results("train_bench", out)


if __name__ == "__main__":
    main()
