"""Fine-tune the MiniLM default on BBC News, evaluate, save, reload, predict.

    python samples/text_classification.py [--epochs 2] [--layers 6]

The same as `kerasft train --config configs/bbc_news.yaml`, in Python.
"""

import argparse

import kerasft as kft
from kerasft.data import train_test_split
from kerasft.datasets import load_bbc_news


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--layers", type=int, default=6, help="keep the first N layers")
    parser.add_argument("--output", default="runs/sample_bbc")
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

    model.save(args.output + "/model", overwrite=True)
    reloaded = kft.load(args.output + "/model")
    print(reloaded.predict_labels(["Shares rose 3% on Monday after strong earnings",
                                   "The striker scored twice in the cup final"]))


if __name__ == "__main__":
    main()
