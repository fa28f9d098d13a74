"""Fine-tune MiniLM on STS Benchmark sentence pairs (similarity 0-5), evaluate,
save, reload, predict.

    python samples/text_regression.py [--train-examples 2000] [--epochs 2] [--layers 6]

Expect a few minutes on 2 idle CPU cores with the defaults.

The same as `kerasft train --config configs/stsb_regression.yaml`, in Python.
STS-B is read from ../shared/data/stsb (research data, never copied into
the repository).
"""

import argparse
import os
import sys

import kerasft as kft
from kerasft.data import read_stsb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # samples/_common.py
from _common import common_arguments, save_and_reload


def main():
    parser = argparse.ArgumentParser()
    common_arguments(parser, data="stsb", data_help="folder with sts-{train,dev,test}.csv",
                     backbone="minilm-l6", layers_flag="--layers", layers=6, epochs=2,
                     sequence_length=128, output="runs/sample_stsb")
    parser.add_argument("--train-examples", type=int, default=2000)
    parser.add_argument("--eval-examples", type=int, default=None,
                        help="use only the first N dev and test pairs")
    args = parser.parse_args()

    train = read_stsb(os.path.join(args.data, "sts-train.csv"))
    dev = read_stsb(os.path.join(args.data, "sts-dev.csv"))
    test = read_stsb(os.path.join(args.data, "sts-test.csv"))
    n, m = args.train_examples, args.eval_examples

    model = kft.TextRegressor.from_pretrained(
        args.backbone, target_names=["similarity"], sequence_length=args.sequence_length,
        backbone_config={"num_layers": args.layers})
    model.compile(learning_rate=1e-4)  # AdamW, warmup + linear decay
    # Targets are standardized with the training mean/std inside fit; the
    # model still predicts on the 0-5 scale.
    model.fit((train.texts[:n], train.pairs[:n]), train.labels[:n],
              validation_data=((dev.texts[:m], dev.pairs[:m]), dev.labels[:m]),
              epochs=args.epochs, batch_size=32, seed=42)

    report = model.evaluate_report((test.texts[:m], test.pairs[:m]), test.labels[:m],
                                   output_dir=args.output)
    print(kft.TextRegressor.format_report(report))

    reloaded = save_and_reload(model, args.output)
    print(reloaded.predict([("A man is playing a flute.", "A man plays the flute."),
                            ("A man is playing a flute.", "A woman is slicing onions.")]))


if __name__ == "__main__":
    main()
