"""Classify or embed texts with an exported `.tflite` through MediaPipe Tasks.

    python export/run_mediapipe.py EXPORT_DIR "a great film" [--json]
    python export/run_mediapipe.py EMBEDDER_EXPORT --query "cheap flights" "TEXT" ... --json

Needs only `mediapipe` (and numpy, which it brings): the `.tflite` carries
its BERT vocabulary and label names as metadata, so MediaPipe's
TextClassifier (or TextEmbedder, for a `text_embedder` export) tokenizes raw
strings itself - the same code path as on Android, iOS and the web. Scores
become records through the export's `classification.py` (vectors through
`embedding.py`, which also ranks for `--query`), as in the other runners. (mediapipe
imports TensorFlow if it happens to be installed; it does not need it.)
"""

from mediapipe.tasks.python.core import base_options
from mediapipe.tasks.python.text import text_classifier, text_embedder

from common import (artifact, decoding_config, load_decoding, parse_args, print_ranking,
                    print_results, read_export)


def embed(args, texts, config, path):
    """Embeds `texts` (and `--query`) with MediaPipe's TextEmbedder."""
    options = text_embedder.TextEmbedderOptions(
        base_options=base_options.BaseOptions(model_asset_path=path),
        l2_normalize=False, quantize=False)
    embedder = text_embedder.TextEmbedder.create_from_options(options)
    inputs = ([args.query] if args.query else []) + list(texts)
    try:
        vectors = [list(embedder.embed(t).embeddings[0].embedding) for t in inputs]
    finally:
        embedder.close()
    decoding = load_decoding(args.export_dir, config)  # the export's embedding.py
    if args.query:
        return print_ranking(args, texts, vectors, decoding)
    records = decoding.decode({config["outputs"][0]: vectors}, config["task_config"])
    return print_results([{"text": t, **r} for t, r in zip(texts, records)], args.json,
                         decoding.format_record)


def main():
    args, texts = parse_args(__doc__.splitlines()[0])
    config, labels = read_export(args.export_dir)
    path = artifact(args.export_dir, config, "tflite", args.model, args.quantization)
    if config["task"] == "text_embedder":
        return embed(args, texts, config, path)
    options = text_classifier.TextClassifierOptions(
        base_options=base_options.BaseOptions(model_asset_path=path))
    classifier = text_classifier.TextClassifier.create_from_options(options)
    try:
        scores = []
        for text in texts:
            categories = classifier.classify(text).classifications[0].categories
            row = [0.0] * len(categories)
            for c in categories:
                row[c.index] = c.score
            scores.append(row)
        names = labels or [c.category_name for c in sorted(categories, key=lambda c: c.index)]
    finally:
        classifier.close()
    decoding = load_decoding(args.export_dir, config)  # the export's classification.py
    task_config = decoding_config(config, names)
    records = decoding.decode({config["outputs"][0]: scores}, task_config)
    print_results([{"text": t, **r} for t, r in zip(texts, records)], args.json,
                  decoding.format_record)


if __name__ == "__main__":
    main()
