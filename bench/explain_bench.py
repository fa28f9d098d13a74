"""Faithfulness and speed of kerasft's explanations on SST-2.

Fine-tunes MiniLM on a slice of SST-2 train, explains SST-2 dev sentences
with integrated gradients and occlusion, and runs the deletion test: delete
the top-scored 0-50% of each sentence's words (or random ones) and measure
the probability of the originally predicted label. A faithful method makes
it fall faster: a lower area under the curve. Also times one explanation
of a 64-token text with 32 steps.

    python bench/explain_bench.py                      # full MiniLM-L6
    python bench/explain_bench.py --num-layers 2       # quicker

Writes bench/results/explain_bench.json and explain_examples.png.
"""

import argparse
import csv
import os
import sys
import time

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import RESULTS_DIR, data_path, print_table, write_results

import kerasft as kft
from kerasft.explain import deletion_curve, explain_html, plot_explanations
from kerasft.explain.deletion import area_under_curve

FRACTIONS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)


def read_sst2(name, n, seed):
    frame = pd.read_csv(data_path("glue_sst2", name), sep="\t", quoting=csv.QUOTE_NONE,
                        dtype=str)
    frame = frame.sample(n=min(n, len(frame)), random_state=seed)
    return [s.strip() for s in frame["sentence"]], ["pos" if v == "1" else "neg"
                                                    for v in frame["label"]]


def time_one(model, steps, repeats=5):
    """Seconds per IG explanation of one 64-token text (after a warm-up)."""
    words = ["the", "film", "is", "a", "charming", "and", "often", "affecting", "journey", "through", "a", "world", "of", "quiet", "grief", ",", "and", "it", "never", "once", "feels", "false", "or", "forced"]
    text = " ".join(words * 4)
    ids = model.preprocessor.encode([text])["token_ids"][0]
    text = model.preprocessor.tokenizer.decode(ids[1:63])  # 62 words + 2 specials = 64
    model.explain([text], steps=steps, batch_size=1)
    start = time.perf_counter()
    for _ in range(repeats):
        e = model.explain([text], steps=steps, batch_size=1)[0]
    seconds = (time.perf_counter() - start) / repeats
    return seconds, len(model.preprocessor.encode([text])["token_ids"][0]), e


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="minilm-l6")
    parser.add_argument("--num-layers", type=int, default=None)
    parser.add_argument("--train-examples", type=int, default=2000)
    parser.add_argument("--dev-examples", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--steps", type=int, default=32)
    parser.add_argument("--sequence-length", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import keras

    keras.utils.set_random_seed(args.seed)
    train_x, train_y = read_sst2("train.tsv", args.train_examples, args.seed)
    dev_x, dev_y = read_sst2("dev.tsv", args.dev_examples, args.seed)
    model = kft.TextClassifier.from_pretrained(
        args.backbone, labels=["neg", "pos"], sequence_length=args.sequence_length,
        backbone_config={"num_layers": args.num_layers} if args.num_layers else None)
    model.compile(learning_rate=5e-5)
    start = time.perf_counter()
    model.fit(train_x, train_y, epochs=args.epochs, batch_size=32, seed=args.seed, verbose=2)
    fit_seconds = time.perf_counter() - start
    accuracy = float(np.mean(np.array(model.predict_labels(dev_x)) == np.array(dev_y)))
    print(f"fine-tuned in {fit_seconds:.0f} s; dev accuracy {accuracy:.3f}")

    seconds_64, tokens_64, _ = time_one(model, args.steps)
    print(f"one IG explanation of a {tokens_64}-token text, {args.steps} steps: "
          f"{seconds_64 * 1000:.0f} ms")

    rows, curves, gaps = [], {}, []
    runs = {"integrated_gradients": dict(method="integrated_gradients", steps=args.steps,
                                         batch_size=4),
            "occlusion": dict(method="occlusion", batch_size=4)}
    explanations = {}
    for name, kwargs in runs.items():
        start = time.perf_counter()
        explanations[name] = model.explain(dev_x, **kwargs)
        per = (time.perf_counter() - start) / len(dev_x)
        if name == "integrated_gradients":
            gaps = [abs(e.attributions[0].completeness_gap) for e in explanations[name]]
        curve = deletion_curve(model, explanations[name], FRACTIONS).mean(0)
        curves[name] = curve
        rows.append({"method": name, "auc": area_under_curve(FRACTIONS, curve),
                     "prob@0%": curve[0], "prob@20%": curve[2], "prob@50%": curve[-1],
                     "ms_per_explanation": per * 1000})
    random_curves = [deletion_curve(model, explanations["occlusion"], FRACTIONS,
                                    order="random", seed=s).mean(0) for s in range(3)]
    curve = np.mean(random_curves, axis=0)
    curves["random"] = curve
    rows.append({"method": "random", "auc": area_under_curve(FRACTIONS, curve),
                 "prob@0%": curve[0], "prob@20%": curve[2], "prob@50%": curve[-1],
                 "ms_per_explanation": 0.0})
    complete = [e.attributions[0].complete for e in explanations["integrated_gradients"]]

    title = (f"Deletion test on {len(dev_x)} SST-2 dev sentences ({args.backbone}"
             f"{f', {args.num_layers} layers' if args.num_layers else ''}, dev accuracy "
             f"{accuracy:.3f}); probability of the predicted label after deleting the "
             "top-scored words (lower AUC = more faithful)")
    print(f"\n{title}")
    print_table(rows, ["method", "auc", "prob@0%", "prob@20%", "prob@50%",
                       "ms_per_explanation"])
    print(f"IG completeness |gap|: median {np.median(gaps):.2e}, max {np.max(gaps):.2e}; "
          f"{sum(complete)}/{len(complete)} within tolerance")
    print(f"one IG explanation, {tokens_64} tokens, {args.steps} steps: "
          f"{seconds_64 * 1000:.0f} ms")
    os.makedirs(RESULTS_DIR, exist_ok=True)
    examples = explanations["integrated_gradients"][:6]
    plot_explanations(examples, os.path.join(RESULTS_DIR, "explain_examples.png"))
    explain_html(examples, os.path.join(RESULTS_DIR, "explain_examples.html"))
    write_results("explain_bench", {
        "args": vars(args), "fit_seconds": fit_seconds, "dev_accuracy": accuracy,
        "fractions": list(FRACTIONS), "curves": {k: list(map(float, v)) for k, v in
                                                 curves.items()},
        "rows": rows, "ig_seconds_64_tokens": seconds_64, "ig_tokens": tokens_64,
        "completeness_gap": {"median": float(np.median(gaps)), "max": float(np.max(gaps)),
                             "within_tolerance": int(sum(complete)),
                             "count": len(complete)}})


if __name__ == "__main__":
    main()
