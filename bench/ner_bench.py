"""NER on CoNLL-2003: kerasft `TokenClassifier` vs transformers + PyTorch.

Both fine-tune all-MiniLM-L6-v2 (6 layers, the same checkpoint directory) on
the first `--train-sentences` training sentences with the same sequence
length, epochs, batch size, learning rate and schedule (AdamW, weight decay
0.01 off biases and LayerNorm, 10% linear warmup then linear decay), label
the first sub-token of each word, and are scored with the same seqeval
entity-level F1 on the test split. Both clip gradients at norm 1.0 (kerasft's
default, the Hugging Face Trainer's max_grad_norm).

- kerasft: its defaults (length-bucketed batches, windows for long
  sentences, TensorFlow on CPU).
- transformers: `AutoModelForTokenClassification`, the usual recipe of the
  token-classification examples (fast tokenizer with is_split_into_words,
  truncation at the sequence length, shuffled batches padded to their longest
  member as DataCollatorForTokenClassification does), PyTorch on CPU.

Budget: about 10 minutes on 2 idle cores with the defaults.

    python bench/ner_bench.py [--train-sentences 2000] [--epochs 2] [--skip-torch]
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
from common import (EpochTimer, add_ratios, add_system_arguments,  # noqa: E402
                    add_training_arguments, data_path, report, result_rows, run_isolated,
                    torch_fit)

import kerasft as kft  # noqa: E402
from kerasft.backbones.presets import preset_directory  # noqa: E402
from kerasft.data import entity_types, iob2_tags, read_conll  # noqa: E402
from kerasft.evaluation.ner import ner_report  # noqa: E402

CONLL = data_path("conll2003")


def run_kerasft(train, test, tags, args):
    keras.utils.set_random_seed(args.seed)
    model = kft.TokenClassifier.from_pretrained(
        "minilm-l6", tags=tags, sequence_length=args.sequence_length)
    model.compile(learning_rate=args.learning_rate, weight_decay=0.01, warmup_ratio=0.1)
    timer = EpochTimer()
    model.fit(train.tokens, train.tags, epochs=args.epochs, batch_size=args.batch_size,
              seed=args.seed, callbacks=[timer], verbose=2)
    start = time.perf_counter()
    predicted = model.predict_tags(test.tokens, batch_size=64)
    predict_seconds = time.perf_counter() - start
    return timer.epoch_seconds, timer.epoch_cpu_seconds, predicted, predict_seconds


def run_torch(train, test, tags, args):
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    torch.manual_seed(args.seed)
    directory = preset_directory("minilm-l6")
    tokenizer = AutoTokenizer.from_pretrained(directory)
    model = AutoModelForTokenClassification.from_pretrained(
        directory, num_labels=len(tags), id2label=dict(enumerate(tags)),
        label2id={t: i for i, t in enumerate(tags)})
    tag_id = {t: i for i, t in enumerate(tags)}

    def encode(sentences, labels=None):
        enc = tokenizer(sentences, is_split_into_words=True, truncation=True,
                        max_length=args.sequence_length)
        rows = []
        for i in range(len(sentences)):
            word_ids, previous, targets = enc.word_ids(i), None, []
            for w in word_ids:
                first = w is not None and w != previous
                targets.append(tag_id[labels[i][w]] if first and labels else
                               (w if first else -100))
                previous = w
            rows.append((enc["input_ids"][i], enc["token_type_ids"][i], targets))
        return rows

    def collate(rows):
        length = max(len(r[0]) for r in rows)
        ids = torch.full((len(rows), length), tokenizer.pad_token_id)
        types = torch.zeros((len(rows), length), dtype=torch.long)
        mask = torch.zeros((len(rows), length), dtype=torch.long)
        labels = torch.full((len(rows), length), -100)
        for k, (i, t, y) in enumerate(rows):
            ids[k, :len(i)], types[k, :len(t)], mask[k, :len(i)] = (
                torch.tensor(i), torch.tensor(t), 1)
            labels[k, :len(y)] = torch.tensor(y)
        return ids, types, mask, labels

    rows = encode(train.tokens, train.tags)

    def batch_loss(indices):
        ids, types, mask, labels = collate([rows[i] for i in indices])
        return model(input_ids=ids, token_type_ids=types, attention_mask=mask,
                     labels=labels).loss

    epochs, cpu_epochs = torch_fit(
        model, len(rows), batch_loss, args, log=lambda epochs, loss: print(
            f"torch epoch {len(epochs)}: {epochs[-1]:.1f}s loss {loss.item():.4f}"))
    model.eval()
    start = time.perf_counter()
    test_rows = encode(test.tokens)
    predicted = []
    with torch.no_grad():
        for b in range(0, len(test_rows), 64):
            batch = test_rows[b:b + 64]
            ids, types, mask, _ = collate(batch)
            best = model(input_ids=ids, token_type_ids=types,
                         attention_mask=mask).logits.argmax(-1).numpy()
            for k, (_, _, words) in enumerate(batch):
                n = len(test.tokens[b + k])
                sentence = ["O"] * n  # words cut off by truncation stay O
                for position, w in enumerate(words):
                    if w >= 0:
                        sentence[w] = tags[best[k, position]]
                predicted.append(kft.data.to_iob2(sentence))
    return epochs, cpu_epochs, predicted, time.perf_counter() - start


def summarize(name, epoch_seconds, epoch_cpu_seconds, predicted, predict_seconds, train, test):
    report = ner_report(list(test.tags), predicted)
    total = sum(epoch_seconds)
    steady = epoch_seconds[1:] or epoch_seconds
    steady_cpu = epoch_cpu_seconds[1:] or epoch_cpu_seconds
    return {
        "system": name,
        "train_seconds": round(total, 1),
        "train_cpu_seconds": round(sum(epoch_cpu_seconds), 1),
        "steady_sentences_per_cpu_s": round(len(train) * len(steady_cpu) / sum(steady_cpu), 2),
        "train_sentences_per_s": round(len(train) * len(epoch_seconds) / total, 2),
        "steady_sentences_per_s": round(len(train) * len(steady) / sum(steady), 2),
        "predict_sentences_per_s": round(len(test) / predict_seconds, 1),
        "test_f1": round(100 * report["f1"], 2),
        "test_precision": round(100 * report["precision"], 2),
        "test_recall": round(100 * report["recall"], 2),
        "per_type_f1": {k: round(100 * v["f1"], 2) for k, v in report["per_type"].items()},
    }


SYSTEMS = ("kerasft", "transformers+torch")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=CONLL)
    parser.add_argument("--train-sentences", type=int, default=2000)
    parser.add_argument("--test-sentences", type=int, default=None, help="default: all")
    add_training_arguments(parser, epochs=2, batch_size=32)
    add_system_arguments(parser, SYSTEMS)
    args = parser.parse_args()

    full = read_conll(os.path.join(args.data, "train.txt"))
    test = read_conll(os.path.join(args.data, "test.txt"))
    train = kft.data.TokenData(full.tokens[:args.train_sentences],
                               kft.data.TagLists(full.tags[:args.train_sentences]))
    if args.test_sentences:
        test = kft.data.TokenData(test.tokens[:args.test_sentences],
                                  kft.data.TagLists(test.tags[:args.test_sentences]))
    tags = iob2_tags(entity_types(full.tags))

    def work(system):
        run = run_kerasft if system == "kerasft" else run_torch
        return dict(zip(("epoch_seconds", "epoch_cpu_seconds", "predicted", "predict_seconds"),
                        run(train, test, tags, args)))

    rows = result_rows(run_isolated(args, SYSTEMS, work), lambda system, r: summarize(
        system, r["epoch_seconds"], r["epoch_cpu_seconds"], r["predicted"],
        r["predict_seconds"], train, test))
    base = next((r for r in rows if r["system"] != "kerasft"), None)
    if base:
        add_ratios(rows, base, {"speed_vs_torch": "steady_sentences_per_s",
                                "cpu_speed_vs_torch": "steady_sentences_per_cpu_s"}, 2)
        for r in rows:
            r["f1_vs_torch"] = round(r["test_f1"] - base["test_f1"], 2)
    report("ner_bench", args, rows,
           f"CoNLL-2003 NER, all-MiniLM-L6-v2, {len(train)} train sentences, "
           f"{len(test)} test sentences, seq {args.sequence_length}, {args.epochs} epochs, "
           f"batch {args.batch_size}, lr {args.learning_rate}",
           ["system", "train_seconds", "train_sentences_per_s",
            "steady_sentences_per_s", "speed_vs_torch",
            "steady_sentences_per_cpu_s", "cpu_speed_vs_torch", "predict_sentences_per_s",
            "test_precision", "test_recall", "test_f1", "f1_vs_torch"])


if __name__ == "__main__":
    main()
