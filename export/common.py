"""Shared helpers of the standalone runners: read an export, tokenize, run
the task's decoding, print.

Needs only the Python standard library, numpy and `tokenizers` - never
TensorFlow or kerasft - so the runners show what a deployment needs. The
NER and QA decoding comes from the numpy-only module the export ships
(`ner_decoding.py`, `qa_decoding.py`, named in `export_config.json`).
"""

import argparse
import importlib.util
import json
import os
import sys


def read_export(directory):
    """Returns `(config, labels)` of a kerasft export directory."""
    path = os.path.join(directory, "export_config.json")
    if not os.path.isfile(path):
        sys.exit(f"error: {directory} is not a kerasft export (no export_config.json).")
    with open(path, encoding="utf-8") as f:
        config = json.load(f)
    labels = None
    if config.get("labels_file"):
        with open(os.path.join(directory, config["labels_file"]), encoding="utf-8") as f:
            labels = json.load(f)
    return config, labels


def artifact(directory, config, fmt, file=None, quantization="none"):
    """Path of the artifact to run: `file`, or the one of `quantization`."""
    if file:
        return os.path.join(directory, file)
    for entry in config["artifacts"]:
        if entry["format"] == fmt and entry["quantization"] == quantization:
            return os.path.join(directory, entry["file"])
    found = [a["file"] for a in config["artifacts"] if a["format"] == fmt]
    sys.exit(f"error: no {fmt} artifact with quantization {quantization!r} in "
             f"{directory}; found {found or 'none'}.")


