"""Classify texts with an exported `.onnx` on ONNX Runtime.

    python export/run_onnx.py EXPORT_DIR "a great film" "a dull film" [--json]

Needs `onnxruntime`, `tokenizers` and numpy; not TensorFlow, not kerasft.
Texts are run as one batch padded to the longest (dynamic axes).
"""

import onnxruntime as ort

from common import artifact, features, load_tokenizer, parse_args, read_export, show


def main():
    args, texts = parse_args(__doc__.splitlines()[0])
    config, labels = read_export(args.export_dir)
    path = artifact(args.export_dir, config, "onnx", args.model, args.quantization)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    tokenizer = load_tokenizer(args.export_dir, config)
    inputs = features(tokenizer, texts, [i.name for i in session.get_inputs()])
    scores = session.run([config["outputs"][0]], inputs)[0]
    show(texts, scores, labels, args.json)


if __name__ == "__main__":
    main()
