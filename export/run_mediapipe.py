"""Classify texts with an exported `.tflite` through MediaPipe Tasks.

    python export/run_mediapipe.py EXPORT_DIR "a great film" [--json]

Needs only `mediapipe` (and numpy, which it brings): the `.tflite` carries
its BERT vocabulary and label names as metadata, so MediaPipe's
TextClassifier tokenizes raw strings itself - the same code path as on
Android, iOS and the web. Scores become records through the export's
`classification.py`, as in the other runners. (mediapipe
imports TensorFlow if it happens to be installed; it does not need it.)
"""

from mediapipe.tasks.python.core import base_options
from mediapipe.tasks.python.text import text_classifier

from common import artifact, decoding_config, load_decoding, parse_args, print_results, read_export


def main():
    args, texts = parse_args(__doc__.splitlines()[0])
    config, labels = read_export(args.export_dir)
    path = artifact(args.export_dir, config, "tflite", args.model, args.quantization)
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