def plain_tokenizer(directory, config):
    """The export's Hugging Face fast tokenizer, without truncation or padding."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(os.path.join(directory, config["tokenizer"]["file"]))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def load_tokenizer(directory, config, length=None):
    """The Hugging Face fast tokenizer, truncating (and padding) to `length`."""
    tokenizer = plain_tokenizer(directory, config)
    tokenizer.enable_truncation(max_length=config["sequence_length"])
    pad = config["tokenizer"]["pad_token_id"]
    if length:
        tokenizer.enable_padding(length=length, pad_id=pad)
    else:
        tokenizer.enable_padding(pad_id=pad)
    return tokenizer


def features(tokenizer, texts, names):
    """int32 `[n, length]` model inputs by name."""
    import numpy as np

    encodings = tokenizer.encode_batch(list(texts))  # (first, second) tuples are pairs
    columns = {
        "token_ids": [e.ids for e in encodings],
        "segment_ids": [e.type_ids for e in encodings],
        "padding_mask": [e.attention_mask for e in encodings],
    }
    return {name: np.asarray(columns[name], dtype="int32") for name in names}


def load_decoding(directory, config):
    """Imports the numpy-only decoding module shipped in the export."""
    name = config.get("decoding_module")
    if not name:
        sys.exit(f"error: the {config['task']} export in {directory} names no decoding module.")
    spec = importlib.util.spec_from_file_location(name[:-3], os.path.join(directory, name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pad_windows(windows, length, pad_id, padding_side="right"):
    """Per-window id lists -> dict of int32 `[n, length]` model inputs."""
    import numpy as np

    out = {}
    for name, key, pad in (("token_ids", "token_ids", pad_id),
                           ("segment_ids", "type_ids", 0),
                           ("padding_mask", "padding_mask", 0)):
        dense = np.full((len(windows[key]), length), pad, dtype="int32")
        for i, row in enumerate(windows[key]):
            if padding_side == "left":
                dense[i, length - len(row):] = row
            else:
                dense[i, :len(row)] = row
        out[name] = dense
    return out


def predict(args, texts, config, labels, forward, length=None):
    """Runs the export's task on `texts` and prints the answers.

    Args:
        args: the parsed command line (`export_dir`, `json`, `question`,
            `pairs`).
        texts: list of str (contexts for question answering).
        config: `export_config.json`; labels: `labels.json` (or None).
        forward: callable. dict of int32 `[n, L]` inputs -> dict of output
            name -> numpy array `[n, ...]`.
        length: int or None. The artifact's fixed sequence length (TFLite);
            None pads each batch to its longest text (ONNX).

    Returns:
        list of result dicts (what `--json` prints).
    """
    task = config["task"]
    settings = config.get("task_config") or {}
    fixed = length or config["sequence_length"]
    pad_id = config["tokenizer"]["pad_token_id"]
    if task == "token_classifier":
        decoding = load_decoding(args.export_dir, config)
        tokenizer = plain_tokenizer(args.export_dir, config)
        results = [{"text": text, "entities": decoding.predict_entities(
            text, tokenizer, lambda feed: forward(feed)[config["outputs"][0]], labels, fixed,
            overlap=settings.get("window_overlap"), pad_id=pad_id,
            padding_side=settings.get("padding_side", "right"))} for text in texts]
        return _print(results, args.json, lambda r: "\t".join(
            [r["text"]] + [f"{e['type']}:{e['text']}@{e['start']}-{e['end']}"
                           for e in r["entities"]]))
    if task == "question_answerer":
        if not args.question:
            sys.exit("error: a question answering export needs --question (the texts are "
                     "the contexts).")
        decoding = load_decoding(args.export_dir, config)
        tokenizer = plain_tokenizer(args.export_dir, config)
        windows = decoding.window_encodings(
            tokenizer, [args.question] * len(texts), texts, fixed, settings["doc_stride"],
            settings["max_question_length"])
        outputs = forward(_pad_windows(windows, fixed, pad_id))
        answers = decoding.decode_answers(
            list(outputs["start_logits"]), list(outputs["end_logits"]), windows["offsets"],
            windows["context_mask"], windows["example_index"], texts,
            n_best_size=settings["n_best_size"], max_answer_length=settings["max_answer_length"],
            version_2_with_negative=settings["version_2_with_negative"],
            null_score_diff_threshold=settings["null_score_diff_threshold"],
            cls_index=decoding.cls_indices(windows["token_ids"],
                                           settings.get("cls_position", "first")))
        results = [{"question": args.question, "context": c, **a}
                   for c, a in zip(texts, answers)]
        return _print(results, args.json,
                      lambda r: f"{r['answer']}\t{r['score']:.4f}\t{r['context']}")
    tokenizer = load_tokenizer(args.export_dir, config, length=length)
    inputs = features(tokenizer, texts, config["inputs"])
    scores = forward(inputs)[config["outputs"][0]]
    if task == "multi_label_classifier":
        thresholds = settings["thresholds"]
        results = [{"text": _show_text(t),
                    "labels": [n for n, p, c in zip(labels, row, thresholds) if p >= c],
                    "scores": {n: float(p) for n, p in zip(labels, row)}}
                   for t, row in zip(texts, scores)]
        return _print(results, args.json, lambda r: f"{','.join(r['labels'])}\t{r['text']}")
    if task == "text_regressor":
        names = settings["target_names"]
        results = [{"text": _show_text(t),
                    "predictions": {n: float(v) for n, v in zip(names, row)}}
                   for t, row in zip(texts, scores)]
        return _print(results, args.json, lambda r: "\t".join(
            [f"{v:.4f}" for v in r["predictions"].values()] + [r["text"]]))
    return show([_show_text(t) for t in texts], scores, labels, args.json)


def _show_text(text):
    return "\t".join(text) if isinstance(text, tuple) else text


def _print(results, as_json, line):
    if as_json:
        print(json.dumps(results, ensure_ascii=False, default=float))
    else:
        for r in results:
            print(line(r))
    return results


def parse_args(description, with_quantization=True):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("export_dir", help="a directory written by kerasft export")
    parser.add_argument("texts", nargs="*", help="texts to classify")
    parser.add_argument("--file", help="read texts from this file, one per line")
    parser.add_argument("--model", help="artifact file inside export_dir to run")
    if with_quantization:
        parser.add_argument("--quantization", default="none",
                            help="which exported quantization to run (default: none)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--question", help="question answering exports: the question to ask "
                                           "(the texts are the contexts)")
    parser.add_argument("--pairs", action="store_true",
                        help="sentence-pair models: each text is FIRST<TAB>SECOND")
    args = parser.parse_intermixed_args()  # texts may follow --question
    texts = list(args.texts)
    if args.file:
        with open(args.file, encoding="utf-8") as f:
            texts += [line.rstrip("\n") for line in f if line.strip()]
    if not texts:
        parser.error("give texts as arguments or with --file")
    if args.pairs:
        bad = [t for t in texts if "\t" not in t]
        if bad:
            parser.error(f"--pairs: expected FIRST<TAB>SECOND, got {bad[0]!r}")
        texts = [tuple(t.split("\t", 1)) for t in texts]
    return args, texts


def show(texts, scores, labels, as_json):
    """Prints one prediction per text: label, score, text (or JSON)."""
    results = []
    for text, row in zip(texts, scores):
        names = labels or [str(i) for i in range(len(row))]
        best = max(range(len(row)), key=lambda i: row[i])
        results.append({"text": text, "label": names[best],
                        "scores": {n: float(s) for n, s in zip(names, row)}})
    if as_json:
        print(json.dumps(results, ensure_ascii=False))
    else:
        for r in results:
            print(f"{r['label']}\t{r['scores'][r['label']]:.4f}\t{r['text']}")
    return results
