"""Export pieces of generative tasks: the specs of a causal LM (its
forward pass, plus the key/value-cache `.tflite` for on-device generation)
and of an encoder-decoder's forward pass, and a SavedModel with a
`generate` signature (decoding in the graph; tokenization stays outside)."""

import os

import numpy as np

from kerasft.decoding import generation as generation_decoding
from kerasft.errors import ParityError
from kerasft.export import kv_cache, kv_cache_seq2seq
from kerasft.export.spec import ExportSpec
from kerasft.training.precision import float32_compute

GENERATION_FILE = "generate.tflite"


class CausalLMExportSpec(ExportSpec):
    """`ExportSpec` of a causal LM: the fixed-length forward pass
    (`token_ids`, `padding_mask` -> `logits`), and with TFLite also
    `generate.tflite`, whose `prefill` / `decode` signatures carry an
    explicit key/value cache (`kerasft.export.kv_cache`).

    The export ships `generation.py` (`kerasft/decoding/generation.py`) as
    its decoding module, and `task_config` holds what the runner needs:
    `eos_token_id`, `prompt_length`, `cache_length`.

    Args:
        input_names, tokenizer, sequence_length: see `ExportSpec`;
            `sequence_length` is also the `prefill` prompt length.
        hub: keras-hub task with `call_with_cache` on the model's backbone,
            or None (no cache export then, with a note).
        cache_length: int or None. Cache slots (prompt + new tokens).
            Defaults to the backbone's positions.
        eos_token_id: int or None. The default stop token.
        task_name: str.
    """

    def __init__(self, input_names, tokenizer, sequence_length, hub=None, cache_length=None,
                 eos_token_id=None, task_name="causal_lm"):
        if hub is not None:
            cache_length = cache_length or getattr(hub.backbone, "max_sequence_length", None)
            kv_cache.check_lengths(hub, int(sequence_length), cache_length)
        super().__init__(input_names, ["logits"], tokenizer, sequence_length,
                         task_name=task_name,
                         runner_config={"eos_token_id": eos_token_id,
                                        "prompt_length": int(sequence_length),
                                        "cache_length": cache_length},
                         decoding_module=generation_decoding.__file__)
        self.hub = hub
        self.cache_length = cache_length
        self.eos_token_id = eos_token_id

    def prompt_ids(self, texts):
        """Prompt ids as `CausalLM.generate` makes them, at most
        `sequence_length` each."""
        encoded = self.tokenizer.encode(list(texts))["token_ids"]
        return [generation_decoding.trim_prompt(ids, self.sequence_length, self.eos_token_id,
                                                self.tokenizer.pad_token_id)
                for ids in encoded]

    def extra_artifacts(self, model, fmt, stage, options, tmp):
        """`generate.tflite` (fp32) beside the TFLite forward pass, checked
        against keras-hub's cached call on a few parity prompts."""
        if fmt != "tflite":
            return [], []

        def write(directory):
            kv_cache.write_generation_saved_model(model, self.hub, directory,
                                                  self.sequence_length, self.cache_length)

        def check(path, texts):
            return kv_cache.check_generation(
                path, self.hub, self.prompt_ids(texts), self.tokenizer.pad_token_id,
                new_tokens=min(8, self.cache_length - self.sequence_length) or 1)

        return write_generation_artifact(self, model, stage, options, tmp, write, check)


