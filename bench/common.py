"""Shared helpers of the benchmark scripts: timing, tables, JSON results."""

import argparse
import functools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import keras

RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def data_path(*parts):
    """A path in the external benchmark data: `KERASFT_TEST_DATA` if set, else
    ../shared/data beside the checkout (read in place, never copied)."""
    root = os.environ.get("KERASFT_TEST_DATA") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")
    path = os.path.join(os.path.abspath(root), *parts)
    if not os.path.exists(path):
        sys.exit(f"error: {path} not found. Set KERASFT_TEST_DATA=DIR to the folder that "
                 "holds the benchmark data sets, or put it at ../shared/data.")
    return path


class EpochTimer(keras.callbacks.Callback):
    """Wall time and process CPU time of each training epoch.

    CPU seconds (all threads of this process) are the fairer measure on a
    shared machine: other processes stretch wall time, not our CPU time.
    """

    def on_train_begin(self, logs=None):
        self.epoch_seconds = []
        self.epoch_cpu_seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        self._cpu = time.process_time()

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_seconds.append(time.perf_counter() - self._start)
        self.epoch_cpu_seconds.append(time.process_time() - self._cpu)


def load_average():
    return round(os.getloadavg()[0], 2)


def steal_seconds():
    """CPU seconds the hypervisor gave to other guests (all CPUs), from
    /proc/stat; None where there is none. On a VM, wall time stretched by
    a busy host shows here, not in the load average."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = f.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def print_table(rows, columns):
    widths = [max(len(str(c)), *(len(_fmt(r.get(c))) for r in rows)) for c in columns]
    line = "  ".join(str(c).ljust(w) for c, w in zip(columns, widths))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(_fmt(r.get(c)).ljust(w) for c, w in zip(columns, widths)))


def _fmt(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def write_results(name, payload):
    os.makedirs(RESULTS_DIR, exist_ok=True)
    payload = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                           "keras": keras.__version__}, **payload}
    path = os.path.join(RESULTS_DIR, f"{name}.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(payload, f, indent=2)
    print(f"\nResults written to {path}")
    return path


def add_training_arguments(parser, *, epochs, batch_size, sequence_length=128,
                           learning_rate=1e-4, seed=42):
    """The fine-tuning flags every comparison shares, with this bench's
    defaults: --epochs, --batch-size, --sequence-length, --learning-rate,
    --seed."""
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--batch-size", type=int, default=batch_size)
    parser.add_argument("--sequence-length", type=int, default=sequence_length)
    parser.add_argument("--learning-rate", type=float, default=learning_rate)
    parser.add_argument("--seed", type=int, default=seed)


def add_ratios(rows, base, ratios, digits):
    """`row[new] = row[key] / base[key]` (rounded) in every row, for each
    `new: key` of `ratios`: speeds relative to a baseline row."""
    for row in rows:
        for new, key in ratios.items():
            row[new] = round(row[key] / base[key], digits)


def report(name, args, rows, title, columns, **extra):
    """The end of a comparison: the title line, the table of `columns`, and
    bench/results/NAME.json with the arguments, any `extra` keys and every
    row."""
    print(f"\n{title}")
    print_table(rows, columns)
    write_results(name, {"args": vars(args), **extra, "rows": rows})


# --- One process per system -------------------------------------------------
#
# TensorFlow and PyTorch in one process share (and fight over) threads and
# memory, and the second system runs on a heap the first one fragmented. Each
# system therefore runs in its own Python process: the script re-runs itself
# with `--worker SYSTEM --out FILE`, the worker writes a JSON result, and the
# parent collects the rows.


def add_system_arguments(parser, systems):
    """`--systems a,b` (subset to run, to rerun one row) and the hidden
    worker flags."""
    parser.add_argument("--systems", default=",".join(systems),
                        help=f"comma-separated subset of {','.join(systems)}")
    parser.add_argument("--skip-torch", action="store_true",
                        help="run kerasft only (same as --systems kerasft)")
    parser.add_argument("--worker", choices=systems, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)


def selected_systems(args, systems):
    wanted = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = sorted(set(wanted) - set(systems))
    if unknown:
        raise SystemExit(f"--systems: unknown {unknown}; choose from {list(systems)}")
    if args.skip_torch:
        wanted = [s for s in wanted if s == "kerasft"]
    return [s for s in systems if s in wanted]


def run_isolated(args, systems, work):
    """Runs `work(system) -> dict` for every selected system, each in a fresh
    Python process; returns `[(system, result), ...]` in the parent.

    In a worker process (`--worker`), runs `work` once, writes its result
    (plus wall seconds, the load average before/after and the CPU seconds
    stolen by the hypervisor meanwhile) to `--out` and exits.
    """
    if args.worker:
        start, load, steal = time.perf_counter(), load_average(), steal_seconds()
        result = work(args.worker)
        result["wall_seconds"] = round(time.perf_counter() - start, 1)
        result["load_average"] = f"{load}->{load_average()}"
        if steal is not None:
            result["steal_seconds"] = round(steal_seconds() - steal, 1)
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(result, f, default=_jsonable)
        sys.exit(0)
    results = []
    script = os.path.abspath(sys.modules["__main__"].__file__)
    for system in selected_systems(args, systems):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "result.json")
            print(f"--- {system} (own process)", flush=True)
            subprocess.run([sys.executable, script, *sys.argv[1:], "--worker", system,
                            "--out", out], check=True)
            with open(out, encoding="utf-8") as f:
                results.append((system, json.load(f)))
    return results


def result_rows(results, summarize):
    """One table row per `(system, result)` of `run_isolated`:
    `summarize(system, result)` plus the worker's load average, each printed
    as it comes."""
    rows = []
    for system, result in results:
        row = summarize(system, result)
        row["load_average"] = result["load_average"]
        print(row, flush=True)
        rows.append(row)
    return rows


# The sentence-head comparisons (multi-label, regression): kerasft, the
# transformers model with its standard head, and kerasft's head rebuilt in
# PyTorch (`run_torch(..., head="mean")`), which separates recipe from library.
HEAD_SYSTEMS = ("kerasft", "torch-standard", "torch-kerasft-head")
HEAD_NAMES = {"kerasft": "kerasft", "torch-standard": "transformers+torch (standard head)",
              "torch-kerasft-head": "transformers+torch (kerasft head)"}


def head_runner(system, run_kerasft, run_torch):
    """The function that trains and predicts for one of `HEAD_SYSTEMS`."""
    return {"kerasft": run_kerasft, "torch-standard": run_torch,
            "torch-kerasft-head": functools.partial(run_torch, head="mean")}[system]


HEAD_SPEED_COLUMNS = ["system", "train_seconds", "train_examples_per_s",
                      "train_examples_per_cpu_s", "predict_examples_per_s"]


def head_speed_row(system, result, train_examples, predict_examples):
    """The speed columns of a sentence-head comparison row, from a worker's
    `seconds`, `cpu` and `predict_seconds`; `train_examples` counts every
    epoch."""
    return {"system": HEAD_NAMES[system], "train_seconds": round(result["seconds"], 1),
            "train_examples_per_s": round(train_examples / result["seconds"], 2),
            "train_cpu_seconds": round(result["cpu"], 1),
            "train_examples_per_cpu_s": round(train_examples / result["cpu"], 2),
            "predict_examples_per_s": round(predict_examples / result["predict_seconds"], 1)}


def _jsonable(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


# --- The PyTorch peers' shared pieces ----------------------------------------


def torch_optimizer(model, learning_rate, steps, warmup_ratio=0.1, weight_decay=0.01):
    """AdamW (no decay on biases and LayerNorm) with linear warmup then linear
    decay: the recipe kerasft's `compile()` uses."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    no_decay = ("bias", "LayerNorm.weight")
    groups = [
        {"params": [p for n, p in model.named_parameters() if not n.endswith(no_decay)],
         "weight_decay": weight_decay},
        {"params": [p for n, p in model.named_parameters() if n.endswith(no_decay)],
         "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=learning_rate)
    schedule = get_linear_schedule_with_warmup(optimizer, int(warmup_ratio * steps), steps)
    return optimizer, schedule


def torch_step(model, loss, optimizer, schedule, clipnorm=1.0):
    """One update with kerasft's default gradient clipping (global norm 1.0)."""
    import torch

    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clipnorm)
    optimizer.step()
    schedule.step()
    optimizer.zero_grad()


def torch_fit(model, num_examples, batch_loss, args, log=None):
    """Fine-tunes `model` for `args.epochs` epochs of shuffled batches of
    `args.batch_size` example indices: `batch_loss(indices)` (a list) gives a
    batch's loss, `torch_optimizer` and `torch_step` do the update. Returns
    the wall and the CPU seconds of each epoch's batches; `log(epoch_seconds,
    loss)`, if given, after each epoch with the last batch's loss."""
    import torch

    steps = args.epochs * -(-num_examples // args.batch_size)
    optimizer, schedule = torch_optimizer(model, args.learning_rate, steps)
    epoch_seconds, epoch_cpu_seconds = [], []
    for _ in range(args.epochs):
        model.train()
        order = torch.randperm(num_examples).tolist()
        start, cpu = time.perf_counter(), time.process_time()
        for b in range(0, num_examples, args.batch_size):
            loss = batch_loss(order[b:b + args.batch_size])
            torch_step(model, loss, optimizer, schedule)
        epoch_seconds.append(time.perf_counter() - start)
        epoch_cpu_seconds.append(time.process_time() - cpu)
        if log:
            log(epoch_seconds, loss)
    return epoch_seconds, epoch_cpu_seconds


def torch_predict(model, num_examples, outputs, batch_size=64):
    """`outputs(start, stop)` (a numpy array) for each batch of examples, in
    eval mode without gradients; returns the batches concatenated and the
    seconds taken."""
    import numpy as np
    import torch

    model.eval()
    start = time.perf_counter()
    with torch.no_grad():
        batches = [outputs(i, i + batch_size) for i in range(0, num_examples, batch_size)]
    return np.concatenate(batches), time.perf_counter() - start


def torch_mean_pooling_model(directory, num_outputs):
    """kerasft's sentence head in PyTorch: masked mean of the token vectors,
    dropout 0.1, one Linear layer (no pooler)."""
    import torch
    from transformers import AutoModel

    class MeanPooling(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = AutoModel.from_pretrained(directory, add_pooling_layer=False)
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, num_outputs)

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            states = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(states.dtype)
            pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return self.head(self.dropout(pooled))

    return MeanPooling()
