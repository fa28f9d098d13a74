"""Fine-tune MiniLM on GoEmotions (28 emotions, one or more per comment),
tune per-label thresholds, evaluate, save, reload, predict.

    python samples/multi_label_classification.py [--train-examples 4000] [--epochs 1]

Expect a few minutes on 2 idle CPU cores with the defaults.

The same as `kerasft train --config configs/goemotions_multilabel.yaml`, in
Python. GoEmotions is read from ../shared/data/goemotions (never copied
into the repository); its dev split is halved into validation (early
stopping and threshold tuning) and test.
"""

import argparse
import os
import sys

import kerasft as kft
from kerasft.data import read_multi_label

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # samples/_common.py
from _common import common_arguments, save_and_reload


def read(folder, split):
    # text<TAB>label ids "3,27"<TAB>comment id; the ids index labels.txt.
    return read_multi_label(os.path.join(folder, f"{split}.tsv"), text_column=0,
                            label_column=1, header=False,
                            label_names=os.path.join(folder, "labels.txt"))


def main():
    parser = argparse.ArgumentParser()
    common_arguments(parser, data="goemotions", backbone="minilm-l6", layers_flag="--layers",
                     layers=6, epochs=1, output="runs/sample_goemotions")
    parser.add_argument("--train-examples", type=int, default=4000)
    parser.add_argument("--eval-examples", type=int, default=None,
                        help="use only the first N dev comments")
    args = parser.parse_args()

    train, dev = read(args.data, "train"), read(args.data, "dev")
    dev = type(dev)(texts=dev.texts[:args.eval_examples],
                    labels=dev.labels[:args.eval_examples], source=dev.source)
    half = len(dev) // 2
    n = args.train_examples
    with open(os.path.join(args.data, "labels.txt"), encoding="utf-8") as f:
        labels = [line.strip() for line in f if line.strip()]

    model = kft.MultiLabelClassifier.from_pretrained(
        args.backbone, labels=labels, sequence_length=64,
        backbone_config={"num_layers": args.layers})
    model.compile(learning_rate=1e-4)
    # With validation data, fit ends by tuning each label's threshold there.
    model.fit(train.texts[:n], train.labels[:n],
              validation_data=(dev.texts[:half], dev.labels[:half]),
              epochs=args.epochs, batch_size=32, seed=42)

    report = model.evaluate_report(dev.texts[half:], dev.labels[half:],
                                   output_dir=args.output)
    print(kft.MultiLabelClassifier.format_report(report))

    reloaded = save_and_reload(model, args.output)
    print(reloaded.predict_labels(["Thank you so much, this made my day!",
                                   "Wait, what? I don't get it."]))


if __name__ == "__main__":
    main()
