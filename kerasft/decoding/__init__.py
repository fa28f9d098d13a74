"""Model outputs -> JSON-ready records, one numpy-only module per task.

Each module imports only the standard library and numpy: the exporter copies
it next to the artifacts (`export_config.json` names it under
`decoding_module`) and the runners in the top-level `export/` folder load it
by file path, so Keras (`predict_records`), the parity gate and every runtime
decode with the same code. Every module exposes:

    INPUT_FIELDS            names of one input in a record (`("text",)`, QA:
                            `("question", "context")`)
    WINDOWED                True when one input becomes several model rows
                            (NER words, QA doc-stride windows): then
    prepare(inputs, tokenizer, task_config, sequence_length, pad_id=0)
                            -> (features, state) builds those rows from a
                            `tokenizers.Tokenizer`
    decode(outputs, task_config, state=None) -> list of records
                            named outputs (name -> `[rows, ...]`) -> one
                            JSON-ready dict per input
    format_record(result) -> str    a runner's one-line text form

`task_config` is the export's `task_config` (labels, thresholds, window
settings...). Modules: `classification`, `multi_label`, `regression`, `ner`,
`qa`. `generation` is of another kind: a causal LM's token choice and its
one-token-per-call loop (`generate(prefill, step, ...)`), shipped with
causal-LM exports for `export/run_litert_generate.py`.
"""
