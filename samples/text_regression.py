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

import kerasft as kft
from kerasft.data import read_stsb

STSB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared",
                    "data", "stsb")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=STSB, help="folder with sts-{train,dev,test}.csv")
    parser.add_argument("--train-examples", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--eval-examples", type=int, default=None,
                        help="use only the first N dev and test pairs")
    parser.add_argument("--backbone", default="minilm-l6")
    parser.add_argument("--sequence-length", type=int, default=128)
    parser.add_argument("--layers", type=int, default=6, help="keep the first N layers")
    parser.add_argument("--output", default="runs/sample_stsb")
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

    model.save(args.output + "/model", overwrite=True)
    reloaded = kft.load(args.output + "/model")
    print(reloaded.predict([("A man is playing a flute.", "A man plays the flute."),
                            ("A man is playing a flute.", "A woman is slicing onions.")]))


if __name__ == "__main__":
    main()
