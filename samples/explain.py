"""Explain a text classifier's predictions word by word.

Trains the tiny random BERT on a toy sentiment set (seconds), then explains
its predictions with integrated gradients and occlusion, prints each word's
score and the completeness gap, and writes an HTML page and a PNG.

    python samples/explain.py --output /tmp/explain
    python samples/explain.py --backbone minilm-l6 --output /tmp/explain   # real model
"""

import argparse
import os

import kerasft as kft
from kerasft.explain import explain_html, plot_explanations

TEXTS = ["good great film", "a great movie", "it is good", "great news", "the film is great",
         "bad bad film", "not good", "a bad movie", "it was bad", "bad news"]
LABELS = ["pos"] * 5 + ["neg"] * 5


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="tiny-bert")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--output", default="explain_output")
    args = parser.parse_args(argv)

    model = kft.TextClassifier.from_pretrained(args.backbone, labels=["neg", "pos"],
                                               sequence_length=32, dropout=0.0)
    model.compile(learning_rate=3e-3)
    model.fit(TEXTS * 4, LABELS * 4, epochs=args.epochs, batch_size=8, seed=0, verbose=0)

    texts = ["a good film, not bad at all", "it was a bad movie"]
    explanations = model.explain(texts, steps=32)
    for e in explanations:
        a = e.attributions[0]
        print(f"{a.target['label']} ({a.output:.3f}), completeness gap "
              f"{a.completeness_gap:.1e}: " +
              " ".join(f"{w['word']}({s:+.3f})" for w, s in zip(e.words, a.scores)))
    for e in model.explain(texts, method="occlusion"):
        print("occlusion:", e.top(3))
    os.makedirs(args.output, exist_ok=True)
    explain_html(explanations, os.path.join(args.output, "explanations.html"))
    plot_explanations(explanations, os.path.join(args.output, "explanations.png"))
    print(f"Written to {args.output}")
    return explanations


if __name__ == "__main__":
    main()
