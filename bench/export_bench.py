"""Export benchmark: a fine-tuned MiniLM classifier, every format x quantization.

Fine-tunes MiniLM-L6 on a slice of SST-2 (read by path from the shared data,
never copied), exports it with `kerasft.export.export_model` to SavedModel,
TFLite (fp32, float16, dynamic-range int8, mixed int8, strict int8, 16x8)
and ONNX (fp32, ORT dynamic int8), all in one `export_model` call, and reports per artifact: size MB, batch-1 latency p50/p95,
max |Δprob| and top-1 agreement against Keras, and accuracy on SST-2 dev.

Targets checked: dynamic-range int8 TFLite <= 30% of fp32 size with
accuracy within 1 point of Keras; TFLite int8 batch-1 latency no worse
than ONNX Runtime fp32.

    python bench/export_bench.py [--train 2000] [--epochs 1] [--held-out 872]
        [--data sst2|goemotions3|goemotions|conll] [--layers N] [--seed 0] [--aeq]

Also measured: dynamic-range int8 with per-tensor weight scales against the
default (per channel), and for mixed int8 the matmuls kept in 16x8 or float,
step by step; 16x8 is the export's `quantization="int16x8"` (every matmul
int8 weights, int16 activations; `--no-16x8` leaves it out: slow on CPUs).
With `--aeq`, in the same table and the same round-robin latency:
ai-edge-quantizer's dynamic int8 (matmuls only, embeddings float; and with
the logits float too) and weight-only int8. `--data goemotions` is the multi-label
GoEmotions (28 labels, `MultiLabelClassifier`, micro F1; agreement: the
whole set of predicted labels equal). `--data conll` is NER on CoNLL-2003
(`TokenClassifier`; `--train`/`--held-out` count sentences of train/valid;
agreement: per-token top-1 over real tokens; entity F1 with seqeval from
each `.tflite`'s outputs, see `bench/conll_export.py`).

Writes bench/results/export_bench.json (gitignored) and prints a table.
"""

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import conll_export  # noqa: E402
from common import data_path, print_table  # noqa: E402
from export_data import read  # noqa: E402


def fine_tune(args):
    import keras

    import kerasft

    keras.utils.set_random_seed(args.seed)  # the same model on every run
    train_texts, train_labels = read(args, "train", args.train)
    if args.data == "goemotions":  # multi-label: sigmoid per label, micro F1
        with open(data_path("goemotions", "labels.txt"), encoding="utf-8") as f:
            names = [line.strip() for line in f if line.strip()]
        task = kerasft.MultiLabelClassifier
    elif args.data != "conll":
        task, names = kerasft.TextClassifier, sorted(set(train_labels))
    if args.data == "conll":
        model = conll_export.build_model(train_labels, args)
    else:
        model = task.from_pretrained(
            "minilm-l6", labels=names, sequence_length=args.sequence_length,
            backbone_config={"num_layers": args.layers} if args.layers else None)
    model.compile(learning_rate=args.learning_rate)
    start = time.perf_counter()
    model.fit(train_texts, train_labels, epochs=args.epochs, batch_size=32, seed=0,
              verbose=2)
    if args.data == "conll":  # the gate and calibration take texts: words joined by spaces
        train_texts = [" ".join(words) for words in train_texts]
    return model, train_texts, time.perf_counter() - start


