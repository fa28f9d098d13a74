"""Fine-tune the MiniLM default on BBC News, evaluate, save, reload, predict.

    python samples/text_classification.py [--epochs 2] [--layers 6]

The same as `kerasft train --config configs/bbc_news.yaml`, in Python.
"""

import argparse
import os
import sys

import kerasft as kft
from kerasft.data import train_test_split
from kerasft.datasets import load_bbc_news

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # samples/_common.py
from _common import common_arguments, save_and_reload


def main():
    parser = argparse.ArgumentParser()
    common_arguments(parser, layers_flag="--layers", layers=6, epochs=2,
                     output="runs/sample_bbc")
    args = parser.parse_args()

    texts, labels = load_bbc_news()
    train, test = train_test_split(texts, labels, test_size=0.1, seed=42)
    train, val = train_test_split(train, test_size=0.1, seed=42)

    model = kft.TextClassifier.from_pretrained(
        "minilm-l6", labels=sorted(set(labels)), sequence_length=128,
        backbone_config={"num_layers": args.layers}, dropout=0.1)
    model.compile(learning_rate=1e-4)  # AdamW, warmup + linear decay
    model.fit(train.texts, train.labels, validation_data=(val.texts, val.labels),
              epochs=args.epochs, batch_size=32, seed=42)

    report = model.evaluate_report(test.texts, test.labels, output_dir=args.output)
    print(kft.TextClassifier.format_report(report))

    reloaded = save_and_reload(model, args.output)
    print(reloaded.predict_labels(["Shares rose 3% on Monday after strong earnings",
                                   "The striker scored twice in the cup final"]))


if __name__ == "__main__":
    main()
