"""Semantic search: index BBC News headlines with MiniLM embeddings, query
them in Keras, export to TFLite and get the same answers from the LiteRT
runner (no TensorFlow, no kerasft: what an app ships).

    python samples/semantic_search.py [--documents 300] [--layers 6] [--epochs 0]

`--epochs N` first tunes the embedder on STS-B pairs (in-batch negatives on
the pairs scored 4 or more; needs the STS-B folder, see `--data`).
"""

import argparse
import json
import os
import subprocess
import sys

import kerasft as kft
from kerasft.data import read_stsb
from kerasft.datasets import load_bbc_news

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # samples/_common.py
from _common import common_arguments

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUERIES = ["central bank raises interest rates", "new smartphone launch",
           "football club signs a striker"]


def main():
    parser = argparse.ArgumentParser()
    common_arguments(parser, data="stsb", data_help="the STS-B folder (with --epochs)",
                     layers_flag="--layers", layers=6, epochs=0,
                     output="runs/sample_search", sequence_length=64)
    parser.add_argument("--documents", type=int, default=300)
    args = parser.parse_args()

    texts, _ = load_bbc_news()
    step = max(1, len(texts) // args.documents)
    # an article's first sentence: its headline
    documents = [t.split(". ")[0][:200] for t in texts[::step][:args.documents]]

    embedder = kft.TextEmbedder.from_pretrained(
        "minilm-l6", sequence_length=args.sequence_length,
        backbone_config={"num_layers": args.layers})
    if args.epochs:
        pairs = read_stsb(os.path.join(args.data, "sts-train.csv"))
        keep = [i for i, s in enumerate(pairs.labels) if s >= 4.0]
        embedder.fit(([pairs.texts[i] for i in keep], [pairs.pairs[i] for i in keep]),
                     epochs=args.epochs, batch_size=32, seed=0)

    index = embedder.encode(documents)  # [documents, 384], unit vectors
    keras_answers = embedder.search(QUERIES, index, top_k=3)
    for query, hits in zip(QUERIES, keras_answers):
        print(f"\n{query}")
        for i, score in hits:
            print(f"  {score:.3f}  {documents[i]}")

    export_dir = os.path.join(args.output, "export")
    embedder.export(export_dir, formats=("tflite",), texts=documents[:50], overwrite=True)
    collection = os.path.join(args.output, "documents.txt")
    with open(collection, "w", encoding="utf-8") as f:
        f.write("\n".join(documents) + "\n")
    for query, hits in zip(QUERIES, keras_answers):
        out = subprocess.run(
            [sys.executable, os.path.join(ROOT, "export", "run_litert.py"), export_dir,
             "--file", collection, "--query", query, "--top-k", "3", "--json"],
            capture_output=True, text=True, check=True,
            env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "export")))
        runner = [r["index"] for r in json.loads(out.stdout.strip().splitlines()[-1])]
        same = runner == [i for i, _ in hits]
        print(f"LiteRT runner, {query!r}: {runner} {'same as Keras' if same else 'DIFFERENT'}")
        if not same:
            sys.exit(1)


if __name__ == "__main__":
    main()