def interleaved_latency(directory, report, model, texts, repeats, extra=None):
    """Batch-1 latency of the TFLite and ONNX artifacts, measured round-robin
    (one text through each runtime in turn) so that load on a shared machine
    hits all of them alike."""
    import numpy as np

    from kerasft.export import runtimes
    from kerasft.export.spec import spec_for_model

    spec = spec_for_model(model)
    features = spec.encode(texts[:repeats])
    runners = {}
    for a in report["artifacts"]:
        path = os.path.join(directory, a["file"])
        if a["format"] == "tflite":
            runners[("tflite", a["quantization"])] = runtimes.TFLiteRunner(path, spec)
        elif a["format"] == "onnx":
            runners[("onnx", a["quantization"])] = runtimes.OnnxRunner(path, spec)
    for key, path in (extra or {}).items():
        runners[key] = runtimes.TFLiteRunner(path, spec)
    calls = {}
    for key, runner in runners.items():
        if key[0] == "tflite":
            run = runner._run
            calls[key] = lambda i, run=run: run(**{k: v[i:i + 1] for k, v in features.items()})
        else:
            session, names = runner._session, runner._inputs
            calls[key] = lambda i, s=session, n=names: s.run(
                None, {k: features[k][i:i + 1] for k in n})
    times = {key: [] for key in calls}
    for i in range(len(features["token_ids"])):
        for key, call in calls.items():
            start = time.perf_counter()
            call(i)
            times[key].append((time.perf_counter() - start) * 1000)
    return [{"format": f, "quantization": q,
             "latency_ms_p50": float(np.percentile(t[2:], 50)),
             "latency_ms_p95": float(np.percentile(t[2:], 95))}
            for (f, q), t in times.items()]


def dynamic_per_tensor(model, texts, labels, workdir, repeats):
    """Dynamic-range int8 with one weight scale per tensor (the export's
    `dynamic` uses TFLite's default, per output channel): agreement, its
    95% interval, accuracy, size and batch-1 latency."""
    from kerasft.export import runtimes, tflite
    from kerasft.export.parity import DEFAULT_THRESHOLDS, agreement_gate
    from kerasft.export.saved_model import export_fixed_saved_model
    from kerasft.export.spec import spec_for_model
    from kerasft.export.tflite_ops import precision_profile

    spec = spec_for_model(model)
    fixed, path = os.path.join(workdir, "fixed"), os.path.join(workdir, "per_tensor.tflite")
    export_fixed_saved_model(model, spec, fixed, 1)
    tflite.convert_saved_model(fixed, {"dynamic": path}, input_names=spec.input_names,
                               per_tensor=True)
    features = spec.encode(texts)
    reference = runtimes.KerasRunner(model, spec).predict(features)
    runner = runtimes.TFLiteRunner(path, spec)
    compared = spec.compare(reference, runner.predict(features), features)
    row = {"format": "tflite", "quantization": "dynamic per-tensor",
           "size_mb": os.path.getsize(path) / 1e6, **compared,
           **agreement_gate(compared["top1_agreement"], compared["compared"],
                            DEFAULT_THRESHOLDS["min_top1_agreement"]),
           **(spec.metric(runner.predict(features), labels) or {}),
           "path": path,
           **runner.latency(features, repeats),
           "precision": precision_profile(path)}
    return row


