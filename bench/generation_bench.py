"""On-device generation benchmark: per-token latency of a causal LM's
key/value-cache `.tflite` against the no-cache export, token 1..N.

Writes a random GPT-2 checkpoint (no real GPT-2 weights are available
offline; default 6 layers, hidden 512, 8 heads, 300-token BPE), loads it with
`kerasft.CausalLM.from_pretrained`, exports it with `formats=("tflite",)`
(`generate.tflite`: `prefill` + `decode` over a cache of `prompt + N`
slots; `model.tflite`: the fixed-length forward pass), and generates N
tokens greedily with the LiteRT runner's own model classes
(`export/run_litert_generate.py`):

- `cached`: `prefill` for token 1, then one `decode` call per token;
- `no_cache_fixed`: `model.tflite` as exported, the whole fixed-length
  window (`prompt + N` tokens, padded) for every token;
- `no_cache_resized`: the same forward pass converted with a dynamic
  sequence axis (`[1, None]`; the exported `model.tflite` has fixed
  reshapes and cannot be resized) and resized to the sequence so far before
  each step (LiteRT `resize_tensor_input`), so each step runs only the real
  prefix: the cost grows with the sequence.

The three run round-robin (one whole generation each in turn, `--repeats`
times) so that load from other processes hits them alike; per token the
median over repeats is reported. Single-threaded LiteRT by default (one
phone core; `--threads`).

    python bench/generation_bench.py [--tokens 256] [--repeats 3]
    python bench/generation_bench.py --tokens 24     # a 32-slot cache (1.5 min)

About 6 minutes on this project's 2 shared CPU cores (load average 5).
Writes bench/results/generation_bench.json and prints a table.
"""

import argparse
import importlib.util
import os
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The runner imports export/common.py as `common`; bench/common.py is loaded
# under another name.
sys.path.insert(0, os.path.join(ROOT, "export"))
sys.path.insert(0, os.path.join(ROOT, "tests"))
_spec = importlib.util.spec_from_file_location(
    "bench_common", os.path.join(os.path.dirname(os.path.abspath(__file__)), "common.py"))
bench_common = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_common)
load_average, print_table, write_results = (bench_common.load_average, bench_common.print_table,
                                            bench_common.write_results)
from run_litert_generate import FullModel  # export/ is on the path above

SHOWN = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


class ResizedFullModel(FullModel):
    """A forward-pass `.tflite` with a dynamic sequence axis, resized to the
    real sequence before each step: the no-cache cost without padding
    (`prefill`/`step` as the runner's `FullModel`)."""

    def __init__(self, path, num_threads=None):  # noqa: PLW0231  (own interpreter setup)
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(model_path=path, num_threads=num_threads)
        self.inputs = {d["name"]: d["index"] for d in self.interpreter.get_input_details()}
        self.output = self.interpreter.get_output_details()[0]["index"]
        self.ids, self.length = [], None

    def _last_logits(self):
        n = len(self.ids)
        if n != self.length:
            for index in self.inputs.values():
                self.interpreter.resize_tensor_input(index, [1, n], strict=False)
            self.interpreter.allocate_tensors()
            self.length = n
        for name, index in self.inputs.items():
            value = self.ids if "token_ids" in name else [1] * n
            self.interpreter.set_tensor(index, np.asarray([value], "int32"))
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.output)[0, -1]


def timed_generation(model, prompt, tokens):
    """Greedy `tokens` tokens; returns (ids, per-token milliseconds)."""
    times, ids = [], []
    start = time.perf_counter()
    logits = model.prefill(prompt)
    times.append(time.perf_counter() - start)
    for i in range(tokens - 1):
        ids.append(int(np.argmax(logits)))
        start = time.perf_counter()
        logits = model.step(ids[-1], len(prompt) + i)
        times.append(time.perf_counter() - start)
    ids.append(int(np.argmax(logits)))
    return ids, [1000 * t for t in times]


def export(args, work):
    import keras
    from fixtures_hf import write_gpt2_checkpoint

    import kerasft

    checkpoint = os.path.join(work, "gpt2")
    write_gpt2_checkpoint(checkpoint, n_layer=args.layers, n_embd=args.hidden,
                          n_head=args.heads, n_positions=args.prompt + args.tokens)
    keras.utils.set_random_seed(0)
    length = args.prompt + args.tokens
    model = kerasft.CausalLM.from_pretrained(checkpoint, sequence_length=length)
    directory = os.path.join(work, "export")
    start = time.perf_counter()
    report = model.export(directory, formats=("tflite",), cache_length=length,
                          texts=["one two three four"], latency_repeats=2, verbose=False)
    seconds = time.perf_counter() - start
    prompt = model.export_spec().prompt_ids(["one two three four five six seven"])[0]
    dynamic = os.path.join(work, "dynamic.tflite")
    write_dynamic_forward(model, os.path.join(work, "dynamic"), dynamic)
    return directory, report, seconds, prompt[:args.prompt], dynamic


