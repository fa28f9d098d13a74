"""Shared helpers of the standalone runners: read an export, tokenize, run
the task's decoding, print.

Needs only the Python standard library, numpy and `tokenizers` - never
TensorFlow or kerasft - so the runners show what a deployment needs. Every
export ships its task's numpy-only decoding module (`classification.py`,
`multi_label.py`, `regression.py`, `ner.py`, `qa.py`, copied from
`kerasft/decoding/` and named in `export_config.json`); the runners load it
and call its `decode` (and `prepare` for windowed tasks), so they answer
with the code Keras' `predict_records` runs. Embedding exports
(`embedding.py`) print vectors, or with `--query` rank the texts by cosine
similarity with `embedding.rank`, the code of `TextEmbedder.search`.
"""

import argparse
import importlib.util
import json
import os
import re
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
        sys.exit(f"error: the {config['task']} export in {directory} names no decoding "
                 "module (export_config.json: decoding_module); re-export it.")
    spec = importlib.util.spec_from_file_location(name[:-3], os.path.join(directory, name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def decoding_config(config, labels):
    """The export's `task_config`, with the label names of `labels.json`
    where it lacks them."""
    task_config = dict(config.get("task_config") or {})
    if labels is not None:
        task_config.setdefault("labels", labels)
    return task_config


def predict(args, texts, config, labels, forward, length=None):
    """Runs the export's task on `texts` and prints the answers.

    Tokenizes (the decoding module's `prepare` where one text becomes
    several windows), runs `forward`, and decodes with the module's
    `decode`: the code `predict_records` runs in kerasft.

    Args:
        args: the parsed command line (`export_dir`, `json`, `question`).
        texts: list of str or `(first, second)` tuples (contexts for
            question answering).
        config: `export_config.json`; labels: `labels.json` (or None).
        forward: callable. dict of int32 `[n, L]` inputs -> dict of output
            name -> numpy array `[n, ...]`.
        length: int or None. The artifact's fixed sequence length (TFLite);
            None pads each batch to its longest text (ONNX; windows always
            have the export's sequence length).

    Returns:
        list of result dicts (what `--json` prints): the decoded record
        with the input's fields (`text`, or `question` and `context`).
    """
    decoding = load_decoding(args.export_dir, config)
    if not hasattr(decoding, "decode"):  # generation.py drives a loop instead
        sys.exit(f"error: the {config['task']} export in {args.export_dir} generates text; "
                 "run it with export/run_litert_generate.py.")
    task_config = decoding_config(config, labels)
    if getattr(args, "explain", False):
        return explain_occlusion(args, texts, config, labels, forward, length, decoding)
    inputs = texts
    echoes = [{"text": _show_text(t)} for t in texts]
    if getattr(args, "query", None):
        inputs = [args.query] + list(texts)  # row 0 is the query
        echoes = [{"text": t} for t in inputs]
    if "question" in decoding.INPUT_FIELDS:
        if not args.question:
            sys.exit(f"error: a {config['task']} export needs --question (the texts are the "
                     "contexts).")
        inputs = [(args.question, t) for t in texts]
        echoes = [{"question": args.question, "context": t} for t in texts]
    state = None
    if decoding.WINDOWED:
        feed, state = decoding.prepare(
            inputs, plain_tokenizer(args.export_dir, config), task_config,
            length or config["sequence_length"], pad_id=config["tokenizer"]["pad_token_id"])
    else:
        tokenizer = load_tokenizer(args.export_dir, config, length=length)
        feed = features(tokenizer, inputs, config["inputs"])
    rows = len(next(iter(feed.values())))
    outputs = forward(feed) if rows else {name: [] for name in config["outputs"]}
    records = decoding.decode(outputs, task_config, state)
    if getattr(args, "query", None):
        return print_ranking(args, texts, [r["embedding"] for r in records], decoding)
    results = [{**echo, **record} for echo, record in zip(echoes, records)]
    return print_results(results, args.json, decoding.format_record)


def print_ranking(args, texts, vectors, decoding):
    """`--query`: ranks `texts` by the cosine of their vectors (`vectors[1:]`)
    with the query's (`vectors[0]`), through the export's decoding module
    (`embedding.rank`, what `TextEmbedder.search` runs); prints the top
    `--top-k` as `{"query", "index", "text", "score"}`."""
    if not hasattr(decoding, "rank"):
        sys.exit("error: --query ranks texts with an embedding export (text_embedder); "
                 "this export has no ranking.")
    ranked = decoding.rank(vectors[0], vectors[1:], args.top_k)
    results = [{"query": args.query, "index": i, "text": texts[i], "score": score}
               for i, score in ranked]
    return print_results(results, args.json, decoding.format_record)


# Words as kerasft.decoding.ner.split_words cuts them (kerasft's explanations).
WORD_PATTERN = re.compile(
    r"(?:[^\W\d_]\.){2,}|\d+(?:[.,:/]\d+)+|\w+(?:[-'\u2019]\w+)*|[^\w\s]", re.UNICODE)


def occlusion_scores(texts, score):
    """Word scores by occlusion, numpy only: each word is deleted from the
    text in turn and `score` re-run; a word's score is how much the output
    falls without it.

    Args:
        texts: list of str.
        score: callable. list of str -> float array `[n]`, the output to
            explain (for example the probability of the predicted label).

    Returns:
        list (per text) of dicts `{"output", "words": [{"word", "start",
        "end", "score"}]}` with `text[start:end] == word`.
    """
    import numpy as np

    results = []
    for text in texts:
        spans = [(m.start(), m.end()) for m in WORD_PATTERN.finditer(text)]
        variants = [text] + [" ".join((text[:s].rstrip(), text[e:].lstrip())).strip() or " "
                             for s, e in spans]
        values = np.asarray(score(variants), dtype="float64")
        results.append({"output": float(values[0]), "words": [
            {"word": text[s:e], "start": s, "end": e, "score": float(values[0] - v)}
            for (s, e), v in zip(spans, values[1:])]})
    return results


def explain_occlusion(args, texts, config, labels, forward, length=None, decoding=None):
    """`--explain`: occlusion word scores of a classification or regression
    export toward its predicted label (or each text's first value)."""
    import numpy as np

    if getattr(decoding, "WINDOWED", False) or any(isinstance(t, tuple) for t in texts):
        sys.exit(f"error: --explain covers single-text classification and regression "
                 f"exports. Received: a {config['task']} export"
                 f"{' with sentence pairs' if texts and isinstance(texts[0], tuple) else ''}"
                 ". Explain it in Python with model.explain(..., method='occlusion').")
    tokenizer = load_tokenizer(args.export_dir, config, length=length)
    name = config["outputs"][0]
    results = []
    for text in texts:
        first = np.asarray(forward(features(tokenizer, [text], config["inputs"]))[name])[0]
        index = int(np.argmax(first)) if "probabilities" in name else 0

        def score(variants, index=index):
            out = np.asarray(forward(features(tokenizer, variants, config["inputs"]))[name])
            return out.reshape(len(variants), -1)[:, index]

        record = occlusion_scores([text], score)[0]
        target = labels[index] if labels and "probabilities" in name else index
        results.append({"text": text, "target": target, **record})
    if args.json:
        print(json.dumps(results, ensure_ascii=False))
    else:
        for r in results:
            words = " ".join(f"{w['word']}({w['score']:+.3f})" for w in r["words"])
            print(f"{r['target']} {r['output']:.4f}\t{words}")
    return results


def _show_text(text):
    return "\t".join(text) if isinstance(text, tuple) else text


def print_results(results, as_json, line):
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
    parser.add_argument("--query", help="embedding exports: rank the texts for this query "
                                        "by cosine similarity")
    parser.add_argument("--top-k", type=int, default=None,
                        help="with --query: how many ranked texts to print (default: all)")
    parser.add_argument("--explain", action="store_true",
                        help="word scores by occlusion (classifiers and regressors)")
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
