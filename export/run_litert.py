"""Run an exported `.tflite` on LiteRT (`ai_edge_litert`): classify, tag or
answer raw texts.

    python export/run_litert.py EXPORT_DIR "a great film" "a dull film" [--json]
    python export/run_litert.py NER_EXPORT "Angela Merkel visited Paris." --json
    python export/run_litert.py QA_EXPORT --question "Who wrote it?" "CONTEXT ..." --json

Embedding exports print vectors, or rank the texts for `--query "..."`
(`--top-k N`).

Needs `ai-edge-litert`, `tokenizers` and numpy; not TensorFlow, not kerasft.
The `.tflite` has fixed `[batch, sequence_length]` inputs; rows run one by
one (repeated to fill the batch).
"""

import numpy as np
from ai_edge_litert.interpreter import Interpreter

from common import artifact, parse_args, predict, read_export


def main():
    args, texts = parse_args(__doc__.splitlines()[0])
    config, labels = read_export(args.export_dir)
    path = artifact(args.export_dir, config, "tflite", args.model, args.quantization)
    interpreter = Interpreter(model_path=path)
    run = interpreter.get_signature_runner("serving_default")
    batch, length = run.get_input_details()[config["inputs"][0]]["shape"]
    outputs = config["outputs"]
    # int8_strict files have int8 outputs: value = (q - zero_point) * scale.
    scales = {name: d["quantization"] for name, d in run.get_output_details().items()
              if np.dtype(d["dtype"]).kind in "iu" and d["quantization"][0]}

    def dequantize(name, value):
        if name not in scales:
            return value
        scale, zero_point = scales[name]
        return (value.astype(np.float32) - zero_point) * scale

    def forward(features):
        n = len(next(iter(features.values())))
        rows = []
        for i in range(n):
            out = run(**{k: np.repeat(features[k][i:i + 1], batch, axis=0)
                         for k in config["inputs"]})
            rows.append({name: dequantize(name, out[name][0]) for name in outputs})
        return {name: np.stack([r[name] for r in rows]) for name in outputs}

    predict(args, texts, config, labels, forward, length=int(length))


if __name__ == "__main__":
    main()