class Seq2SeqExportSpec(ExportSpec):
    """`ExportSpec` of an encoder-decoder's fixed-length forward pass:
    `encoder_*` inputs hold the sources, `decoder_*` the start token then
    padding, so output position 0 scores the first target token. With
    TFLite and a keras-hub cached task (`hub`), also `generate.tflite`
    (`kerasft.export.kv_cache_seq2seq`: the encoder once in `prefill`, one
    `decode` call per target token).

    Args:
        preprocessor: `Seq2SeqPreprocessor` (its `encode` gives the
            encoder ids, source prefix included).
        decoder_start_token_id: int. The first decoder input.
        *args: see `ExportSpec`.
        steps: the task's built `Seq2SeqSteps`, or None (no cache export
            without `steps.hub`, keras-hub's cached task).
        cache_length: int or None. Decoder cache slots (start token + new
            tokens). Defaults to 1 + the preprocessor's
            `target_sequence_length`, within the backbone's positions.
        eos_token_id: int or None. Ends a target.
        **kwargs: see `ExportSpec`.
    """

    def __init__(self, preprocessor, decoder_start_token_id, *args, steps=None,
                 cache_length=None, eos_token_id=None, **kwargs):
        super().__init__(*args, decoding_module=generation_decoding.__file__, **kwargs)
        self.preprocessor = preprocessor
        self.decoder_start_token_id = decoder_start_token_id
        self.steps = steps
        self.hub = hub = None if steps is None else steps.hub
        if hub is not None:
            limit = getattr(hub.backbone, "max_sequence_length", None) or 1_000_000
            cache_length = cache_length or min(limit, 1 + preprocessor.target_sequence_length)
            kv_cache.check_lengths(hub, 2, cache_length)
        self.cache_length = cache_length
        self.runner_config.update({
            "decoder_start_token_id": int(decoder_start_token_id),
            "eos_token_id": eos_token_id, "source_prefix": preprocessor.source_prefix,
            "source_length": self.sequence_length, "cache_length": cache_length})

    def extra_artifacts(self, model, fmt, stage, options, tmp):
        """`generate.tflite` (fp32), checked against the Keras forward
        pass on a few parity sources."""
        if fmt != "tflite":
            return [], []

        def write(directory):
            kv_cache_seq2seq.write_seq2seq_generation_saved_model(
                model, self.steps, directory, self.sequence_length, self.cache_length,
                self.decoder_start_token_id)

        def check(path, texts):
            sources = [np.asarray(ids[:self.sequence_length], "int32")
                       for ids in self.preprocessor.encode(texts)["encoder_token_ids"]]
            return kv_cache_seq2seq.check_seq2seq_generation(
                path, model, sources, self.decoder_start_token_id, self.tokenizer.pad_token_id,
                new_tokens=min(8, self.cache_length - 1))

        return write_generation_artifact(self, model, stage, options, tmp, write, check)

    def encode(self, texts, length=None):
        length = length or self.sequence_length
        ids = self.preprocessor.encode(list(texts))["encoder_token_ids"]
        pad = self.tokenizer.pad_token_id
        features = {name: np.full((len(ids), length), pad if "token" in name else 0, "int32")
                    for name in self.input_names}
        for row, t in enumerate(ids):
            t = t[:length]
            features["encoder_token_ids"][row, :len(t)] = t
            features["encoder_padding_mask"][row, :len(t)] = 1
        features["decoder_token_ids"][:, 0] = self.decoder_start_token_id
        features["decoder_padding_mask"][:, 0] = 1
        return features


def write_generate_saved_model(model, directory, serve, input_names):
    """Writes a SavedModel of `model` whose `generate` signature runs
    `serve(*inputs)` on int32 `[batch, length]` inputs named `input_names`
    (TensorFlow backend; traced through Keras' `ExportArchive`).

    Returns:
        `directory`.
    """
    import tensorflow as tf  # TensorFlow backend only
    from keras.export import ExportArchive  # with TensorFlow, as above

    with float32_compute(model):  # traced in float32, whatever the training precision
        archive = ExportArchive()
        archive.track(model)
        archive.add_endpoint("generate", serve, input_signature=[
            tf.TensorSpec([None, None], tf.int32, name=name) for name in input_names])
        archive.write_out(os.fspath(directory), verbose=False)
    return directory


def write_generation_artifact(spec, model, stage, options, tmp, write, check):
    """Writes `generate.tflite` (fp32, `prefill` and `decode`) into `stage`
    and checks it (the body of the generative specs' `extra_artifacts`).

    Args:
        spec: the `ExportSpec` (`hub`, `sequence_length`, `cache_length`).
        model, stage, options, tmp: see `ExportSpec.extra_artifacts`.
        write: callable. SavedModel directory -> writes the signatures.
        check: callable. `(path, texts)` -> dict with `max_abs_diff`,
            `greedy_agreement`, `prompts`.

    Returns:
        `(artifacts, notes)`.

    Raises:
        ParityError: the `.tflite` decodes unlike the Keras model.
    """
    if spec.hub is None:
        note = (f"{GENERATION_FILE}: not written (keras-hub has no key/value-cache "
                f"task for {type(getattr(model, 'backbone', model)).__name__})")
        return [], [note]
    from kerasft.export.tflite import convert_saved_model

    source = os.path.join(tmp, "generation")
    write(source)
    path = os.path.join(stage, GENERATION_FILE)
    info = convert_saved_model(source, {"none": path}, signature_keys=kv_cache.SIGNATURES,
                               allow_flex_ops=options.get("allow_flex_ops", False),
                               timeout=options.get("timeout", 1800))["none"]
    entry = {"quantization": "none", "file": GENERATION_FILE, "role": "generation",
             "signatures": list(kv_cache.SIGNATURES), "prompt_length": spec.sequence_length,
             "cache_length": spec.cache_length, "flex_ops": info["flex_ops"]}
    if options.get("parity", True):
        texts = [t for t in options.get("parity_texts") or [] if isinstance(t, str)][:3]
        result = check(path, texts or ["The"])
        entry["generation_parity"] = result
        limit = options.get("max_abs_diff", 1e-4)
        if result["max_abs_diff"] > limit or result["greedy_agreement"] < 1:
            raise ParityError(
                f"{GENERATION_FILE} must decode like the Keras model. Received: max "
                f"|Δ logits| {result['max_abs_diff']:.3g} (limit {limit:g}) and greedy "
                f"agreement {result['greedy_agreement']:.3f} over {result['prompts']} "
                "prompts. Report it with the model's architecture, or export without "
                "TFLite."
            )
    return [entry], []
