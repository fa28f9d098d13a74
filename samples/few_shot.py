"""Few-shot classification (SetFit) with 8 labelled BBC News articles per topic.

    python samples/few_shot.py [--per-class 8] [--layers 6] [--iterations 10]

Stage 1 tunes the MiniLM sentence encoder on pairs of the labelled examples
(same topic = similar), stage 2 fits a logistic-regression head on the tuned
embeddings. The result is an ordinary TextClassifier: evaluate, save, load,
predict, export. Compare with `--baseline`, ordinary fine-tuning on the same
40 examples.
"""

import argparse
import os
import sys

import numpy as np

import kerasft as kft
from kerasft.data import train_test_split
from kerasft.datasets import load_bbc_news

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # samples/_common.py
from _common import common_arguments, save_and_reload


def main():
    parser = argparse.ArgumentParser()
    common_arguments(parser, layers_flag="--layers", layers=6, epochs=1,
                     output="runs/sample_few_shot", sequence_length=64)
    parser.add_argument("--per-class", type=int, default=8)
    parser.add_argument("--iterations", type=int, default=10, help="SetFit sampling rounds")
    parser.add_argument("--baseline", action="store_true",
                        help="also fine-tune ordinarily on the same examples")
    args = parser.parse_args()

    texts, labels = load_bbc_news()
    pool, test = train_test_split(texts, labels, test_size=300, seed=42)
    rng = np.random.RandomState(0)
    few = [i for label in sorted(set(labels)) for i in rng.permutation(
        [j for j, y in enumerate(pool.labels) if y == label])[:args.per_class]]
    x, y = [pool.texts[i] for i in few], [pool.labels[i] for i in few]
    print(f"{len(x)} labelled examples, {len(test.texts)} test articles")

    def classifier():
        return kft.TextClassifier.from_pretrained(
            "minilm-l6", labels=sorted(set(labels)), sequence_length=args.sequence_length,
            backbone_config={"num_layers": args.layers})

    model = classifier()
    history = model.fit_few_shot(x, y, num_iterations=args.iterations, epochs=args.epochs,
                                 seed=0)
    print("few-shot:", history.few_shot)
    report = model.evaluate_report(test.texts, test.labels, output_dir=args.output)
    print(kft.TextClassifier.format_report(report))

    if args.baseline:
        baseline = classifier()
        baseline.compile(learning_rate=1e-4)
        baseline.fit(x, y, epochs=8, batch_size=16, seed=0, verbose=0)
        plain = baseline.evaluate_report(test.texts, test.labels)
        print(f"accuracy: few-shot {report['accuracy']:.3f}, "
              f"ordinary fine-tuning {plain['accuracy']:.3f}")

    reloaded = save_and_reload(model, args.output)
    print(reloaded.predict_labels(["Shares rose 3% on Monday after strong earnings",
                                   "The striker scored twice in the cup final"]))


if __name__ == "__main__":
    main()