def aeq_variants(model, texts, labels, workdir, repeats):
    """TFLite variants built with ai-edge-quantizer from the fp32 `.tflite`,
    measured as the export's rows are: `dynamic AEQ` (int8 per-channel
    weights on the FULLY_CONNECTED matmuls only, embeddings and all else
    float, activations quantized on the fly), `dynamic AEQ, logits float`
    (the classifier's logits matmul left float too), `weight-only int8`
    (the same weights dequantized to float once: float compute). Returns
    `(rows, paths)`."""
    from kerasft.export import _tflite_mixed as mixed
    from kerasft.export import runtimes, tflite
    from kerasft.export.parity import DEFAULT_THRESHOLDS, agreement_gate
    from kerasft.export.saved_model import export_fixed_saved_model
    from kerasft.export.spec import spec_for_model
    from kerasft.export.tflite_ops import precision_profile

    spec = spec_for_model(model)
    fixed, fp32 = os.path.join(workdir, "fixed_aeq"), os.path.join(workdir, "fp32.tflite")
    export_fixed_saved_model(model, spec, fixed, 1)
    tflite.convert_saved_model(fixed, {"none": fp32}, input_names=spec.input_names)
    with open(fp32, "rb") as f:
        float_model = f.read()
    ops = mixed.matmuls(float_model)
    logits = [n for n, o in ops if mixed.group_of(n, o) == "logits"]
    builds = {"dynamic AEQ": lambda: mixed.quantize_with(float_model, mixed.dynamic_recipe(ops)),
              "dynamic AEQ, logits float": lambda: mixed.quantize_with(
                  float_model, mixed.dynamic_recipe(ops, logits)),
              "weight-only int8": lambda: mixed.quantize_with(
                  float_model, mixed.dynamic_recipe(ops, weight_only=True))}
    features = spec.encode(texts)
    reference = runtimes.KerasRunner(model, spec).predict(features)
    rows, paths = [], {}
    for name, build in builds.items():
        start = time.perf_counter()
        path = os.path.join(workdir, name.replace(" ", "_").replace(",", "") + ".tflite")
        with open(path, "wb") as f:
            f.write(build())
        seconds = time.perf_counter() - start
        runner = runtimes.TFLiteRunner(path, spec)
        outputs = runner.predict(features)
        compared = spec.compare(reference, outputs, features)
        rows.append({"format": "tflite", "quantization": name,
                     "size_mb": os.path.getsize(path) / 1e6, **compared,
                     **agreement_gate(compared["top1_agreement"], compared["compared"],
                                      DEFAULT_THRESHOLDS["min_top1_agreement"]),
                     **(spec.metric(outputs, labels) or {}),
                     **runner.latency(features, min(repeats, 30)),
                     "convert_seconds": round(seconds, 1),
                     "precision": precision_profile(path)})
        paths[("tflite", name)] = path
        print(f"  {name}: agreement {compared['top1_agreement']:.2%}, "
              f"{rows[-1]['size_mb']:.1f} MB, {seconds:.1f} s", flush=True)
    return rows, paths


def quantization_table(rows, report, per_tensor, extra=(), latency=None):
    """One line per TFLite quantization: agreement and its interval, the
    metric, size, batch-1 latency, int8 shares and ops kept in float."""
    artifacts = {a["quantization"]: a for a in report["artifacts"] if a["format"] == "tflite"}
    lines = []
    latency = latency or {}
    for r in ([r for r in rows if r["format"] == "tflite"] + ([per_tensor] if per_tensor else [])
              + list(extra)):
        artifact = artifacts.get(r["quantization"], {})
        precision = artifact.get("precision") or r.get("precision") or {}
        mixed = artifact.get("mixed_precision") or {}

        def share(kind, bits="int8", precision=precision):
            return precision.get(f"{bits}_{kind}_share", 0)
        ci = r.get("top1_agreement_ci")
        turn = latency.get(r["quantization"])  # measured in turn with the others
        metric = next((k for k in ("accuracy", "micro_f1", "entity_f1") if k in r), None)
        token_f1 = {"token F1": round(r["token_f1"], 4)} if "token_f1" in r else {}
        lines.append({
            "quantization": r["quantization"], "size MB": round(r["size_mb"], 2),
            "p50 ms": round((turn or r)["latency_ms_p50"], 2),
            "p95 ms": round((turn or r)["latency_ms_p95"], 2),
            "in turn": "yes" if turn else "no",
            "agree": f"{r['top1_agreement']:.2%}",
            "95% CI": f"{ci[0]:.2%}-{ci[1]:.2%}" if ci else "-",
            metric or "metric": round(r[metric], 4) if metric else "-", **token_f1,
            # int8_*_share counts every integer op; the 16x8 part is shown apart
            "int8 ops": f"{share('op') - share('op', 'int16'):.0%}",
            "int8 FLOPs": f"{share('flop') - share('flop', 'int16'):.0%}",
            "16x8 FLOPs": f"{share('flop', 'int16'):.0%}",
            "kept": (f"{len(mixed['kept'])} {mixed['kept_as']}" if mixed else ""),
            "gate": "pass" if r.get("passed") else "FAIL"})
    return lines


