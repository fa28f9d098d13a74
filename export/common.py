"""Shared helpers of the standalone runners: read an export, tokenize, print.

Needs only the Python standard library, numpy and `tokenizers` - never
TensorFlow or kerasft - so the runners show what a deployment needs.
"""

import argparse
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


def load_tokenizer(directory, config, length=None):
    """The Hugging Face fast tokenizer, truncating (and padding) to `length`."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(os.path.join(directory, config["tokenizer"]["file"]))
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

    encodings = tokenizer.encode_batch(list(texts))
    columns = {
        "token_ids": [e.ids for e in encodings],
        "segment_ids": [e.type_ids for e in encodings],
        "padding_mask": [e.attention_mask for e in encodings],
    }
    return {name: np.asarray(columns[name], dtype="int32") for name in names}


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
    args = parser.parse_args()
    texts = list(args.texts)
    if args.file:
        with open(args.file, encoding="utf-8") as f:
            texts += [line.rstrip("\n") for line in f if line.strip()]
    if not texts:
        parser.error("give texts as arguments or with --file")
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
