"""Run an exported `.onnx` on ONNX Runtime: classify, tag or answer raw texts.

    python export/run_onnx.py EXPORT_DIR "a great film" "a dull film" [--json]
    python export/run_onnx.py NER_EXPORT "Angela Merkel visited Paris." --json
    python export/run_onnx.py QA_EXPORT --question "Who wrote it?" "CONTEXT ..." --json
    python export/run_onnx.py STS_EXPORT --pairs "$(printf 'A man sings.\tA man is singing.')"

Embedding exports print vectors, or rank the texts for `--query "..."`
(`--top-k N`).

Needs `onnxruntime`, `tokenizers` and numpy; not TensorFlow, not kerasft.
Inputs have dynamic axes: texts run as one batch padded to the longest
(NER and QA windows at the export's sequence length).
"""

import onnxruntime as ort

from common import artifact, parse_args, predict, read_export


def main():
    args, texts = parse_args(__doc__.splitlines()[0])
    config, labels = read_export(args.export_dir)
    path = artifact(args.export_dir, config, "onnx", args.model, args.quantization)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    outputs = config["outputs"]

    def forward(features):
        return dict(zip(outputs, session.run(outputs, {k: features[k] for k in names})))

    predict(args, texts, config, labels, forward)


if __name__ == "__main__":
    main()