def write_dynamic_forward(model, saved_model, path):
    """The forward pass as a `.tflite` with a `[1, None]` sequence axis
    (kerasft's converter child process, builtin ops)."""
    import tensorflow as tf
    from keras.export import ExportArchive

    from kerasft.export.tflite import convert_saved_model

    archive = ExportArchive()
    archive.track(model)
    archive.add_endpoint("serving_default", lambda features: {"logits": model(
        features, training=False)}, input_signature=[{
            name: tf.TensorSpec([1, None], tf.int32, name=name)
            for name in ("token_ids", "padding_mask")}])
    archive.write_out(saved_model, verbose=False)
    convert_saved_model(saved_model, {"none": path})


def curve_row(name, per_token):
    decode = per_token[1:]
    quarter = max(1, len(decode) // 4)
    slope = float(np.polyfit(np.arange(2, len(per_token) + 1), decode, 1)[0]) if len(
        decode) > 1 else 0.0
    return {"model": name, "token_1_ms": per_token[0],
            "decode_mean_ms": float(np.mean(decode)),
            "first_quarter_ms": float(np.mean(decode[:quarter])),
            "last_quarter_ms": float(np.mean(decode[-quarter:])),
            "last_over_first": float(np.mean(decode[-quarter:]) / np.mean(decode[:quarter])),
            "slope_us_per_token": 1000 * slope}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=256, help="new tokens N")
    parser.add_argument("--prompt", type=int, default=8, help="prompt tokens")
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--hidden", type=int, default=512)
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    from kerasft.decoding.generation import LiteRTGeneration

    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="generation-bench-") as work:
        directory, report, export_seconds, prompt, dynamic = export(args, work)
        sizes = {a["file"]: a["size_bytes"] for a in report["artifacts"]}
        pad = 0
        models = {
            "cached": LiteRTGeneration(os.path.join(directory, "generate.tflite"), pad,
                                       args.threads),
            "no_cache_fixed": FullModel(os.path.join(directory, "model.tflite"), pad,
                                        args.threads),
            "no_cache_resized": ResizedFullModel(dynamic, args.threads),
        }
        runs = {name: [] for name in models}
        outputs = {}
        for _ in range(args.repeats + 1):  # the first round warms up
            for name, model in models.items():
                ids, per_token = timed_generation(model, prompt, args.tokens)
                runs[name].append(per_token)
                outputs[name] = ids
        curves = {name: np.median(np.asarray(r[1:]), axis=0).tolist() for name, r in runs.items()}
    same = {name: outputs[name] == outputs["cached"] for name in outputs}
    load_after = load_average()

    rows = [{"token": t, **{f"{name}_ms": curves[name][t - 1] for name in curves},
             "fixed_over_cached": curves["no_cache_fixed"][t - 1] / curves["cached"][t - 1],
             "resized_over_cached": curves["no_cache_resized"][t - 1] / curves["cached"][t - 1]}
            for t in SHOWN if t <= args.tokens]
    summary = [curve_row(name, curves[name]) for name in curves]
    print(f"\nPer-token latency (ms, median of {args.repeats}), random GPT-2 "
          f"{args.layers} layers x {args.hidden}, prompt {len(prompt)} tokens, "
          f"{args.threads} LiteRT thread(s); load average {load_before} -> {load_after}")
    print_table(rows, list(rows[0]))
    print("\nToken 1 is prefill (cached) or the first full pass; decode_* over tokens 2..N.")
    print_table(summary, list(summary[0]))
    print(f"\nSame greedy tokens as the cached run: {same}")
    print(f"Sizes: {sizes}; export {export_seconds:.1f} s")
    write_results("generation_bench", {
        "args": vars(args), "load_average": [load_before, load_after],
        "prompt_tokens": len(prompt), "sizes": sizes, "export_seconds": export_seconds,
        "same_tokens": same, "generation_parity": next(
            a["generation_parity"] for a in report["artifacts"] if a.get("role")),
        "rows": rows, "summary": summary, "curves": curves})


if __name__ == "__main__":
    main()
