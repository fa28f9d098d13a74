"""Few-shot classification: SetFit (`fit_few_shot`) vs ordinary fine-tuning
vs logistic regression on frozen MiniLM embeddings, on the same examples.

For each data set (SST-2, BBC News), each number of labelled examples per
class (8, 16, 64) and each seed (5), the same k examples per class are drawn
from the training pool and three systems are trained on them, all on the
default MiniLM-L6 (sentence-transformers all-MiniLM-L6-v2, mean pooling):

    setfit     `TextClassifier.fit_few_shot`: contrastive stage on SetFit pairs
               (cosine-similarity loss, 1 epoch, batch 16, lr 2e-5), then a
               logistic-regression head
    finetune   `TextClassifier.fit`: kerasft's ordinary recipe (AdamW, warmup,
               lr 1e-4, batch 16) for enough epochs to see about
               --budget-texts texts (3 to 20 epochs)
    frozen_lr  scikit-learn LogisticRegression on the untuned embeddings

Each is scored on a fixed test subset (accuracy, macro-F1) and timed (wall
and process CPU seconds of training). SetFit's iterations are capped so a
run makes at most --max-pairs pairs (SetFit's R=20 at 8 per class on SST-2;
fewer rounds when there are more examples): the few-iteration setting that
keeps the whole benchmark near 25 minutes on a quiet 2-core machine.

    nice python bench/few_shot_bench.py                 # full: ~25 min quiet
    nice python bench/few_shot_bench.py --quick         # k=8,16, 2 seeds, 300 test texts
    nice python bench/few_shot_bench.py --datasets sst2 --shots 8 --seeds 3
"""

import argparse
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
import numpy as np  # noqa: E402
from common import data_path, load_average, print_table, write_results  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score  # noqa: E402

import kerasft as kft  # noqa: E402

SYSTEMS = ("setfit", "finetune", "frozen_lr")


def read_sst2(split):
    with open(data_path("glue_sst2", f"{split}.tsv"), encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f][1:]
    return [r[0].strip() for r in rows], [("negative", "positive")[int(r[1])] for r in rows]


def load_dataset(name, test_size, rng):
    """`(pool_texts, pool_labels, test_texts, test_labels)`."""
    if name == "sst2":
        pool, pool_y = read_sst2("train")
        test, test_y = read_sst2("dev")
        keep = rng.permutation(len(test))[:test_size]
        return pool, pool_y, [test[i] for i in keep], [test_y[i] for i in keep]
    from kerasft.datasets import load_bbc_news

    texts, labels = load_bbc_news()
    order = rng.permutation(len(texts))
    test_idx, pool_idx = order[:test_size], order[test_size:]
    return ([texts[i] for i in pool_idx], [labels[i] for i in pool_idx],
            [texts[i] for i in test_idx], [labels[i] for i in test_idx])


def draw(pool, pool_y, k, seed):
    """k distinct texts per class, drawn with `seed`."""
    rng = np.random.RandomState(seed)
    texts, labels = [], []
    for label in sorted(set(pool_y)):
        rows = [i for i in np.flatnonzero(np.asarray(pool_y) == label)]
        seen, picked = set(), []
        for i in rng.permutation(rows):
            if pool[i] not in seen and pool[i].strip():
                seen.add(pool[i])
                picked.append(i)
            if len(picked) == k:
                break
        texts += [pool[i] for i in picked]
        labels += [label] * len(picked)
    order = rng.permutation(len(texts))
    return [texts[i] for i in order], [labels[i] for i in order]


def scores(y_true, y_pred):
    return {"accuracy": float(accuracy_score(y_true, y_pred)),
            "macro_f1": float(f1_score(y_true, y_pred, average="macro"))}


def classifier(labels, args):
    return kft.TextClassifier.from_pretrained(
        "minilm-l6", labels=labels, sequence_length=args.sequence_length)


