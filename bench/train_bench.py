"""Training speed and accuracy: kerasft vs plain keras-hub `fit` (and PyTorch).

Part 1 fine-tunes the MiniLM default on BBC News (same split, sequence
length, epochs, batch size, learning rate) with
  - kerasft `TextClassifier` (its defaults: bucketed batches, AdamW recipe),
  - plain keras-hub `BertTextClassifier.fit` on Python lists,
  - optionally Hugging Face transformers + PyTorch (`--systems ... "transformers+torch"`),
and reports train examples/s and test accuracy.

Part 2 measures what length bucketing buys on texts of varied length
(SST-2 sentences from ../shared/data): kerasft with padding="bucket" vs
"longest" vs "max_length" (the fixed shape plain pipelines use).

    python bench/train_bench.py [--epochs 2] [--bbc-train N] [--skip-bbc] [--skip-buckets]
        [--systems kerasft "keras-hub fit" "transformers+torch" ...]
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
import numpy as np  # noqa: E402
from common import (EpochTimer, add_ratios, add_training_arguments, data_path,  # noqa: E402
                    load_average, print_table, write_results)

import kerasft as kft  # noqa: E402
from kerasft.backbones.presets import preset_directory  # noqa: E402
from kerasft.data.splits import train_test_split  # noqa: E402
from kerasft.datasets import load_bbc_news  # noqa: E402

SST2 = ("glue_sst2", "train.tsv")  # in the external data; see common.data_path


def bbc_split(seed, max_train=None):
    texts, labels = load_bbc_news()
    train, test = train_test_split(texts, labels, test_size=0.1, seed=seed)
    if max_train and max_train < len(train):
        train, _ = train_test_split(train, test_size=len(train) - max_train, seed=seed)
    return train, test


def run_kerasft(train, test, args, padding="bucket", mixed=False):
    keras.utils.set_random_seed(args.seed)
    if mixed:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    model = kft.TextClassifier.from_pretrained(
        "minilm-l6", labels=sorted(set(train.labels)), sequence_length=args.sequence_length)
    model.compile(learning_rate=args.learning_rate)
    timer = EpochTimer()
    model.fit(train.texts, train.labels, epochs=args.epochs, batch_size=args.batch_size,
              seed=args.seed, callbacks=[timer], padding=padding, verbose=2)
    acc = float(np.mean(np.array(model.predict_labels(test.texts)) == np.array(test.labels))) \
        if test is not None else None
    keras.mixed_precision.set_global_policy("float32")
    return (timer.epoch_seconds, timer.epoch_cpu_seconds), acc


def run_keras_hub(train, test, args):
    import keras_hub

    keras.utils.set_random_seed(args.seed)
    names = sorted(set(train.labels))
    y = np.array([names.index(l) for l in train.labels])
    directory = preset_directory("minilm-l6")
    preprocessor = keras_hub.models.BertTextClassifierPreprocessor.from_preset(
        directory, sequence_length=args.sequence_length)
    model = keras_hub.models.BertTextClassifier.from_preset(
        directory, num_classes=len(names), preprocessor=preprocessor)
    model.compile(optimizer=keras.optimizers.AdamW(args.learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    timer = EpochTimer()
    model.fit(train.texts, y, epochs=args.epochs, batch_size=args.batch_size,
              callbacks=[timer], verbose=2)
    pred = model.predict(test.texts, batch_size=args.batch_size, verbose=0).argmax(-1)
    acc = float(np.mean(pred == np.array([names.index(l) for l in test.labels])))
    return (timer.epoch_seconds, timer.epoch_cpu_seconds), acc


def run_torch(train, test, args):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(args.seed)
    names = sorted(set(train.labels))
    directory = preset_directory("minilm-l6")
    tok = AutoTokenizer.from_pretrained(directory)
    model = AutoModelForSequenceClassification.from_pretrained(directory, num_labels=len(names))
    opt = torch.optim.AdamW(model.parameters(), lr=args.learning_rate)
    y = torch.tensor([names.index(l) for l in train.labels])
    epochs, cpu = [], []
    for _ in range(args.epochs):
        model.train()
        order = torch.randperm(len(train.texts))
        start, cpu_start = time.perf_counter(), time.process_time()
        for i in range(0, len(order), args.batch_size):
            idx = order[i:i + args.batch_size]
            batch = tok([train.texts[j] for j in idx], truncation=True, padding=True,
                        max_length=args.sequence_length, return_tensors="pt")
            loss = model(**batch, labels=y[idx]).loss
            loss.backward()
            opt.step()
            opt.zero_grad()
        epochs.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
    model.eval()
    preds = []
    with torch.no_grad():
        for i in range(0, len(test.texts), 64):
            batch = tok(test.texts[i:i + 64], truncation=True, padding=True,
                        max_length=args.sequence_length, return_tensors="pt")
            preds.append(model(**batch).logits.argmax(-1).numpy())
    acc = float(np.mean(np.concatenate(preds) == np.array([names.index(l) for l in test.labels])))
    return (epochs, cpu), acc


def summarize(name, times, acc, n):
    epoch_seconds, cpu_seconds = times
    total = sum(epoch_seconds)
    # The first epoch includes tracing; steady state is the later epochs.
    steady = epoch_seconds[1:] or epoch_seconds
    steady_cpu = cpu_seconds[1:] or cpu_seconds
    return {"system": name, "train_seconds": round(total, 1),
            "examples_per_s": round(n * len(epoch_seconds) / total, 2),
            "steady_examples_per_s": round(n * len(steady) / sum(steady), 2),
            "examples_per_cpu_s": round(n * len(steady_cpu) / sum(steady_cpu), 3),
            "load_avg": load_average(), "test_accuracy": acc}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_training_arguments(parser, epochs=2, batch_size=32)
    parser.add_argument("--systems", nargs="+",
                        default=["kerasft", "kerasft mixed_bfloat16", "keras-hub fit"],
                        help='any of: kerasft, "kerasft mixed_bfloat16", "keras-hub fit", '
                             '"transformers+torch"')
    parser.add_argument("--skip-bbc", action="store_true")
    parser.add_argument("--skip-buckets", action="store_true")
    parser.add_argument("--bucket-examples", type=int, default=2000)
    parser.add_argument("--bbc-train", type=int, default=None,
                        help="train on this many BBC articles (default: all 2,002)")
    args = parser.parse_args()
    results = {"args": vars(args)}

    if not args.skip_bbc:
        train, test = bbc_split(args.seed, args.bbc_train)
        rows = []
        systems = {"kerasft": lambda: run_kerasft(train, test, args),
                   "kerasft mixed_bfloat16": lambda: run_kerasft(train, test, args, mixed=True),
                   "keras-hub fit": lambda: run_keras_hub(train, test, args),
                   "transformers+torch": lambda: run_torch(train, test, args)}
        for name in args.systems:
            seconds, acc = systems[name]()
            rows.append(summarize(name, seconds, acc, len(train)))
            print(rows[-1])
        base = next((r for r in rows if r["system"] == "keras-hub fit"), rows[0])
        add_ratios(rows, base, {"speed_vs_keras_hub": "steady_examples_per_s",
                                "cpu_speed_vs_keras_hub": "examples_per_cpu_s"}, 3)
        print(f"\nBBC News, MiniLM-L6, seq {args.sequence_length}, {args.epochs} epochs, "
              f"batch {args.batch_size}, {len(train)} train / {len(test)} test")
        print_table(rows, ["system", "train_seconds", "examples_per_s", "steady_examples_per_s",
                           "speed_vs_keras_hub", "examples_per_cpu_s", "cpu_speed_vs_keras_hub",
                           "load_avg", "test_accuracy"])
        results["bbc"] = rows

    if not args.skip_buckets:
        from kerasft.data.readers import read_texts

        sst = read_texts(pd_read_sst2(data_path(*SST2), args.bucket_examples), text_column="sentence")
        tokens = kft.from_pretrained("minilm-l6")[1].encode(sst.texts, sequence_length=args.sequence_length)
        lengths = np.array([len(t) for t in tokens["token_ids"]])
        rows = []
        for padding in ("bucket", "longest", "max_length"):
            seconds, _ = run_kerasft(sst, None, argparse.Namespace(**{**vars(args), "epochs": 2}),
                                     padding=padding)
            rows.append({"padding": padding, **summarize(padding, seconds, None, len(sst))})
        add_ratios(rows, rows[-1], {"speedup_vs_max_length": "steady_examples_per_s",
                                    "cpu_speedup_vs_max_length": "examples_per_cpu_s"}, 2)
        print(f"\nSST-2 ({len(sst)} sentences; tokens p50 {np.median(lengths):.0f}, "
              f"p95 {np.percentile(lengths, 95):.0f}, max {lengths.max()}), seq {args.sequence_length}")
        print_table(rows, ["padding", "train_seconds", "steady_examples_per_s", "speedup_vs_max_length",
                           "examples_per_cpu_s", "cpu_speedup_vs_max_length", "load_avg"])
        results["bucketing"] = rows
    write_results("train_bench", results)


def pd_read_sst2(path, n):
    import csv

    import pandas as pd

    frame = pd.read_csv(path, sep="\t", quoting=csv.QUOTE_NONE, dtype=str)
    return frame.sample(n=min(n, len(frame)), random_state=0).reset_index(drop=True)


if __name__ == "__main__":
    main()