def check_targets(rows, duel):
    by = {(r["format"], r["quantization"]): r for r in rows}
    keras, out = by[("keras", "none")], {}
    fp32, dynamic = by.get(("tflite", "none")), by.get(("tflite", "dynamic"))
    metric = next((k for k in ("accuracy", "micro_f1", "entity_f1") if k in keras), None)
    if fp32 and dynamic and metric in keras:
        ratio = dynamic["size_mb"] / fp32["size_mb"]
        delta = abs(dynamic[metric] - keras[metric]) * 100
        out["dynamic_int8_size_ratio"] = round(ratio, 4)
        out["dynamic_int8_accuracy_delta_points"] = round(delta, 2)
        out["dynamic_int8_target_met"] = ratio <= 0.30 and delta <= 1.0
    by = {(r["format"], r["quantization"]): r for r in duel}
    onnx = by.get(("onnx", "none"))
    for q in ("dynamic", "int8"):
        lite = by.get(("tflite", q))
        if lite and onnx:
            out[f"tflite_{q}_p50_ms_vs_onnx_fp32"] = [round(lite["latency_ms_p50"], 2),
                                                       round(onnx["latency_ms_p50"], 2)]
            out[f"tflite_{q}_latency_target_met"] = (
                lite["latency_ms_p50"] <= onnx["latency_ms_p50"])
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=2000, help="SST-2 training texts")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--layers", type=int, default=None, help="truncate MiniLM")
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    parser.add_argument("--sequence-length", type=int, default=128)
    parser.add_argument("--held-out", type=int, default=872, help="SST-2 dev texts")
    parser.add_argument("--calibration", type=int, default=200, help="int8 calibration texts")
    parser.add_argument("--repeats", type=int, default=100, help="latency samples")
    parser.add_argument("--formats", default="saved_model,tflite,onnx")
    parser.add_argument("--quantization",
                        default="none,float16,dynamic,int8,int8_strict,int16x8")
    parser.add_argument("--data", default="sst2",
                        choices=("sst2", "goemotions3", "goemotions", "conll"))
    parser.add_argument("--aeq", action="store_true",
                        help="also measure ai-edge-quantizer dynamic int8 and weight-only "
                             "int8, in the same table")
    parser.add_argument("--no-16x8", action="store_true",
                        help="leave out int16x8 (slow on CPUs: ~25x fp32)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "results",
                                                      "export_bench.json"))
    parser.add_argument("--keep", help="keep the export in this directory")
    args = parser.parse_args()
    if args.no_16x8:
        args.quantization = ",".join(q for q in args.quantization.split(",") if q != "int16x8")

    sys.path.insert(0, ROOT)
    from kerasft.errors import ParityError
    from kerasft.export import export_model, format_table
    from kerasft.training.precision import float32_compute

    model, train_texts, fit_seconds = fine_tune(args)
    texts, labels = read(args, "dev", args.held_out)
    sentences = tags = keras_f1 = None
    if args.data == "conll":  # the gate: per-token agreement and token F1; entity F1 below
        sentences, tags = texts, labels
        texts = [" ".join(words) for words in sentences]
    # the metric's view of the labels (a token classifier's: tags on token positions)
    metric_labels = model.export_spec().align_labels(texts, labels) if sentences else labels
    workdir = tempfile.mkdtemp(prefix="kerasft-export-bench-")
    directory = args.keep or os.path.join(workdir, "export")
    start = time.perf_counter()
    try:
        report = export_model(
            model, directory, formats=args.formats.split(","),
            quantization=args.quantization.split(","), texts=texts, labels=labels,
            representative_texts=train_texts[:args.calibration],
            latency_repeats=args.repeats, overwrite=bool(args.keep), verbose=True)
    except ParityError as e:
        print(f"parity gate failed: {e}")
        with open(os.path.join(directory + ".failed", "export_report.json")) as f:
            report = json.load(f)
    export_seconds = time.perf_counter() - start
    rows = report["parity"]["rows"]
    exported = directory if report["passed"] else directory + ".failed"
    per_tensor, aeq_rows, aeq_paths = None, [], {}
    with float32_compute(model):  # as export_model does: the model may train in bfloat16
        if "dynamic" in args.quantization.split(",") and "tflite" in args.formats.split(","):
            per_tensor = dynamic_per_tensor(model, texts, metric_labels, workdir,
                                            args.repeats)
        if args.aeq:
            aeq_rows, aeq_paths = aeq_variants(model, texts, metric_labels, workdir,
                                               args.repeats)
        duel = interleaved_latency(exported, report, model, texts, args.repeats, aeq_paths)
        if sentences is not None:
            paths = {("tflite", a["quantization"]): os.path.join(exported, a["file"])
                     for a in report["artifacts"] if a["format"] == "tflite"}
            paths.update(aeq_paths)
            if per_tensor:
                paths[("tflite", per_tensor["quantization"])] = per_tensor["path"]
            keras_f1 = conll_export.add_entity_f1(model, sentences, tags,
                                       rows + ([per_tensor] if per_tensor else []) + aeq_rows,
                                       paths)
    table = quantization_table(rows, report, per_tensor, aeq_rows,
                               {r["quantization"]: r for r in duel if r["format"] == "tflite"})
    result = {
        "benchmark": "export_bench",
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version()},
        "model": {"backbone": "minilm-l6", "layers": args.layers or 6,
                  "train_texts": args.train, "epochs": args.epochs,
                  "fit_seconds": round(fit_seconds, 1)},
        "held_out_texts": len(texts), "export_seconds": round(export_seconds, 1),
        "passed": report["passed"], "notes": report["notes"],
        "tokenizer_parity": report.get("tokenizer_parity"),
        "rows": rows, "interleaved_latency": duel, "targets": check_targets(rows, duel),
        "data": args.data, "seed": args.seed, "keras_entity_f1": keras_f1, "load_average": os.getloadavg(),
        "quantization_table": table, "dynamic_per_tensor": per_tensor, "aeq": aeq_rows,
        "mixed_int8": next((a.get("mixed_precision") for a in report["artifacts"]
                            if a["quantization"] == "int8"), None),
        "dynamic_ladder": next((a.get("dynamic_ladder") for a in report["artifacts"]
                                if a["quantization"] == "dynamic"), None),
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2, ensure_ascii=False)
    print()
    print(format_table(rows))
    print("\ninterleaved batch-1 latency (ms):")
    for r in duel:
        print(f"  {r['format']:<7} {r['quantization']:<26} p50 {r['latency_ms_p50']:7.2f}"
              f"  p95 {r['latency_ms_p95']:7.2f}")
    print(json.dumps(result["targets"], indent=2))
    print(f"\nTFLite quantizations ({args.data}, {len(texts)} held-out texts, load average "
          f"{os.getloadavg()[0]:.2f}):")
    print_table(table, list(table[0]) if table else [])
    if keras_f1 is not None:
        print(f"Keras entity F1 (seqeval, the same {len(sentences)} sentences): {keras_f1:.4f}")
    if result["dynamic_ladder"]:
        print("\ndynamic int8 steps (candidate -> size, agreement, CI lower end):")
        for step in result["dynamic_ladder"]["steps"]:
            print(f"  {step['name']:<24} {step['size_mb']:6.1f} MB -> "
                  f"{step['top1_agreement']:.2%}, {step['top1_agreement_ci'][0]:.2%}"
                  + (" held" if step["held"] else ""))
    mixed = result["mixed_int8"]
    if mixed:
        print("\nmixed int8 steps (matmuls kept out of int8 -> agreement, CI lower end):")
        for step in mixed["steps"]:
            print(f"  {step['kept']:>4} {step['kept_as']:<5} -> {step['top1_agreement']:.2%}, "
                  f"{step['top1_agreement_ci'][0]:.2%}" + (" held" if step["held"] else ""))
        for op in mixed["kept"][:20]:
            print(f"  {op['kept_as']}: {op['op']:<16} {op['node'].split(';')[0][-70:]}"
                  f"  noise {op['noise']:.4f}")
    print(f"wrote {args.out}")
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