def run_setfit(texts, labels, test, test_y, names, args, seed):
    model = classifier(names, args)
    iterations = max(1, min(args.iterations, args.max_pairs // (2 * len(texts))))
    start, cpu = time.perf_counter(), time.process_time()
    history = model.fit_few_shot(texts, labels, num_iterations=iterations, epochs=1,
                                 batch_size=16, learning_rate=2e-5, seed=seed, verbose=0)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    predicted = model.predict_labels(test, batch_size=64)
    return {**scores(test_y, predicted), "train_s": seconds, "train_cpu_s": cpu,
            "iterations": iterations, "pairs": history.few_shot["pairs"]}


def run_finetune(texts, labels, test, test_y, names, args, seed):
    model = classifier(names, args)
    epochs = int(min(20, max(3, math.ceil(args.budget_texts / len(texts)))))
    model.compile(learning_rate=1e-4)
    start, cpu = time.perf_counter(), time.process_time()
    model.fit(texts, labels, epochs=epochs, batch_size=16, seed=seed, verbose=0)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    predicted = model.predict_labels(test, batch_size=64)
    return {**scores(test_y, predicted), "train_s": seconds, "train_cpu_s": cpu,
            "epochs": epochs}


def run_frozen(texts, labels, test_vectors, test_y, embedder, seed):
    start, cpu = time.perf_counter(), time.process_time()
    features = embedder.encode(texts, batch_size=64)
    clf = LogisticRegression(max_iter=2000, random_state=seed).fit(features, labels)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {**scores(test_y, clf.predict(test_vectors)), "train_s": seconds,
            "train_cpu_s": cpu}


def summarize(runs):
    rows = []
    keys = sorted({(r["dataset"], r["shots"], r["system"]) for r in runs},
                  key=lambda t: (t[0], t[1], SYSTEMS.index(t[2])))
    for dataset, shots, system in keys:
        group = [r for r in runs if (r["dataset"], r["shots"], r["system"]) == (
            dataset, shots, system)]
        acc = np.array([r["accuracy"] for r in group])
        f1 = np.array([r["macro_f1"] for r in group])
        rows.append({"dataset": dataset, "per_class": shots, "system": system,
                     "seeds": len(group),
                     "accuracy": f"{acc.mean():.3f} ± {acc.std():.3f}",
                     "macro_f1": f"{f1.mean():.3f} ± {f1.std():.3f}",
                     "accuracy_mean": float(acc.mean()), "accuracy_std": float(acc.std()),
                     "macro_f1_mean": float(f1.mean()), "macro_f1_std": float(f1.std()),
                     "train_s": float(np.mean([r["train_s"] for r in group])),
                     "train_cpu_s": float(np.mean([r["train_cpu_s"] for r in group]))})
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="sst2,bbc_news")
    parser.add_argument("--shots", default="8,16,64")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--test-size", type=int, default=500)
    parser.add_argument("--sequence-length", type=int, default=64)
    parser.add_argument("--iterations", type=int, default=20, help="SetFit R (at most)")
    parser.add_argument("--max-pairs", type=int, default=640)
    parser.add_argument("--budget-texts", type=int, default=320)
    parser.add_argument("--quick", action="store_true",
                        help="8 and 16 per class, 2 seeds, 300 test texts (~1/4 of the run)")
    parser.add_argument("--name", default="few_shot_bench")
    args = parser.parse_args()
    if args.quick:
        args.shots, args.seeds, args.test_size = "8,16", 2, 300
    systems = args.systems.split(",")
    runs, start = [], time.perf_counter()
    loads = [load_average()]
    for dataset in args.datasets.split(","):
        pool, pool_y, test, test_y = load_dataset(dataset, args.test_size,
                                                  np.random.RandomState(0))
        names = sorted(set(pool_y))
        test_vectors, embedder = None, None
        if "frozen_lr" in systems:
            embedder = kft.TextEmbedder.from_pretrained(
                "minilm-l6", sequence_length=args.sequence_length, normalize=False)
            test_vectors = embedder.encode(test, batch_size=64)
        for shots in [int(s) for s in args.shots.split(",")]:
            for seed in range(args.seeds):
                texts, labels = draw(pool, pool_y, shots, seed)
                for system in systems:
                    keras.utils.set_random_seed(seed)
                    if system == "frozen_lr":
                        result = run_frozen(texts, labels, test_vectors, test_y, embedder, seed)
                    else:
                        run = run_setfit if system == "setfit" else run_finetune
                        result = run(texts, labels, test, test_y, names, args, seed)
                        keras.backend.clear_session()
                    runs.append({"dataset": dataset, "shots": shots, "seed": seed,
                                 "system": system, **result})
                    print(f"{dataset} k={shots} seed={seed} {system}: acc "
                          f"{result['accuracy']:.3f} f1 {result['macro_f1']:.3f} "
                          f"train {result['train_s']:.1f}s (load {load_average()})",
                          flush=True)
                    loads.append(load_average())
    rows = summarize(runs)
    print(f"\nFew-shot classification, MiniLM-L6, sequence length {args.sequence_length}, "
          f"test subset {args.test_size} texts; mean ± std over seeds; "
          f"load average {min(loads)}-{max(loads)}; total {time.perf_counter() - start:.0f} s")
    print_table(rows, ["dataset", "per_class", "system", "seeds", "accuracy", "macro_f1",
                       "train_s", "train_cpu_s"])
    verdicts = []
    for dataset in args.datasets.split(","):
        for shots in (8, 16):
            by = {r["system"]: r for r in rows if r["dataset"] == dataset
                  and r["per_class"] == shots}
            if "setfit" in by and "finetune" in by:
                won = by["setfit"]["accuracy_mean"] > by["finetune"]["accuracy_mean"]
                verdicts.append({"dataset": dataset, "per_class": shots,
                                 "setfit_beats_finetune": won})
                print(f"{dataset} k={shots}: setfit {'beats' if won else 'does NOT beat'} "
                      f"ordinary fine-tuning on accuracy")
    write_results(args.name, {"args": vars(args), "load_average": [min(loads), max(loads)],
                              "total_seconds": time.perf_counter() - start,
                              "verdicts": verdicts, "rows": rows, "runs": runs})


if __name__ == "__main__":
    main()
