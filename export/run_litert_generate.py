"""Generate text on LiteRT (`ai_edge_litert`) with a causal-LM or seq2seq
export: `generate.tflite` (`prefill` once, then one `decode` call per new
token over its key/value cache), or, for causal LMs, `model.tflite` with
`--no-cache` (the whole sequence again for every token, for comparison).
A seq2seq export's `prefill` runs the encoder on each text (the source).

    python export/run_litert_generate.py EXPORT_DIR "Once upon a time" [--json]
    python export/run_litert_generate.py EXPORT_DIR "Once upon a time" \\
        --max-new-tokens 40 --top-k 40 --top-p 0.9 --temperature 0.8 --seed 0

Greedy unless --temperature, --top-k or --top-p is given. Needs
`ai-edge-litert`, `tokenizers` and numpy; not TensorFlow, not kerasft. The
tokens are chosen by the export's `generation.py`, the code kerasft's
`CausalLM.generate` / `Seq2SeqLM.generate` use: with the same seed, prompt
by prompt (`generate(..., batch_size=1)`), the same draws.
"""

import argparse
import json
import os
import sys

import numpy as np
from ai_edge_litert.interpreter import Interpreter
from common import artifact, load_decoding, plain_tokenizer, read_export

GENERATION_ROLE = "generation"


class FullModel:
    """`model.tflite` (no cache): every step runs the fixed-length forward
    pass over the whole sequence so far and reads the last real position."""

    def __init__(self, path, pad_token_id, num_threads=None):
        interpreter = Interpreter(model_path=path, num_threads=num_threads)
        self._run = interpreter.get_signature_runner("serving_default")
        self.prompt_length = self.max_length = int(
            self._run.get_input_details()["token_ids"]["shape"][1])
        self.pad = pad_token_id
        self.ids = []

    def _last_logits(self):
        ids = np.full((1, self.max_length), self.pad, "int32")
        mask = np.zeros((1, self.max_length), "int32")
        ids[0, :len(self.ids)], mask[0, :len(self.ids)] = self.ids, 1
        return self._run(token_ids=ids, padding_mask=mask)["logits"][0, len(self.ids) - 1]

    def prefill(self, prompt_ids):
        self.ids = list(prompt_ids)
        return self._last_logits()

    def step(self, token_id, position):
        self.ids = self.ids[:position] + [token_id]
        return self._last_logits()


def load_model(directory, config, decoding, no_cache=False, num_threads=None):
    """The export's generation model: the shipped `generation.py`'s
    `LiteRTGeneration` (causal LM) or `LiteRTSeq2SeqGeneration` over
    `generate.tflite` (the artifact with role `generation`), or `FullModel`
    over `model.tflite` when `no_cache`."""
    pad = config["tokenizer"]["pad_token_id"]
    seq2seq = config["task"] == "seq2seq_lm"
    if no_cache:
        if seq2seq:
            sys.exit("error: --no-cache runs causal-LM exports only.")
        return FullModel(artifact(directory, config, "tflite"), pad, num_threads)
    for entry in config["artifacts"]:
        if entry.get("role") == GENERATION_ROLE:
            cls = (decoding.LiteRTSeq2SeqGeneration if seq2seq
                   else decoding.LiteRTGeneration)
            return cls(os.path.join(directory, entry["file"]), pad, num_threads)
    sys.exit(f"error: {directory} has no key/value-cache .tflite (export with "
             "formats=('tflite',)); pass --no-cache to run model.tflite.")


def generate_texts(args, prompts):
    config, _ = read_export(args.export_dir)
    if config["task"] not in ("causal_lm", "seq2seq_lm"):
        sys.exit(f"error: {args.export_dir} holds a {config['task']} export; this runner "
                 "generates with causal_lm and seq2seq_lm exports (use run_litert.py).")
    decoding = load_decoding(args.export_dir, config)
    task = config["task_config"]
    model = load_model(args.export_dir, config, decoding, args.no_cache)
    seq2seq = config["task"] == "seq2seq_lm"
    room = 1 if seq2seq else min(model.prompt_length, model.max_length - args.max_new_tokens)
    if room < 1 or args.max_new_tokens > model.max_length - 1:
        sys.exit(f"error: --max-new-tokens must leave room for the prompt in the model's "
                 f"{model.max_length} positions. Received: --max-new-tokens "
                 f"{args.max_new_tokens}. Pass at most {model.max_length - 1}.")
    tokenizer = plain_tokenizer(args.export_dir, config)
    if seq2seq:
        tokenizer.enable_truncation(max_length=task["source_length"])
    eos, pad = task.get("eos_token_id"), config["tokenizer"]["pad_token_id"]
    stops = [] if args.no_stop or eos is None else [eos]
    results = []
    for index, prompt in enumerate(prompts):
        rng = np.random.default_rng(None if args.seed is None else [args.seed, index])
        if seq2seq:  # the prompt is the source; the decoder starts from its start token
            source = tokenizer.encode(task["source_prefix"] + prompt).ids

            def prefill(_, source=source):
                return model.prefill(source)

            ids = np.array([task["decoder_start_token_id"]], "int32")
        else:
            prefill = model.prefill
            ids = decoding.trim_prompt(tokenizer.encode(prompt).ids, room, eos, pad)
        new = decoding.generate(prefill, model.step, ids, args.max_new_tokens, rng,
                                args.temperature, args.top_k, args.top_p, stops)
        results.append({"prompt": prompt, "generated_text": tokenizer.decode(new.tolist()),
                        "token_ids": new.tolist()})
    return results


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export_dir",
                        help="a directory written by kerasft export (causal_lm, seq2seq_lm)")
    parser.add_argument("prompts", nargs="+",
                        help="prompts to continue (seq2seq: sources to translate)")
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--temperature", type=float, default=None,
                        help="sampling temperature (0: greedy; default 1 when sampling)")
    parser.add_argument("--top-k", type=int, default=None, help="sample among the k most likely")
    parser.add_argument("--top-p", type=float, default=None, help="sample from the p nucleus")
    parser.add_argument("--seed", type=int, default=None, help="seed of the sampling draws")
    parser.add_argument("--no-stop", action="store_true",
                        help="do not stop at the end-of-text token")
    parser.add_argument("--no-cache", action="store_true",
                        help="run model.tflite (full sequence per token) instead")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    if args.max_new_tokens < 1:
        parser.error("--max-new-tokens must be >= 1")
    if args.top_k is not None and args.top_k < 1:
        parser.error("--top-k must be >= 1")
    if args.top_p is not None and not 0 < args.top_p <= 1:
        parser.error("--top-p must be in (0, 1]")
    if args.temperature is not None and args.temperature < 0:
        parser.error("--temperature must be >= 0")
    return args


def main():
    args = parse_args()
    results = generate_texts(args, args.prompts)
    if args.json:
        print(json.dumps(results, ensure_ascii=False))
    else:
        for r in results:
            print(r["generated_text"])


if __name__ == "__main__":
    main()
