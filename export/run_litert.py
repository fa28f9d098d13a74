"""Classify texts with an exported `.tflite` on LiteRT (`ai_edge_litert`).

    python export/run_litert.py EXPORT_DIR "a great film" "a dull film" [--json]

Needs `ai-edge-litert`, `tokenizers` and numpy; not TensorFlow, not kerasft.
"""

import numpy as np
from ai_edge_litert.interpreter import Interpreter

from common import artifact, features, load_tokenizer, parse_args, read_export, show


def main():
    args, texts = parse_args(__doc__.splitlines()[0])
    config, labels = read_export(args.export_dir)
    path = artifact(args.export_dir, config, "tflite", args.model, args.quantization)
    interpreter = Interpreter(model_path=path)
    run = interpreter.get_signature_runner("serving_default")
    batch, length = run.get_input_details()[config["inputs"][0]]["shape"]
    tokenizer = load_tokenizer(args.export_dir, config, length=int(length))
    inputs = features(tokenizer, texts, config["inputs"])
    output = config["outputs"][0]
    scores = []
    for i in range(len(texts)):
        row = {k: np.repeat(v[i:i + 1], batch, axis=0) for k, v in inputs.items()}
        scores.append(run(**row)[output][0])
    show(texts, scores, labels, args.json)


if __name__ == "__main__":
    main()
